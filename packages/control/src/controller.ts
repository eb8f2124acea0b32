import {
  CommandRejectedError,
  systemClock,
  toDeviceError,
  TypedEmitter,
  type Clock,
  type Command,
  type DeviceCapabilities,
  type ReadingSet,
  type TimerHandle,
} from '@sps/core';
import type { Plan, PlanInterval, PlanOptions, Scheduler } from '@sps/scheduler';
import {
  actionOfTarget,
  commandForTarget,
  describeTarget,
  targetForInterval,
  type ControlTarget,
} from './control-target.js';
import type { ControlledDevice, KeyValueState, PowerForecastSource, PriceSource } from './controller-ports.js';
import {
  CONTROLLER_GOALS,
  type ControllerAction,
  type ControllerEvents,
  type ControllerGoal,
  type ControllerMode,
  type ControllerStatus,
} from './controller-status.js';
import { DailyCostLedger, intervalCosts } from './daily-costs.js';
import type { DemandResponseDirective, DemandResponsePort } from './demand-response.js';
import { LoadCurtailment, type CurtailableRelay } from './dr/curtailment.js';
import type { PlanGrid } from './flex/deferrable-load.js';
import {
  DemandResponseControl,
  type DemandResponseContext,
  type DemandResponseStatus,
} from './dr/demand-response-control.js';
import type { GridPiOptions, SwitchedDischargeOptions } from './dr/grid-pi.js';
import {
  describeOverride,
  overrideForPlan,
  OverrideStore,
  parseOverrideRequest,
  targetForOverride,
  type ManualOverride,
} from './manual-override.js';
import { planView, type PlanExtras } from './plan-view.js';
import { watchdogReason } from './plan-watchdog.js';
import { gatherPlanningInputs, type BatteryParameters, type GridParameters } from './planning-inputs.js';
import type { SafetyGuard } from './safety-guard.js';
import type { GuardedWrite } from './write-rate-limiter.js';
import type { EffectiveLimits } from './safety-limits.js';
import { decideWrite, type AppliedTarget, type HysteresisOptions } from './write-hysteresis.js';

const MINUTE = 60_000;

export interface ControllerOptions {
  readonly device: ControlledDevice;
  /** The one place safety limits live: every command is clamped and rate-limited by it. */
  readonly guard: SafetyGuard;
  /** From @sps/scheduler: `loadSolverScheduler()` in the add-on (a worker thread), `loadScheduler()` in tests. */
  readonly scheduler: Scheduler;
  readonly prices: PriceSource;
  readonly solar: PowerForecastSource;
  readonly load: PowerForecastSource;
  /** Currency of the prices (ISO 4217), shown with costs. */
  readonly currency: string;
  readonly battery?: BatteryParameters;
  readonly grid?: GridParameters;
  readonly goal?: ControllerGoal;
  /** The HA "optimisation" switch. Default true. */
  readonly enabled?: boolean;
  readonly clock?: Clock;
  /** Persists manual overrides across restarts. */
  readonly state?: KeyValueState;
  /** IANA zone of "today" and of clock times in reasons. Default UTC. */
  readonly timeZone?: string;
  /** Plan resolution, minutes (5, 15, 30 or 60). Default 5. */
  readonly intervalMinutes?: 5 | 15 | 30 | 60;
  /** Default 48. */
  readonly horizonHours?: number;
  /** Prices/forecasts covering less than this ahead count as missing. Default 120 min. */
  readonly minHorizonMinutes?: number;
  /** Re-plan period, ms. Default 5 min. */
  readonly replanEveryMs?: number;
  /** How often the loop looks at the clock (interval boundaries, staleness, override ends), ms. Default 1 min. */
  readonly tickMs?: number;
  /** Changes of prices/forecasts/device state are collected this long before re-planning, ms. Default 5 s. */
  readonly debounceMs?: number;
  /** Default 15 min. */
  readonly maxPlanAgeMs?: number;
  /**
   * A device that refuses a forced write (rejected/unsupported) is handed back to its own mode for
   * this long before the plan tries it again, ms (a fleet plans it out meanwhile). Default 15 min.
   */
  readonly refusalHoldMs?: number;
  /** Readings older than this mean the device stopped answering, ms. Default 3 min. */
  readonly deviceStaleMs?: number;
  /** A SOC this far (points) from the plan's expectation triggers a re-plan. Default 5. */
  readonly socReplanThresholdPct?: number;
  readonly hysteresis?: HysteresisOptions;
  /** Passed to the scheduler (time limit default 5 s, smoothing, …). */
  readonly planOptions?: Omit<PlanOptions, 'now' | 'timeZone'>;
  /** Errors thrown by event listeners (never propagated). */
  readonly onListenerError?: (err: unknown) => void;
  /**
   * Demand response (issue 11): the event calendar as a directive. `upcoming` adds an energy target
   * to the plan, `ongoing` runs the grid PI, `post_event` ramps back. Without it: prices only.
   */
  readonly demandResponse?: DemandResponsePort;
  /** Tuning of the event's PI loop (period 15 s, gains, dead band, minimum change). */
  readonly gridPi?: Partial<GridPiOptions>;
  /** The battery's discharge is a relay (the power station): the PI's output is quantised on/off. */
  readonly switchedDischarge?: SwitchedDischargeOptions;
  /** Relays the user allows to be switched off when the battery reaches its floor in an event. */
  readonly curtailableRelays?: readonly CurtailableRelay[];
  /** allow_shifting: the plan keeps deferrable loads out of the event's window. */
  readonly allowShifting?: boolean;
  /**
   * More assets for each scenario on the plan's grid: the EV and the deferrable loads
   * (`FlexLoads.planningAdditions`), co-optimised with the battery.
   */
  readonly planAdditions?: (grid: PlanGrid) => Record<string, unknown>;
}

interface Trigger {
  readonly replan: boolean;
  /** A safety-relevant change: skip the minimum action hold time. */
  readonly urgent: boolean;
  /** A control period of the demand-response loop (its own timer). */
  readonly piTick?: boolean;
}

interface Decision {
  readonly mode: ControllerMode;
  /** null: leave the device alone. */
  readonly target: ControlTarget | null;
  readonly reason: string;
  readonly urgent: boolean;
  /** Start of the plan interval the target comes from (hysteresis keeps its power for the interval). */
  readonly intervalStart?: number;
  /** The DR loop decided (its own minimum change applies, not the plan's hysteresis). */
  readonly loop?: boolean;
}

interface AppliedCommand extends AppliedTarget {
  readonly command: Command;
}

/**
 * Model predictive control of one battery. Every `replanEveryMs` (5 min) and whenever prices,
 * forecasts or the device's state change (debounced), it re-plans from the current SOC with the
 * scheduler and turns the current plan interval into a device command — through the SafetyGuard,
 * and only when the target really changes (hysteresis). A watchdog hands the battery back to its
 * own self-consumption mode when the plan is stale, inputs are missing or the device stops
 * answering; manual overrides win for their duration. Pure logic: everything is injected.
 */
export class Controller {
  readonly events: TypedEmitter<ControllerEvents>;
  private readonly o: ControllerOptions;
  private readonly clock: Clock;
  private readonly timeZone: string;
  private readonly overrides: OverrideStore;
  private readonly ledger: DailyCostLedger;
  private goalValue: ControllerGoal;
  private enabledValue: boolean;
  private override: ManualOverride | null = null;
  private plan: Plan | null = null;
  private planAt: number | null = null;
  private planStartSoc: number | null = null;
  /** Forecasts and baseline cost per interval of the plan in force (for the plan view). */
  private planExtras: PlanExtras | null = null;
  private inputsMissing: { kind: 'prices' | 'forecasts' | 'battery'; reason: string } | null = null;
  private applied: AppliedCommand | undefined;
  private mode: ControllerMode | null = null;
  private reason = 'starting';
  private fallbackReason: string | null = null;
  private lastError: { message: string; at: string } | null = null;
  /** A write failed because the device did not answer; cleared by newer readings or a successful write. */
  private deviceFailure: { reason: string; at: number } | null = null;
  /** The plan in force came from another fleet member's solve (`adoptPlan`). */
  private planAdopted = false;
  /** The plan the device follows by itself (`ControlledDevice.followPlan`), null after any command. */
  private planFollowed: Plan | null = null;
  /** The device refused a forced write (a refusal, not a busy answer): handed back until `until`. */
  private writeRefused: { reason: string; until: number } | null = null;
  private deviceWasHealthy = true;
  /** The plan interval whose power has been settled (see decideWrite). */
  private powerSettledFor: number | null = null;
  private lastAvailable: boolean | undefined;
  private lastStatusKey = '';
  private queue: Promise<void> = Promise.resolve();
  private ticker: TimerHandle | null = null;
  private debounce: TimerHandle | null = null;
  private overrideTimer: TimerHandle | null = null;
  /** Fires when the plan in force is `replanEveryMs` old, so a plan made between ticks is not kept a tick longer. */
  private replanTimer: TimerHandle | null = null;
  private running = false;
  /** The demand-response layer (null without a port). */
  private readonly dr: DemandResponseControl | null;
  private directiveValue: DemandResponseDirective = { mode: 'normal' };
  private directiveKey = 'normal';
  /** The DR loop's own timer, running while an event is ongoing or ramping. */
  private piTimer: TimerHandle | null = null;

  constructor(options: ControllerOptions) {
    const goal = options.goal ?? 'cost';
    if (!CONTROLLER_GOALS.includes(goal)) throw new Error(`goal: must be one of ${CONTROLLER_GOALS.join(', ')}`);
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.timeZone = options.timeZone ?? 'UTC';
    this.goalValue = goal;
    this.enabledValue = options.enabled ?? true;
    this.events = new TypedEmitter<ControllerEvents>(options.onListenerError);
    this.overrides = new OverrideStore(options.state, options.device.id);
    this.ledger = new DailyCostLedger(this.timeZone);
    this.dr = options.demandResponse
      ? new DemandResponseControl({
          ...(options.gridPi ? { pi: options.gridPi } : {}),
          ...(options.switchedDischarge ? { switchedDischarge: options.switchedDischarge } : {}),
          ...(options.curtailableRelays && options.curtailableRelays.length > 0
            ? {
                curtailment: new LoadCurtailment({
                  relays: options.curtailableRelays,
                  ...(options.state ? { state: options.state } : {}),
                }),
              }
            : {}),
        })
      : null;
  }

  // ─── lifecycle ────────────────────────────────────────────────────────────

  /** Restores a persisted override, plans and acts at once, then every tick. */
  start(): Promise<void> {
    if (this.running) return this.queue;
    this.running = true;
    this.setOverride(this.overrides.load(this.clock.now()));
    this.ticker = this.clock.setInterval(() => void this.enqueue({ replan: false, urgent: false }), this.tickMs);
    return this.enqueue({ replan: true, urgent: true });
  }

  /**
   * Stops the loop. With `handBack` (default) a forced mode in force is ended (restore_normal):
   * an inverter must not keep force-charging after the add-on is gone.
   */
  async stop(options: { handBack?: boolean } = {}): Promise<void> {
    this.running = false;
    this.ticker?.cancel();
    this.debounce?.cancel();
    this.overrideTimer?.cancel();
    this.replanTimer?.cancel();
    this.piTimer?.cancel();
    this.ticker = this.debounce = this.overrideTimer = this.replanTimer = this.piTimer = null;
    await this.queue;
    // Relays switched off for an event go back on with the battery (a restart finds any refused).
    if ((options.handBack ?? true) && this.dr?.curtailment?.pending) {
      await this.dr.curtailment
        .restore()
        .catch((err: unknown) => this.noteError(err, 'switching relays back on failed'));
    }
    const forced = (this.applied && this.applied.target.kind !== 'self_consumption') || this.planFollowed !== null;
    if ((options.handBack ?? true) && forced) {
      const caps = this.capabilitiesOrNull();
      if (caps) {
        this.queue = this.apply({ kind: 'self_consumption' }, caps, undefined, true, 'controller stopped').catch(
          (err: unknown) => this.noteError(err),
        );
        await this.queue;
      }
    }
  }

  // ─── a member of a fleet (FleetPlanner) ─────────────────────────────────────

  /**
   * This battery's view of a joint plan another battery's re-plan produced: it becomes the plan in
   * force (as if this controller had planned it now) and the current interval is acted on.
   */
  adoptPlan(plan: Plan): void {
    void this.enqueueStep(() => {
      if (!this.running) return false;
      const now = this.clock.now();
      this.plan = plan;
      this.planAt = now;
      this.planAdopted = true;
      this.planStartSoc = socOf(this.o.device.latestReadings()) ?? this.planStartSoc;
      this.armReplanTimer();
      this.events.emit('plan', plan);
      return true;
    });
  }

  /** Whether a joint plan may count on this battery now: running, following prices, device healthy. */
  isPlannable(): boolean {
    return this.running && this.enabledValue && this.goalValue === 'cost' && this.deviceWasHealthy;
  }

  /** The battery's SOC in its newest readings, %. */
  currentSoc(): number | undefined {
    return socOf(this.o.device.latestReadings());
  }

  /** Resolves when every cycle queued so far has finished (tests, `optimize_now`). */
  whenIdle(): Promise<void> {
    return this.queue;
  }

  // ─── inputs from the add-on ───────────────────────────────────────────────

  /** Prices or forecasts changed (PriceService `series`, a new forecast): re-plan soon. */
  inputsChanged(): void {
    this.requestReplan();
  }

  /**
   * The demand-response calendar changed (an event received, started, ended, cancelled, opted
   * out): re-plan soon (debounced). Mode changes are also seen at every cycle from the directive.
   */
  demandResponseChanged(): void {
    this.requestReplan();
  }

  /**
   * New readings arrived (the add-on calls this after each poll). Re-plans when the device came
   * back or went away, or when the SOC strays from what the plan expected.
   */
  readingsChanged(): void {
    const available = this.o.device.availability()?.available;
    if (available !== this.lastAvailable) {
      this.lastAvailable = available;
      this.requestReplan();
      return;
    }
    // During an event the battery follows the meter, not the plan: its SOC is expected to stray.
    if (this.directiveValue.mode === 'ongoing' || this.directiveValue.mode === 'post_event') return;
    const soc = socOf(this.o.device.latestReadings());
    const expected = this.expectedSoc(this.clock.now());
    if (soc !== undefined && expected !== undefined) {
      if (Math.abs(soc - expected) > (this.o.socReplanThresholdPct ?? 5)) this.requestReplan();
    }
  }

  /** The HA service optimize_now: plan and act now; resolves with the status after it. */
  async optimizeNow(): Promise<ControllerStatus> {
    await this.enqueue({ replan: true, urgent: false });
    return this.status();
  }

  setGoal(goal: ControllerGoal): Promise<void> {
    if (!CONTROLLER_GOALS.includes(goal)) {
      return Promise.reject(new Error(`goal: must be one of ${CONTROLLER_GOALS.join(', ')}`));
    }
    this.goalValue = goal;
    return this.enqueue({ replan: true, urgent: true });
  }

  /** The HA optimisation switch. Off = the controller hands the battery back once and then writes nothing. */
  setEnabled(enabled: boolean): Promise<void> {
    this.enabledValue = enabled;
    return this.enqueue({ replan: true, urgent: true });
  }

  /**
   * A manual override (HA services force_charge / force_discharge / hold_soc): `{ kind, power_w?,
   * soc_pct? (hold_soc), duration_minutes }`. Validated (OverrideRequestError names the field),
   * persisted, in force at once, and an input of the plan: it re-plans at once, around the
   * override (and again when it ends or is cleared).
   */
  async startOverride(request: unknown): Promise<ManualOverride> {
    const soc = socOf(this.o.device.latestReadings());
    const o = parseOverrideRequest(request, this.clock.now(), soc);
    // A power the person asked for is checked, not clamped: past a limit they get the guard's reason
    // (e.g. "power_w: 9000 W exceeds the maximum charge power of 5000 W") instead of a silent 5 kW.
    if (o.power_w !== undefined && (o.kind === 'force_charge' || o.kind === 'force_discharge')) {
      this.o.guard.check(
        { type: o.kind, power_w: o.power_w },
        this.o.device.capabilities(),
        soc === undefined ? {} : { batterySocPct: soc },
      );
    }
    this.overrides.save(o);
    this.setOverride(o);
    await this.enqueue({ replan: true, urgent: true });
    return o;
  }

  async clearOverride(): Promise<void> {
    this.overrides.save(null);
    this.setOverride(null);
    await this.enqueue({ replan: true, urgent: true });
  }

  get goal(): ControllerGoal {
    return this.goalValue;
  }

  get enabled(): boolean {
    return this.enabledValue;
  }

  // ─── status ───────────────────────────────────────────────────────────────

  status(): ControllerStatus {
    const now = this.clock.now();
    const mode = this.mode ?? 'off';
    const current = this.plan ? intervalAt(this.plan, now) : undefined;
    const action: ControllerAction =
      mode === 'off' ? 'OFF' : mode === 'optimising' && current ? current.interval.action : this.decidedAction();
    const today = this.plan || mode === 'optimising' ? this.ledger.today(now) : null;
    return {
      enabled: this.enabledValue,
      goal: this.goalValue,
      mode,
      current: {
        action,
        reason: this.reason,
        command: this.applied?.command ?? null,
        since: this.applied ? new Date(this.applied.since).toISOString() : null,
      },
      next: this.nextAction(mode, current),
      today: today ? { ...today, currency: this.o.currency } : null,
      plan: planView(this.plan, this.planExtras),
      planAt: this.planAt === null ? null : new Date(this.planAt).toISOString(),
      override: this.override,
      fallbackReason: this.fallbackReason,
      lastError: this.lastError,
      demandResponse: this.demandResponseStatus(),
      updatedAt: new Date(now).toISOString(),
    };
  }

  private demandResponseStatus(): DemandResponseStatus | null {
    if (!this.dr) return null;
    const s = this.dr.status();
    if (this.override && s.mode !== 'normal') return { ...s, reason: `manual override in force (${s.reason})` };
    return s;
  }

  // ─── the loop ─────────────────────────────────────────────────────────────

  private get tickMs(): number {
    return this.o.tickMs ?? MINUTE;
  }

  /** Runs `step` in the queue, then a cycle when it returns true. */
  private enqueueStep(step: () => boolean): Promise<void> {
    const run = this.queue
      .then(async () => {
        if (step()) await this.cycle({ replan: false, urgent: false });
      })
      .catch((err: unknown) => this.noteError(err));
    this.queue = run;
    return run;
  }

  private armReplanTimer(): void {
    this.replanTimer?.cancel();
    this.replanTimer = this.running
      ? this.clock.setTimeout(() => void this.enqueue({ replan: false, urgent: false }), this.replanPeriodMs())
      : null;
  }

  /**
   * Re-plan period. A plan adopted from a fleet waits a tick longer: the member that solved it
   * re-plans first and hands this one its view, so a fleet makes one joint solve per period, not
   * one per battery (a solve holds the event loop; two in a row can make device polls time out).
   */
  private replanPeriodMs(): number {
    return (this.o.replanEveryMs ?? 5 * MINUTE) + (this.planAdopted ? this.tickMs : 0);
  }

  private enqueue(trigger: Trigger): Promise<void> {
    const run = this.queue.then(() => this.cycle(trigger)).catch((err: unknown) => this.noteError(err));
    this.queue = run;
    return run;
  }

  private requestReplan(): void {
    if (this.debounce || !this.running) return;
    this.debounce = this.clock.setTimeout(() => {
      this.debounce = null;
      void this.enqueue({ replan: true, urgent: false });
    }, this.o.debounceMs ?? 5000);
  }

  private setOverride(o: ManualOverride | null): void {
    this.override = o;
    this.overrideTimer?.cancel();
    this.overrideTimer = null;
    if (o && this.running) {
      // Ends exactly on time rather than at the next tick.
      const ms = Math.max(0, Date.parse(o.until) - this.clock.now());
      this.overrideTimer = this.clock.setTimeout(() => void this.enqueue({ replan: true, urgent: true }), ms);
    }
  }

  private async cycle(trigger: Trigger): Promise<void> {
    // Nothing is written before start() or after stop() (stop's own hand-back aside).
    if (!this.running) return;
    const now = this.clock.now();
    let urgent = trigger.urgent;
    let replanNow = trigger.replan;
    if (this.dr) {
      this.directiveValue = this.readDirective(now);
      const key = directiveKey(this.directiveValue);
      if (key !== this.directiveKey) {
        // A new mode or event changes the plan (target, exclusions) and the target at once.
        this.directiveKey = key;
        replanNow = true;
        urgent = true;
      }
    }
    if (this.override && Date.parse(this.override.until) <= now) {
      this.overrides.save(null);
      this.setOverride(null);
      urgent = true;
      // The plan held the override as an input: the intervals after it are planned afresh.
      replanNow = true;
    }
    const caps = this.capabilitiesOrNull();
    const readings = this.o.device.latestReadings();
    const soc = socOf(readings);
    const deviceProblem = this.deviceProblem(now, caps, readings, soc);
    if (deviceProblem === null && !this.deviceWasHealthy) {
      // Back after an outage: what the device does now is unknown, so the next target is written afresh.
      this.applied = undefined;
      this.o.guard.forgetLastWrite(this.o.device.id);
      urgent = true;
    }
    if ((deviceProblem === null) !== this.deviceWasHealthy) {
      this.deviceWasHealthy = deviceProblem === null;
      this.events.emit('device', {
        healthy: deviceProblem === null,
        reason: deviceProblem,
        at: new Date(now).toISOString(),
      });
    }
    const limits = caps ? this.o.guard.limitsFor(caps) : null;
    const optimising = this.enabledValue && this.goalValue === 'cost';

    let pricesMissing: string | null = null;
    if (optimising) {
      const coverage = this.o.prices.coverage(now);
      if (coverage.fallback) pricesMissing = coverage.reason ?? 'no price covers now';
      const due =
        replanNow || this.planAt === null || now - this.planAt >= this.replanPeriodMs() || this.mode === 'fallback';
      if (due && pricesMissing === null && deviceProblem === null && caps && limits && soc !== undefined) {
        await this.replan(now, soc, caps, limits);
      }
    } else {
      this.plan = null;
      this.planAt = null;
      this.planExtras = null;
      this.inputsMissing = null;
      this.ledger.clearAhead();
    }

    const planned = this.decide(now, {
      deviceProblem,
      pricesMissing: pricesMissing ?? (this.inputsMissing?.kind === 'prices' ? this.inputsMissing.reason : null),
      forecastsMissing: this.inputsMissing && this.inputsMissing.kind !== 'prices' ? this.inputsMissing.reason : null,
      soc,
      limits,
      readings,
    });
    const drContext =
      this.dr && deviceProblem === null && limits
        ? this.drContext(now, trigger.piTick === true, soc, limits, readings)
        : null;
    const decision = drContext ? this.withDemandResponse(planned, drContext) : planned;
    const modeChanged = decision.mode !== this.mode;
    if (modeChanged) this.powerSettledFor = null;
    this.noteFallback(decision.mode === 'fallback' ? decision.reason.replace(/^fallback: /, '') : null, now);
    this.mode = decision.mode;
    this.reason = decision.reason;

    if (decision.target === null) {
      // Off: hand a forced battery back once, then leave the device alone.
      if (((this.applied && this.applied.target.kind !== 'self_consumption') || this.planFollowed) && caps) {
        await this.apply({ kind: 'self_consumption' }, caps, soc, true, decision.reason);
      }
      this.applied = undefined;
      this.planFollowed = null;
    } else if (caps && decision.mode === 'optimising' && this.o.device.followPlan && this.plan) {
      await this.follow(this.plan, decision.reason);
    } else if (caps) {
      await this.apply(
        decision.target,
        caps,
        soc,
        urgent || decision.urgent || modeChanged,
        decision.reason,
        decision.intervalStart,
        decision.loop ? this.loopHysteresis() : undefined,
      );
    }
    if (this.dr) await this.afterDemandResponse(drContext);
    this.publish();
  }

  // ─── demand response ──────────────────────────────────────────────────────

  private readDirective(now: number): DemandResponseDirective {
    try {
      return this.o.demandResponse?.directive(now) ?? { mode: 'normal' };
    } catch (err) {
      // A broken calendar must not stop the battery plan: no event, and the error is shown.
      this.noteError(err, 'demand-response directive failed');
      return { mode: 'normal' };
    }
  }

  private drContext(
    now: number,
    piTick: boolean,
    soc: number | undefined,
    limits: EffectiveLimits,
    readings: ReadingSet | undefined,
  ): DemandResponseContext {
    let measurement: ReturnType<DemandResponsePort['gridImport']>;
    try {
      measurement = this.o.demandResponse?.gridImport();
    } catch (err) {
      this.noteError(err, 'grid measurement failed');
      measurement = undefined;
    }
    const caps = [limits.maxDischargeW, this.o.battery?.maxDischargeW, this.exportCapW(limits, readings)];
    const maxDischargeW = Math.max(0, Math.min(...caps.filter((v): v is number => v !== undefined)));
    return {
      now,
      directive: this.directiveValue,
      piTick,
      measurement:
        measurement && Number.isFinite(measurement.w) && Number.isFinite(measurement.atMs) ? measurement : undefined,
      socPct: soc,
      reservePct: limits.backupReservePct,
      maxDischargeW: Number.isFinite(maxDischargeW) ? maxDischargeW : 0,
      batteryPowerW: numberOf(readings, 'battery_power'),
      applied: this.applied?.target,
      appliedAtMs: this.applied?.since,
    };
  }

  /**
   * The DR layer over the plan's decision. Manual overrides, the optimisation switch/goal off and
   * a device that does not answer win; so does the plan when the grid measurement is stale.
   */
  private withDemandResponse(planned: Decision, ctx: DemandResponseContext): Decision {
    const dr = this.dr!;
    if (planned.mode === 'override' || planned.mode === 'off') {
      dr.suspend(ctx.directive, planned.mode === 'override' ? 'a manual override wins' : planned.reason);
      return planned;
    }
    const out = dr.decide(ctx, {
      target: planned.target,
      reason: planned.reason,
      following: planned.mode === 'optimising',
    });
    if (out.kind === 'plan') {
      return out.reason ? { ...planned, reason: `${out.reason}: ${planned.reason}` } : planned;
    }
    // The export limit holds for the loop's discharge as for the plan's (the guard cannot see the load).
    return { mode: 'demand_response', target: out.target, reason: out.reason, urgent: false, loop: true };
  }

  /** The loop writes what it decided: its own minimum change, no plan-interval hold. */
  private loopHysteresis(): HysteresisOptions {
    return { minPowerChangeW: 1, minPowerChangeShare: 0, minActionHoldMs: 0 };
  }

  /** After the write: the loop's timer, curtailment at the floor, switching back after the event. */
  private async afterDemandResponse(ctx: DemandResponseContext | null): Promise<void> {
    const dr = this.dr!;
    const mode = this.directiveValue.mode;
    const looping = this.running && (mode === 'ongoing' || mode === 'post_event') && this.override === null;
    if (looping && !this.piTimer) {
      this.piTimer = this.clock.setInterval(
        () => void this.enqueue({ replan: false, urgent: false, piTick: true }),
        dr.periodMs,
      );
    } else if (!looping && this.piTimer) {
      this.piTimer.cancel();
      this.piTimer = null;
    }
    const curtailment = dr.curtailment;
    if (!curtailment) return;
    const d = this.directiveValue;
    if (d.mode === 'ongoing' && this.override === null) {
      curtailment.watch();
      if (ctx && ctx.piTick && dr.needsCurtailment(ctx)) await curtailment.curtailOne(d.eventId);
    } else if (curtailment.pending) {
      // The event is over (or opted out, or a restart found it over): exactly ours back on.
      await curtailment.restore();
    }
  }

  /** Most the battery may discharge without the site exporting above the export limit, W. */
  private exportCapW(limits: EffectiveLimits | null, readings: ReadingSet | undefined): number | undefined {
    const limit = [limits?.maxExportW, this.o.grid?.maxExportW].filter((v): v is number => v !== undefined);
    if (limit.length === 0) return undefined;
    const load = numberOf(readings, 'load_power') ?? 0;
    const pv = numberOf(readings, 'pv_power') ?? 0;
    return Math.max(0, Math.min(...limit) + load - pv);
  }

  private decide(
    now: number,
    f: {
      deviceProblem: string | null;
      pricesMissing: string | null;
      forecastsMissing: string | null;
      soc: number | undefined;
      limits: EffectiveLimits | null;
      readings: ReadingSet | undefined;
    },
  ): Decision {
    if (this.override) {
      const target = targetForOverride(this.override, f.soc, f.limits?.maxChargeW, f.limits?.maxDischargeW);
      return { mode: 'override', target, reason: describeOverride(this.override), urgent: true };
    }
    if (!this.enabledValue || this.goalValue === 'off') {
      return {
        mode: 'off',
        target: null,
        reason: this.enabledValue ? 'goal: off' : 'optimisation disabled',
        urgent: true,
      };
    }
    if (this.goalValue === 'self_consumption') {
      return {
        mode: 'self_consumption',
        target: { kind: 'self_consumption' },
        reason: 'goal: self-consumption',
        urgent: true,
      };
    }
    const current = this.plan ? intervalAt(this.plan, now) : undefined;
    const why = watchdogReason(
      {
        now,
        deviceProblem: f.deviceProblem,
        pricesMissing: f.pricesMissing,
        forecastsMissing: f.forecastsMissing,
        planAt: this.planAt,
        planUnusable: this.planUnusable(current),
      },
      this.o.maxPlanAgeMs === undefined ? {} : { maxPlanAgeMs: this.o.maxPlanAgeMs },
    );
    if (why !== null || !current) {
      return {
        mode: 'fallback',
        target: { kind: 'self_consumption' },
        reason: `fallback: ${why ?? 'the plan has no interval for now'}`,
        urgent: true,
      };
    }
    const planned = targetForInterval(current.interval);
    const target = planned.kind === 'discharge' ? this.withinExportLimit(planned, f.limits, f.readings) : planned;
    // Lowering a discharge to respect the export limit is a safety change: not held back by hysteresis.
    const exportClamped =
      target.kind === 'discharge' &&
      this.applied?.target.kind === 'discharge' &&
      target.powerW < this.applied.target.powerW &&
      planned.kind === 'discharge' &&
      target.powerW < planned.powerW;
    return {
      mode: 'optimising',
      target,
      reason: current.interval.reason,
      urgent: exportClamped,
      intervalStart: Date.parse(current.interval.start),
    };
  }

  /**
   * The guard cannot know the house's load, so the export limit on a forced discharge is kept
   * here: export = PV + discharge − load must stay ≤ the limit (the inverter's own export limit,
   * when set, is the hardware backstop).
   */
  private withinExportLimit(
    target: { kind: 'discharge'; powerW: number },
    limits: EffectiveLimits | null,
    readings: ReadingSet | undefined,
  ): ControlTarget {
    const limit = [limits?.maxExportW, this.o.grid?.maxExportW].filter((v): v is number => v !== undefined);
    if (limit.length === 0) return target;
    const load = numberOf(readings, 'load_power') ?? 0;
    const pv = numberOf(readings, 'pv_power') ?? 0;
    const cap = Math.min(...limit) + load - pv;
    if (target.powerW <= cap) return target;
    return { kind: 'discharge', powerW: Math.max(0, Math.floor(cap / 10) * 10) };
  }

  private planUnusable(current: { interval: PlanInterval } | undefined): string | null {
    if (!this.plan) return null;
    if (this.plan.status === 'infeasible' || this.plan.status === 'fallback_self_consumption') {
      return `the scheduler found no usable plan (${this.plan.status}): ${this.plan.reason ?? 'no reason given'}`;
    }
    if (!current) return 'the plan has no interval for now';
    return null;
  }

  private async replan(now: number, soc: number, caps: DeviceCapabilities, limits: EffectiveLimits): Promise<void> {
    const inputs = await gatherPlanningInputs({
      now,
      socPct: soc,
      currency: this.o.currency,
      intervalMinutes: this.o.intervalMinutes ?? 5,
      horizonHours: this.o.horizonHours ?? 48,
      minHorizonMinutes: this.o.minHorizonMinutes ?? 120,
      prices: this.o.prices,
      solar: this.o.solar,
      load: this.o.load,
      battery: this.o.battery ?? {},
      grid: this.o.grid ?? {},
      limits,
      deviceCapacityWh: caps.limits.capacityWh,
    });
    if (!inputs.ok) {
      this.inputsMissing = { kind: inputs.missing, reason: inputs.reason };
      return;
    }
    this.inputsMissing = null;
    if (this.o.planAdditions) {
      const stepMs = (this.o.intervalMinutes ?? 5) * MINUTE;
      try {
        Object.assign(
          inputs.scenario,
          this.o.planAdditions({ fromMs: Math.floor(now / stepMs) * stepMs, stepMs, intervals: inputs.intervals }),
        );
      } catch (err) {
        // The battery's plan goes on without the loads; their policies' backstops still hold.
        this.noteError(err, 'the EV and deferrable loads could not be added to the plan');
      }
    }
    if (this.override) {
      // The manual override is an input of the plan: its intervals are fixed, the rest is optimised around it.
      const stepMs = (this.o.intervalMinutes ?? 5) * MINUTE;
      const entry = overrideForPlan(this.override, {
        fromMs: Math.floor(now / stepMs) * stepMs,
        stepMs,
        intervals: inputs.intervals,
        socPct: soc,
        maxChargeW: limits.maxChargeW,
        maxDischargeW: limits.maxDischargeW,
      });
      if (entry) inputs.scenario['battery_overrides'] = [entry];
    }
    if (this.dr) {
      const stepMs = (this.o.intervalMinutes ?? 5) * MINUTE;
      const additions = this.dr.planningAdditions(
        this.directiveValue,
        { fromMs: Math.floor(now / stepMs) * stepMs, stepMs, intervals: inputs.intervals },
        this.o.allowShifting ?? false,
      );
      Object.assign(inputs.scenario, additions);
    }
    let plan: Plan;
    try {
      plan = await this.o.scheduler.plan(inputs.scenario, {
        timeLimitMs: 5000,
        ...this.o.planOptions,
        now: new Date(now),
        timeZone: this.timeZone,
      });
    } catch (err) {
      // The plan in force stays until it is stale; the watchdog then falls back.
      this.noteError(err, 'planning failed');
      return;
    }
    // The loads must never cost the battery its plan (a window a demand-response event blocks, minimum
    // on/off times that no longer fit): planned without them, they keep their policies' deadline backstops.
    const flexible = ['ev', 'deferrable_loads'].filter((key) => key in inputs.scenario);
    if (plan.status === 'infeasible' && flexible.length > 0) {
      this.noteError(new Error(plan.reason ?? 'infeasible'), 'the EV and deferrable loads made the plan infeasible');
      for (const key of flexible) delete inputs.scenario[key];
      try {
        plan = await this.o.scheduler.plan(inputs.scenario, {
          timeLimitMs: 5000,
          ...this.o.planOptions,
          now: new Date(now),
          timeZone: this.timeZone,
        });
      } catch (err) {
        this.noteError(err, 'planning failed');
        return;
      }
    }
    this.plan = plan;
    this.planAt = now;
    this.planAdopted = false;
    this.planStartSoc = soc;
    this.dr?.notePlanShortfall(plan.energy_targets?.[0]?.shortfall_kwh ?? null);
    this.armReplanTimer();
    this.planExtras = null;
    if (plan.intervals.length > 0) {
      try {
        const costs = intervalCosts(plan, inputs.scenario, now);
        this.ledger.record(now, costs);
        const current = costs[0];
        if (current) this.events.emit('cost', { ...current, currency: this.o.currency });
        this.planExtras = {
          pvKw: numbers(inputs.scenario['solar_kw']),
          loadKw: numbers(inputs.scenario['load_kw']),
          baselineCost: costs.map((c) => c.baseline),
        };
      } catch (err) {
        this.noteError(err, 'cost accounting failed');
      }
    }
    this.events.emit('plan', plan);
  }

  /** Hands a new plan to a device that follows plans by itself (once per plan). Never throws. */
  private async follow(plan: Plan, reason: string): Promise<void> {
    if (this.planFollowed === plan || !this.o.device.followPlan) return;
    const now = this.clock.now();
    try {
      await this.o.device.followPlan(plan);
    } catch (err) {
      const e = toDeviceError(err);
      if (!e.deviceAnswered) this.deviceFailure = { reason: e.reason, at: now };
      else if (e.isRefusal) {
        this.writeRefused = {
          reason: `following the plan refused: ${e.reason}`,
          until: now + (this.o.refusalHoldMs ?? 15 * MINUTE),
        };
      }
      this.noteError(e, 'following the plan failed');
      return;
    }
    this.planFollowed = plan;
    // What the device does now is its plan: the next command (override, fallback) is written afresh.
    this.applied = undefined;
    this.deviceFailure = null;
    this.events.emit('followed', { plan, reason, at: new Date(now).toISOString() });
  }

  /** Writes `target` unless hysteresis says it is not worth a write. Never throws. */
  private async apply(
    target: ControlTarget,
    caps: DeviceCapabilities,
    soc: number | undefined,
    urgent: boolean,
    reason: string,
    intervalStart?: number,
    hysteresisOverride?: HysteresisOptions,
  ): Promise<void> {
    const now = this.clock.now();
    // "Keep an action for at least one interval": the plan's own interval length.
    const hysteresis = hysteresisOverride ?? {
      minActionHoldMs: (this.o.intervalMinutes ?? 5) * MINUTE,
      ...this.o.hysteresis,
    };
    const powerSettled = intervalStart !== undefined && this.powerSettledFor === intervalStart;
    if (intervalStart !== undefined) this.powerSettledFor = intervalStart;
    const decision = decideWrite(this.applied, target, now, urgent, hysteresis, powerSettled);
    if (!decision.write) return;
    let command: Command;
    try {
      command = this.o.guard.clamp(
        commandForTarget(target, caps),
        caps,
        soc === undefined ? {} : { batterySocPct: soc },
      );
    } catch (err) {
      // E.g. a discharge at the backup reserve: the battery's own mode is the safe thing instead.
      this.noteError(err, `${describeTarget(target)} refused by the safety guard`);
      if (target.kind !== 'self_consumption') {
        this.reason = `${reason} — refused by the safety guard, self-consumption instead`;
        await this.apply({ kind: 'self_consumption' }, caps, soc, true, this.reason);
      }
      return;
    }
    const applied = appliedTargetOf(target, command);
    let written: GuardedWrite;
    try {
      // Admission and the budget's slot are one step with the write: a user's command arriving
      // while this one is in flight is counted against the same budget (or joins this write).
      written = await this.o.guard.write(this.o.device.id, command, () => this.o.device.execute(command));
    } catch (err) {
      if (err instanceof CommandRejectedError) {
        this.noteError(err, 'write postponed');
        return;
      }
      const e = toDeviceError(err);
      // A refusal or a busy answer (e.g. a relay inside its minimum on/off time) is no device failure.
      if (!e.deviceAnswered) this.deviceFailure = { reason: e.reason, at: now };
      // A refused forced command will be refused again: the battery's own mode for a while instead.
      else if (e.isRefusal && command.type !== 'restore_normal') {
        this.writeRefused = {
          reason: `${command.type} refused: ${e.reason}`,
          until: now + (this.o.refusalHoldMs ?? 15 * MINUTE),
        };
      }
      this.noteError(e, `${command.type} failed`);
      return;
    }
    this.applied = { target: applied, command, since: now };
    this.planFollowed = null;
    if (written.status === 'duplicate') return;
    this.deviceFailure = null;
    this.events.emit('command', { command, outcome: written.outcome, reason, at: new Date(now).toISOString() });
  }

  private deviceProblem(
    now: number,
    caps: DeviceCapabilities | null,
    readings: ReadingSet | undefined,
    soc: number | undefined,
  ): string | null {
    if (!caps) return 'not connected (no description yet)';
    if (this.writeRefused && now >= this.writeRefused.until) this.writeRefused = null;
    if (this.writeRefused) {
      return `${this.writeRefused.reason} (tried again at ${new Date(this.writeRefused.until).toISOString()})`;
    }
    const availability = this.o.device.availability();
    if (availability && !availability.available) return availability.reason ?? 'unavailable';
    if (this.deviceFailure && (!readings || readings.timestamp <= this.deviceFailure.at)) {
      return `last write failed: ${this.deviceFailure.reason}`;
    }
    if (!readings) return 'no readings yet';
    const staleMs = this.o.deviceStaleMs ?? 3 * MINUTE;
    if (now - readings.timestamp > staleMs) {
      return `no readings since ${new Date(readings.timestamp).toISOString()} (limit ${Math.round(staleMs / 1000)} s)`;
    }
    if (soc === undefined) return 'the device reports no battery_soc';
    return null;
  }

  private capabilitiesOrNull(): DeviceCapabilities | null {
    try {
      return this.o.device.capabilities();
    } catch {
      return null;
    }
  }

  /** The SOC the plan expects now: the end of the previous interval (or the plan's start). */
  private expectedSoc(now: number): number | undefined {
    if (!this.plan || this.planStartSoc === null) return undefined;
    const found = intervalAt(this.plan, now);
    if (!found) return undefined;
    return found.index === 0 ? this.planStartSoc : this.plan.intervals[found.index - 1]?.soc_pct;
  }

  private decidedAction(): ControllerAction {
    return this.applied ? actionOfTarget(this.applied.target) : 'SELF_CONSUMPTION';
  }

  private nextAction(
    mode: ControllerMode,
    current: { interval: PlanInterval; index: number } | undefined,
  ): ControllerStatus['next'] {
    if (!this.plan) return null;
    if (mode === 'override' && this.override) {
      const resume = intervalAt(this.plan, Date.parse(this.override.until));
      return resume
        ? {
            action: resume.interval.action,
            at: this.override.until,
            reason: `override ends; ${resume.interval.reason}`,
          }
        : null;
    }
    if (mode !== 'optimising' || !current) return null;
    for (let i = current.index + 1; i < this.plan.intervals.length; i++) {
      const next = this.plan.intervals[i] as PlanInterval;
      if (next.action !== current.interval.action) return { action: next.action, at: next.start, reason: next.reason };
    }
    return null;
  }

  private noteFallback(reason: string | null, now: number): void {
    if (reason === this.fallbackReason) return;
    this.fallbackReason = reason;
    this.events.emit('fallback', { reason, at: new Date(now).toISOString() });
  }

  private noteError(err: unknown, context?: string): void {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
    this.lastError = {
      message: context ? `${context}: ${message}` : message,
      at: new Date(this.clock.now()).toISOString(),
    };
  }

  private publish(): void {
    const status = this.status();
    const { updatedAt: _u, plan: _p, ...rest } = status;
    const key = JSON.stringify(rest);
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.events.emit('status', status);
  }
}

/** Mode and event: a change re-plans at once. */
function directiveKey(d: DemandResponseDirective): string {
  switch (d.mode) {
    case 'normal':
      return 'normal';
    case 'upcoming':
      return `upcoming/${d.eventId}/${d.eventStartMs}/${d.targetSocPct}/${d.eventEndMs ?? ''}`;
    case 'ongoing':
      return `ongoing/${d.eventId}`;
    case 'post_event':
      return `post_event/${d.eventId}`;
  }
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}

function socOf(readings: ReadingSet | undefined): number | undefined {
  return numberOf(readings, 'battery_soc');
}

function numberOf(readings: ReadingSet | undefined, key: string): number | undefined {
  const v = readings?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The interval of `plan` that contains `now`. */
function intervalAt(plan: Plan, now: number): { interval: PlanInterval; index: number } | undefined {
  const stepMs = plan.interval_minutes * MINUTE;
  const first = plan.intervals[0];
  if (!first) return undefined;
  const index = Math.floor((now - Date.parse(first.start)) / stepMs);
  const interval = plan.intervals[index];
  return index >= 0 && interval ? { interval, index } : undefined;
}

/** The target as actually written (the guard may have capped the power). */
function appliedTargetOf(target: ControlTarget, command: Command): ControlTarget {
  if (
    (target.kind === 'charge' || target.kind === 'discharge') &&
    command.type !== 'device_command' &&
    'power_w' in command
  ) {
    return { kind: target.kind, powerW: command.power_w };
  }
  return target;
}
