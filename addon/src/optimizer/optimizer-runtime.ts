import {
  Controller,
  DEFAULT_SWITCHED_DISCHARGE,
  FleetPlanner,
  SharedDemandResponse,
  type FleetSeat,
  type JointPlan,
  type CurtailableRelay,
  type DemandResponsePort,
  type ControllerGoal,
  type ControllerStatus,
  type ForecastPoint,
  type PriceSource,
  type SafetyGuard,
} from '@sps/control';
import { TypedEmitter, type Clock } from '@sps/core';
import { loadSolverScheduler, type Scheduler } from '@sps/scheduler';
import type { DeviceManager } from '../device-manager.js';
import type { DeviceRunner } from '../device-runner.js';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';
import { pickBatteries, RunnerBattery, type BatteryHandBack } from './battery-device.js';
import { loadForPlan, solarForPlan } from './forecast-sources.js';
import { isStationRunner, StationBattery } from './station-battery.js';
import { relabel as relabelStationPlan, stationScheduler } from './station-scheduler.js';
import { isTeslemetryRunner, TeslaPlanBattery } from './tesla-battery.js';
import { OFF_GRID_CURRENCY, offGridPrices, offGridScheduler } from './off-grid-scheduler.js';
import type { OptimizerSettings } from './optimizer-options.js';
import type { DeferrableLoadSettings } from './flex-load-options.js';
import { EV_CHARGER_DRIVER, FlexLoadWiring } from './flex-load-wiring.js';
import type { FlexLoadsStatus, PlanGrid } from '@sps/control';

/** The price service as the optimiser uses it (`@sps/tariffs` PriceService fits). */
export interface OptimizerPrices extends PriceSource {
  on(event: 'series', listener: () => void): () => void;
}

/** A forecast service as the optimiser uses it (the add-on's ForecastService fits). */
export interface OptimizerForecast {
  current(): { readonly points: readonly ForecastPoint[] };
  readonly events: { on(event: 'updated', listener: () => void): () => void };
}

/** Prices and forecasts, from whoever provides them (the add-on's PricingRuntime fits as is). */
export interface OptimizerInputs {
  readonly prices: OptimizerPrices | undefined;
  readonly currency: string | undefined;
  readonly solar: OptimizerForecast | undefined;
  readonly load: OptimizerForecast | undefined;
}

export interface OptimizerRuntimeOptions {
  readonly settings: OptimizerSettings;
  readonly inputs: OptimizerInputs;
  readonly manager: DeviceManager;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly state: StateStore;
  /** The household's zone: "today" for the costs and clock times in reasons. */
  readonly timeZone: string;
  /** Default `loadSolverScheduler()`: HiGHS on a worker thread, so a solve never stalls the devices' I/O. */
  readonly scheduler?: () => Promise<Scheduler>;
  /** The add-on's persistent hand-back; without it restore_normal is one plain write. */
  readonly handBack?: BatteryHandBack;
  /** Demand response (issue 11): the aggregator's calendar as the controller's directive. */
  readonly demandResponse?: DemandResponsePort;
  /** Relays the user allows to be switched off at the battery's floor during an event. */
  readonly curtailableRelays?: readonly CurtailableRelay[];
  /** aggregator.allow_shifting: deferrable loads are kept out of the event's window. */
  readonly allowShifting?: boolean;
  /**
   * Each booked interval's predicted cost and its "without optimiser" baseline, for the history
   * (the add-on stores them as the battery's `cost` and `cost_baseline` series).
   */
  readonly onIntervalCost?: (deviceId: string, cost: { start: number; cost: number; baseline: number }) => void;
  /** The top-level `deferrable_loads` option: loads on relays the plan schedules. */
  readonly deferrableLoads?: readonly DeferrableLoadSettings[];
}

/** One battery the optimiser drives (or waits for). */
export interface OptimizerBatteryView {
  readonly device: string;
  /** The power-station composite (planned as the scheduler's `station`). */
  readonly station: boolean;
  /** Its policy's status; null while the optimiser waits for the device's first readings. */
  readonly status: ControllerStatus | null;
  /** In the newest joint plan. */
  readonly planned: boolean;
  /** Why it is not driven or not planned now (waiting, in fallback: …); null while it follows the plan. */
  readonly reason: string | null;
}

/** What HA, the API and the page show: the controllers' status, or why there is none. */
export interface OptimizerView {
  readonly running: boolean;
  /** Why the optimiser is not running (no prices, no battery yet, …); null while it runs. */
  readonly offReason: string | null;
  /** The first battery driven (its status is `status`): what a one-battery setup always showed. */
  readonly batteryDevice: string | null;
  readonly enabled: boolean;
  readonly goal: ControllerGoal;
  readonly status: ControllerStatus | null;
  /** The EV and the deferrable loads (null when none is configured or the optimiser is not running). */
  readonly flexLoads: FlexLoadsStatus | null;
  /** Every battery, in the order of the options (or of discovery). */
  readonly batteries: readonly OptimizerBatteryView[];
  /** The newest plan of all batteries together (per-battery rows in `intervals[].batteries`). */
  readonly jointPlan: JointPlan | null;
}

interface DrivenBattery {
  readonly id: string;
  readonly station: boolean;
  readonly controller: Controller;
  readonly seat: FleetSeat;
}

export interface OptimizerEvents extends Record<string, unknown> {
  /** The view changed (a controller status, the controller started, …). */
  changed: OptimizerView;
}

/** Thrown to the HA/API caller when the optimiser cannot do what was asked. */
export class OptimizerUnavailableError extends Error {
  override readonly name = 'OptimizerUnavailableError';
}

/**
 * Runs one issue-5 `Controller` per battery inside the add-on (issue 12 item 4): each is that
 * battery's policy (its device port, guard limits, hysteresis, override, fallback), and all of them
 * plan through one `FleetPlanner`, so every re-plan is one joint plan of every battery that is
 * answering. Picks the batteries (the configured list, or every device that can force_charge once
 * it has answered), loads the scheduler once, feeds the controllers price/forecast changes and
 * every poll of their battery, and keeps a view for HA and the panel. Without a tariff it stays off
 * with the reason "no prices configured".
 */
export class OptimizerRuntime {
  readonly events: TypedEmitter<OptimizerEvents>;
  private readonly driven: DrivenBattery[] = [];
  private readonly starting = new Set<string>();
  private offReasonValue: string;
  private scheduler: Promise<Scheduler> | undefined;
  private fleet: FleetPlanner | undefined;
  private sharedDr: SharedDemandResponse | undefined;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;
  /** Until a controller exists, the HA switch/select still hold the user's choice. */
  private enabledValue: boolean;
  private goalValue: ControllerGoal;
  private flex: FlexLoadWiring | undefined;
  private flexBuilt = false;

  constructor(private readonly o: OptimizerRuntimeOptions) {
    this.log = o.logger.child({ component: 'optimizer' });
    this.events = new TypedEmitter<OptimizerEvents>((err) => this.log.error({ err }, 'an optimiser listener failed'));
    this.enabledValue = o.settings.enabled;
    this.goalValue = o.settings.goal;
    this.offReasonValue = this.prices() ? 'waiting for a battery that can force_charge' : 'no prices configured';
  }

  /** Off-grid needs no tariff: an all-zero series stands in when none is configured. */
  private offGridPriceSource: OptimizerPrices | undefined;

  private prices(): OptimizerPrices | undefined {
    if (this.o.inputs.prices) return this.o.inputs.prices;
    if (this.o.settings.grid !== 'none') return undefined;
    this.offGridPriceSource ??= offGridPrices();
    return this.offGridPriceSource;
  }

  private currency(): string | undefined {
    return this.o.settings.grid === 'none' && !this.o.inputs.prices ? OFF_GRID_CURRENCY : this.o.inputs.currency;
  }

  /** The first battery's controller (a one-battery setup's only one). */
  get controller(): Controller | undefined {
    return this.driven[0]?.controller;
  }

  /** Every battery's controller, in order. */
  get controllers(): readonly Controller[] {
    return this.driven.map((d) => d.controller);
  }

  /** The controller driving `deviceId`, if the optimiser drives it. */
  controllerFor(deviceId: string): Controller | undefined {
    return this.driven.find((d) => d.id === deviceId)?.controller;
  }

  /** Starts watching for the batteries; each controller starts once its battery has answered. Never throws. */
  start(): void {
    const prices = this.prices();
    if (!prices || !this.currency()) {
      this.log.info('optimiser off: no prices configured');
      return;
    }
    if (this.o.settings.grid === 'none')
      this.log.info('optimiser off-grid: no grid flows, the plan keeps the house powered');
    const { hub } = this.o;
    this.unsubscribe.push(
      hub.on('availability', ({ deviceId }) => {
        this.controllerFor(deviceId)?.readingsChanged();
        this.tryStart();
      }),
      hub.on('readings', ({ deviceId }) => this.controllerFor(deviceId)?.readingsChanged()),
      prices.on('series', () => this.forEach((c) => c.inputsChanged())),
    );
    for (const feed of [this.o.inputs.solar, this.o.inputs.load]) {
      if (feed) this.unsubscribe.push(feed.events.on('updated', () => this.forEach((c) => c.inputsChanged())));
    }
    this.tryStart();
  }

  /**
   * Stops the loops. With `handBack` (default) a forced mode in force is handed back to each battery
   * (restore_normal); the add-on's shutdown passes false and hands every device back itself.
   */
  async stop(options: { handBack?: boolean } = {}): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    await this.scheduler?.catch(() => undefined);
    // The loads first: the EV charger is handed back to its own charging while the plan still stands.
    await this.flex?.stop().catch((err: unknown) => this.log.warn({ err }, 'flexible loads stop failed'));
    await Promise.all(
      this.driven.map((d) =>
        d.controller
          .stop({ handBack: options.handBack ?? true })
          .catch((err: unknown) => this.log.warn({ err, battery: d.id }, 'optimiser stop failed')),
      ),
    );
    const scheduler = await this.scheduler?.catch(() => undefined);
    await scheduler?.close?.().catch((err: unknown) => this.log.warn({ err }, 'the solver did not stop'));
  }

  /** The demand-response calendar changed: every battery re-plans. */
  demandResponseChanged(): void {
    this.forEach((c) => c.demandResponseChanged());
  }

  /** `optimizer.grid: none`: off-grid planning. */
  get offGrid(): boolean {
    return this.o.settings.grid === 'none';
  }

  /** Deferrable loads are configured (HA shows the load decision). */
  loadsConfigured(): boolean {
    return this.prices() !== undefined && (this.o.deferrableLoads?.length ?? 0) > 0;
  }

  /** An EV charger is configured (named by optimizer.ev_charger, or an ha-ev-charger device): HA shows its entities. */
  evConfigured(): boolean {
    if (!this.prices()) return false;
    return (
      this.o.settings.evCharger !== undefined ||
      this.o.manager.list().some((r) => r.config.driver === EV_CHARGER_DRIVER)
    );
  }

  view(): OptimizerView {
    const first = this.driven[0];
    const status = first?.controller.status() ?? null;
    const joint = this.fleet?.jointPlan() ?? null;
    return {
      running: first !== undefined,
      offReason: first ? null : this.offReasonValue,
      batteryDevice: first?.id ?? null,
      enabled: status?.enabled ?? this.enabledValue,
      goal: status?.goal ?? this.goalValue,
      status,
      batteries: this.batteryViews(joint),
      jointPlan: joint,
      flexLoads: first && this.flex && !this.flex.empty ? this.flex.flex.status() : null,
    };
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.enabledValue = enabled;
    if (this.driven.length > 0) await Promise.all(this.driven.map((d) => d.controller.setEnabled(enabled)));
    else this.changed();
  }

  async setGoal(goal: ControllerGoal): Promise<void> {
    this.goalValue = goal;
    if (this.driven.length > 0) await Promise.all(this.driven.map((d) => d.controller.setGoal(goal)));
    else this.changed();
  }

  /** The controller (of `deviceId`, default the first), or an error that says why there is none (HA services). */
  require(deviceId?: string): Controller {
    const controller = deviceId === undefined ? this.controller : this.controllerFor(deviceId);
    if (controller) return controller;
    if (deviceId !== undefined && this.driven.length > 0)
      throw new OptimizerUnavailableError(`the optimiser does not drive "${deviceId}" (yet)`);
    throw new OptimizerUnavailableError(`the optimiser is not running: ${this.offReasonValue}`);
  }

  private forEach(f: (c: Controller) => void): void {
    for (const d of this.driven) f(d.controller);
  }

  private batteryViews(joint: JointPlan | null): OptimizerBatteryView[] {
    const wanted = pickBatteries(this.o.manager.list(), this.o.settings.batteryDevices).map((r) => r.config.id);
    const ids = [...this.driven.map((d) => d.id), ...wanted.filter((id) => !this.controllerFor(id))];
    return ids.map((id) => {
      const d = this.driven.find((x) => x.id === id);
      const runner = this.o.manager.list().find((r) => r.config.id === id);
      const planned = joint?.members.includes(id) ?? false;
      if (!d) {
        const why = runner
          ? runner.availability.available
            ? 'starting'
            : `waiting for the device: ${runner.availability.reason ?? 'not answering yet'}`
          : 'waiting for the device: no such device configured';
        return { device: id, station: runner ? isStationRunner(runner) : false, status: null, planned, reason: why };
      }
      const status = d.controller.status();
      const excluded = joint?.excluded.find((e) => e.name === id);
      const reason =
        status.mode === 'fallback'
          ? (status.fallbackReason ?? 'fallback')
          : status.mode === 'optimising' && !planned
            ? `not in the plan: ${excluded?.reason ?? 'waiting for the next re-plan'}`
            : status.mode === 'optimising'
              ? null
              : status.current.reason;
      return { device: id, station: d.station, status, planned, reason };
    });
  }

  private tryStart(): void {
    if (this.stopped) return;
    const prices = this.prices();
    const currency = this.currency();
    if (!prices || !currency) return;
    for (const runner of pickBatteries(this.o.manager.list(), this.o.settings.batteryDevices)) {
      const id = runner.config.id;
      if (this.controllerFor(id) || this.starting.has(id)) continue;
      // Connected (capabilities known) is not enough: until its first readings the controller would
      // only fall back with "device not answering: connecting" at every start.
      if (!runner.description || !runner.availability.available) continue;
      this.starting.add(id);
      void this.startBattery(runner, currency)
        .catch((err: unknown) => {
          this.offReasonValue = `cannot start: ${err instanceof Error ? err.message : String(err)}`;
          this.log.error({ err, battery: id }, 'optimiser cannot start');
        })
        .finally(() => this.starting.delete(id));
    }
  }

  /** The household's measured load for the plan: a hybrid inverter's (the house), else the station's (P2). */
  private measuredLoadW(): number | undefined {
    const order = [...this.driven.filter((d) => !d.station), ...this.driven.filter((d) => d.station)];
    for (const d of order) {
      const v = this.o.hub.latest(d.id)?.values['load_power'];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
    return undefined;
  }

  /** Discharge power a battery can give an event now, W: 0 at its reserve or out of the plan. */
  private availableDischargeW(id: string): number {
    const d = this.driven.find((x) => x.id === id);
    if (!d || !d.controller.isPlannable()) return 0;
    const runner = this.o.manager.list().find((r) => r.config.id === id);
    const caps = runner?.description?.capabilities;
    if (!caps) return 0;
    const limits = this.o.guard.limitsFor(caps);
    const soc = d.controller.currentSoc();
    if (soc === undefined || soc <= limits.backupReservePct) return 0;
    return limits.maxDischargeW ?? 0;
  }

  private async startBattery(runner: DeviceRunner, currency: string): Promise<void> {
    const prices = this.prices()!;
    this.scheduler ??= (this.o.scheduler ?? loadSolverScheduler)();
    const scheduler = await this.scheduler;
    if (this.stopped) return;
    this.fleet ??= new FleetPlanner(scheduler, this.o.clock);
    const { settings, hub } = this.o;
    const flex = this.flexLoads(this.fleet);
    const station = isStationRunner(runner);
    const runnerBattery = new RunnerBattery(runner, hub, this.o.handBack);
    const battery = station
      ? new StationBattery(runnerBattery)
      : isTeslemetryRunner(runner)
        ? new TeslaPlanBattery(runnerBattery, runner, this.o.handBack)
        : runnerBattery;
    const seat = this.fleet.seat(battery.id, station ? { viewTransform: relabelStationPlan } : {});
    const latestNumber = (key: string): number | undefined => {
      const v = hub.latest(battery.id)?.values[key];
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    };
    // The power station is planned as the scheduler's `station` asset, not as a free battery.
    const onGrid = station
      ? stationScheduler(seat.scheduler, {
          chargePowerW: () => runner.description?.capabilities.limits.maxChargeW,
          p2LoadW: () => latestNumber('load_power'),
        })
      : seat.scheduler;
    // Off-grid: the guard's backup reserve becomes the plan's soft reserve, and no force is ever sent.
    const planner =
      settings.grid === 'none'
        ? offGridScheduler(onGrid, {
            floorSocPct: settings.floorSocPct,
            reservePct: () => {
              const caps = runner.description?.capabilities;
              return caps ? this.o.guard.limitsFor(caps).backupReservePct : undefined;
            },
          })
        : onGrid;
    if (this.o.demandResponse && !this.sharedDr) {
      this.sharedDr = new SharedDemandResponse(
        this.o.demandResponse,
        (id) => this.availableDischargeW(id),
        () => this.driven.filter((d) => d.controller.isPlannable()).map((d) => d.id),
      );
    }
    const first = this.driven.length === 0;
    // One capacity option can only describe one battery: with several, each reports its own.
    const single = (settings.batteryDevices?.length ?? 1) <= 1;
    const controller = new Controller({
      device: battery,
      guard: this.o.guard,
      scheduler: planner,
      prices,
      solar: solarForPlan(this.o.inputs.solar),
      load: loadForPlan(this.o.inputs.load, () => this.measuredLoadW()),
      currency,
      battery: {
        chargeEfficiency: settings.chargeEfficiency,
        dischargeEfficiency: settings.dischargeEfficiency,
        cycleCostPerKwh: settings.cycleCostPerKwh,
        ...(settings.capacityWh === undefined || !single ? {} : { capacityWh: settings.capacityWh }),
      },
      goal: this.goalValue,
      enabled: this.enabledValue,
      clock: this.o.clock,
      // The store hands back JSON; the controller validates what it restores (zod), so the cast is safe.
      state: {
        getState: <T>(namespace: string, key: string) => this.o.state.getState(namespace, key) as T | undefined,
        putState: (namespace: string, key: string, value: unknown) => this.o.state.putState(namespace, key, value),
      },
      timeZone: this.o.timeZone,
      onListenerError: (err) => this.log.error({ err }, 'an optimiser listener failed'),
      ...(this.sharedDr ? { demandResponse: this.sharedDr.portFor(battery.id) } : {}),
      // The station's discharge is its transfer switch: the event's PI output is quantised on/off.
      ...(station ? { switchedDischarge: DEFAULT_SWITCHED_DISCHARGE } : {}),
      // Relays are switched off once, by the first battery's loop (at its floor).
      ...(this.o.curtailableRelays && first ? { curtailableRelays: this.o.curtailableRelays } : {}),
      ...(this.o.allowShifting === undefined ? {} : { allowShifting: this.o.allowShifting }),
      // The EV and the deferrable loads are the site's: every battery's re-plan carries them into the joint plan.
      ...(flex ? { planAdditions: (grid: PlanGrid) => flex.flex.planningAdditions(grid) } : {}),
    });
    seat.attach(controller);
    controller.events.on('device', ({ healthy, reason }) => {
      seat.healthChanged(healthy);
      if (healthy) this.log.info({ battery: battery.id }, 'battery back: it rejoins the plan at its re-plan');
      else this.log.warn({ battery: battery.id, reason }, 'battery planned out: the others re-plan without it');
    });
    controller.events.on('status', () => this.changed());
    controller.events.on('cost', (c) => this.o.onIntervalCost?.(runner.config.id, c));
    controller.events.on('command', ({ command, reason }) =>
      this.log.info({ battery: battery.id, command, reason }, 'plan command'),
    );
    controller.events.on('followed', ({ plan }) =>
      this.log.info(
        { battery: battery.id, intervals: plan.intervals.length },
        'plan handed to the device (tariff sync)',
      ),
    );
    controller.events.on('fallback', ({ reason }) => {
      if (reason) this.log.warn({ battery: battery.id, reason }, 'optimiser fell back to self-consumption');
      else this.log.info({ battery: battery.id }, 'optimiser back on the plan');
    });
    this.driven.push({ id: battery.id, station, controller, seat });
    this.log.info({ battery: battery.id, station }, 'optimiser started');
    await controller.start();
    this.changed();
  }

  /**
   * The EV and the deferrable loads, built with the first battery's controller: they follow the
   * fleet's joint plan (a one-battery fleet publishes its plans too), with a plan usable while any
   * battery optimises on one. undefined when none is configured.
   */
  private flexLoads(fleet: FleetPlanner): FlexLoadWiring | undefined {
    if (this.flexBuilt) return this.flex;
    this.flexBuilt = true;
    const wiring = new FlexLoadWiring({
      loads: this.o.deferrableLoads ?? [],
      evCharger: this.o.settings.evCharger,
      manager: this.o.manager,
      hub: this.o.hub,
      clock: this.o.clock,
      timeZone: this.o.timeZone,
      state: {
        getState: <T>(namespace: string, key: string) => this.o.state.getState(namespace, key) as T | undefined,
        putState: (namespace: string, key: string, value: unknown) => this.o.state.putState(namespace, key, value),
      },
      logger: this.o.logger,
      onChange: () => this.changed(),
      ...(this.o.settings.grid === 'none' ? { offGrid: this.offGridWatch() } : {}),
    });
    if (wiring.empty) {
      void wiring.stop();
      return undefined;
    }
    wiring.attach({
      onPlan: (listener) => fleet.onPlan((joint) => listener(joint.plan)),
      planUsable: () =>
        this.driven.some((d) => {
          const s = d.controller.status();
          return s.enabled && s.goal === 'cost' && s.fallbackReason === null && s.plan !== null;
        }),
      replan: () => this.forEach((c) => c.inputsChanged()),
    });
    this.flex = wiring;
    return wiring;
  }

  /** The first battery's live SOC and its reserve (the guard's backup reserve), for the loads off-grid. */
  private offGridWatch(): { socPct(): number | undefined; reservePct(): number } {
    return {
      socPct: () => this.driven[0]?.controller.currentSoc(),
      reservePct: () => {
        const id = this.driven[0]?.id;
        const caps = this.o.manager.list().find((r) => r.config.id === id)?.description?.capabilities;
        return caps ? this.o.guard.limitsFor(caps).backupReservePct : 100;
      },
    };
  }

  private changed(): void {
    this.events.emit('changed', this.view());
  }
}
