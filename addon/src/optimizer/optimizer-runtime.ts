import {
  Controller,
  DEFAULT_SWITCHED_DISCHARGE,
  type CurtailableRelay,
  type DemandResponsePort,
  type ControllerGoal,
  type ControllerStatus,
  type ForecastPoint,
  type PriceSource,
  type SafetyGuard,
} from '@sps/control';
import { TypedEmitter, type Clock } from '@sps/core';
import { loadScheduler, type Scheduler } from '@sps/scheduler';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';
import { pickBattery, RunnerBattery, type BatteryHandBack } from './battery-device.js';
import { loadForPlan, solarForPlan } from './forecast-sources.js';
import { isStationRunner, StationBattery } from './station-battery.js';
import { stationScheduler } from './station-scheduler.js';
import type { OptimizerSettings } from './optimizer-options.js';
import type { DeferrableLoadSettings } from './flex-load-options.js';
import { EV_CHARGER_DRIVER, FlexLoadWiring } from './flex-load-wiring.js';
import type { FlexLoadsStatus } from '@sps/control';

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
  /** Default `loadScheduler()` (HiGHS, loaded once). */
  readonly scheduler?: () => Promise<Scheduler>;
  /** The add-on's persistent hand-back; without it restore_normal is one plain write. */
  readonly handBack?: BatteryHandBack;
  /** Demand response (issue 11): the aggregator's calendar as the controller's directive. */
  readonly demandResponse?: DemandResponsePort;
  /** Relays the user allows to be switched off at the battery's floor during an event. */
  readonly curtailableRelays?: readonly CurtailableRelay[];
  /** aggregator.allow_shifting: deferrable loads are kept out of the event's window. */
  readonly allowShifting?: boolean;
  /** The top-level `deferrable_loads` option: loads on relays the plan schedules. */
  readonly deferrableLoads?: readonly DeferrableLoadSettings[];
}

/** What HA, the API and the page show: the controller's status, or why there is none. */
export interface OptimizerView {
  readonly running: boolean;
  /** Why the optimiser is not running (no prices, no battery yet, …); null while it runs. */
  readonly offReason: string | null;
  readonly batteryDevice: string | null;
  readonly enabled: boolean;
  readonly goal: ControllerGoal;
  readonly status: ControllerStatus | null;
  /** The EV and the deferrable loads (null when none is configured or the optimiser is not running). */
  readonly flexLoads: FlexLoadsStatus | null;
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
 * Runs the issue-5 `Controller` inside the add-on: picks the battery (configured, or the first
 * device that can force_charge once it has answered), loads the scheduler once, feeds the
 * controller price/forecast changes and every poll of the battery, and keeps a view for HA and
 * the panel. Without a tariff it stays off with the reason "no prices configured".
 */
export class OptimizerRuntime {
  readonly events: TypedEmitter<OptimizerEvents>;
  private controllerValue: Controller | undefined;
  private offReasonValue: string;
  private batteryId: string | null = null;
  private starting: Promise<void> | undefined;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;
  /** Until the controller exists, the HA switch/select still hold the user's choice. */
  private enabledValue: boolean;
  private goalValue: ControllerGoal;
  private flex: FlexLoadWiring | undefined;

  constructor(private readonly o: OptimizerRuntimeOptions) {
    this.log = o.logger.child({ component: 'optimizer' });
    this.events = new TypedEmitter<OptimizerEvents>((err) => this.log.error({ err }, 'an optimiser listener failed'));
    this.enabledValue = o.settings.enabled;
    this.goalValue = o.settings.goal;
    this.offReasonValue = o.inputs.prices ? 'waiting for a battery that can force_charge' : 'no prices configured';
  }

  get controller(): Controller | undefined {
    return this.controllerValue;
  }

  /** Starts watching for the battery; the controller starts once it has answered. Never throws. */
  start(): void {
    if (!this.o.inputs.prices || !this.o.inputs.currency) {
      this.log.info('optimiser off: no prices configured');
      return;
    }
    const { hub } = this.o;
    this.unsubscribe.push(
      hub.on('availability', ({ deviceId }) => {
        if (this.controllerValue) {
          if (deviceId === this.batteryId) this.controllerValue.readingsChanged();
        } else this.tryStart();
      }),
      hub.on('readings', ({ deviceId }) => {
        if (deviceId === this.batteryId) this.controllerValue?.readingsChanged();
      }),
      this.o.inputs.prices.on('series', () => this.controllerValue?.inputsChanged()),
    );
    for (const feed of [this.o.inputs.solar, this.o.inputs.load]) {
      if (feed) this.unsubscribe.push(feed.events.on('updated', () => this.controllerValue?.inputsChanged()));
    }
    this.tryStart();
  }

  /**
   * Stops the loop. With `handBack` (default) a forced mode in force is handed back to the battery
   * (restore_normal); the add-on's shutdown passes false and hands every device back itself.
   */
  async stop(options: { handBack?: boolean } = {}): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    await this.starting?.catch(() => undefined);
    // The loads first: the EV charger is handed back to its own charging while the plan still stands.
    await this.flex?.stop().catch((err: unknown) => this.log.warn({ err }, 'flexible loads stop failed'));
    await this.controllerValue
      ?.stop({ handBack: options.handBack ?? true })
      .catch((err: unknown) => this.log.warn({ err }, 'optimiser stop failed'));
  }

  /** An EV charger is configured (named by optimizer.ev_charger, or an ha-ev-charger device): HA shows its entities. */
  evConfigured(): boolean {
    if (!this.o.inputs.prices) return false;
    return (
      this.o.settings.evCharger !== undefined ||
      this.o.manager.list().some((r) => r.config.driver === EV_CHARGER_DRIVER)
    );
  }

  view(): OptimizerView {
    const status = this.controllerValue?.status() ?? null;
    return {
      running: this.controllerValue !== undefined,
      offReason: this.controllerValue ? null : this.offReasonValue,
      batteryDevice: this.batteryId,
      enabled: status?.enabled ?? this.enabledValue,
      goal: status?.goal ?? this.goalValue,
      status,
      flexLoads: this.controllerValue && this.flex && !this.flex.empty ? this.flex.flex.status() : null,
    };
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.enabledValue = enabled;
    if (this.controllerValue) await this.controllerValue.setEnabled(enabled);
    else this.changed();
  }

  async setGoal(goal: ControllerGoal): Promise<void> {
    this.goalValue = goal;
    if (this.controllerValue) await this.controllerValue.setGoal(goal);
    else this.changed();
  }

  /** The controller, or an error that says why there is none (for HA services). */
  require(): Controller {
    if (!this.controllerValue)
      throw new OptimizerUnavailableError(`the optimiser is not running: ${this.offReasonValue}`);
    return this.controllerValue;
  }

  private tryStart(): void {
    if (this.stopped || this.starting || this.controllerValue) return;
    const runner = pickBattery(this.o.manager.list(), this.o.settings.batteryDevice);
    // Connected (capabilities known) is not enough: until its first readings the controller would
    // only fall back with "device not answering: connecting" at every start.
    if (!runner?.description || !runner.availability.available) return;
    const { prices, currency } = this.o.inputs;
    if (!prices || !currency) return;
    this.batteryId = runner.config.id;
    this.starting = (async () => {
      const scheduler = await (this.o.scheduler ?? loadScheduler)();
      if (this.stopped) return;
      const { settings, hub } = this.o;
      const station = isStationRunner(runner);
      const runnerBattery = new RunnerBattery(runner, hub, this.o.handBack);
      const battery = station ? new StationBattery(runnerBattery) : runnerBattery;
      const latestNumber = (key: string): number | undefined => {
        const v = hub.latest(battery.id)?.values[key];
        return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
      };
      // The power station is planned as the scheduler's `station` asset, not as a free battery.
      const planner = station
        ? stationScheduler(scheduler, {
            chargePowerW: () => runner.description?.capabilities.limits.maxChargeW,
            p2LoadW: () => latestNumber('load_power'),
          })
        : scheduler;
      const measuredLoadW = (): number | undefined => {
        const v = hub.latest(battery.id)?.values['load_power'];
        return typeof v === 'number' ? v : undefined;
      };
      const flex = new FlexLoadWiring({
        loads: this.o.deferrableLoads ?? [],
        evCharger: settings.evCharger,
        manager: this.o.manager,
        hub,
        clock: this.o.clock,
        timeZone: this.o.timeZone,
        state: {
          getState: <T>(namespace: string, key: string) => this.o.state.getState(namespace, key) as T | undefined,
          putState: (namespace: string, key: string, value: unknown) => this.o.state.putState(namespace, key, value),
        },
        logger: this.o.logger,
      });
      const controller = new Controller({
        device: battery,
        guard: this.o.guard,
        scheduler: planner,
        prices,
        solar: solarForPlan(this.o.inputs.solar),
        load: loadForPlan(this.o.inputs.load, measuredLoadW),
        currency,
        battery: {
          chargeEfficiency: settings.chargeEfficiency,
          dischargeEfficiency: settings.dischargeEfficiency,
          cycleCostPerKwh: settings.cycleCostPerKwh,
          ...(settings.capacityWh === undefined ? {} : { capacityWh: settings.capacityWh }),
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
        ...(this.o.demandResponse ? { demandResponse: this.o.demandResponse } : {}),
        // The station's discharge is its transfer switch: the event's PI output is quantised on/off.
        ...(station ? { switchedDischarge: DEFAULT_SWITCHED_DISCHARGE } : {}),
        ...(this.o.curtailableRelays ? { curtailableRelays: this.o.curtailableRelays } : {}),
        ...(this.o.allowShifting === undefined ? {} : { allowShifting: this.o.allowShifting }),
        ...(flex.empty ? {} : { planAdditions: (grid) => flex.flex.planningAdditions(grid) }),
      });
      if (!flex.empty) {
        this.flex = flex;
        flex.attach({
          onPlan: (listener) => controller.events.on('plan', listener),
          planUsable: () => {
            const s = controller.status();
            return s.enabled && s.goal === 'cost' && s.fallbackReason === null && s.plan !== null;
          },
          replan: () => controller.inputsChanged(),
        });
        controller.events.on('plan', () => this.changed());
      } else await flex.stop();
      controller.events.on('status', () => this.changed());
      controller.events.on('command', ({ command, reason }) => this.log.info({ command, reason }, 'plan command'));
      controller.events.on('fallback', ({ reason }) => {
        if (reason) this.log.warn({ reason }, 'optimiser fell back to self-consumption');
        else this.log.info('optimiser back on the plan');
      });
      this.controllerValue = controller;
      this.log.info({ battery: battery.id, station }, 'optimiser started');
      await controller.start();
      this.changed();
    })()
      .catch((err: unknown) => {
        this.offReasonValue = `cannot start: ${err instanceof Error ? err.message : String(err)}`;
        this.log.error({ err }, 'optimiser cannot start');
      })
      .finally(() => (this.starting = undefined));
  }

  private changed(): void {
    this.events.emit('changed', this.view());
  }
}
