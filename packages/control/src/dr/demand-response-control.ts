import { roundPowerW, type ControlTarget } from '../control-target.js';
import type { DemandResponseDirective, GridMeasurement } from '../demand-response.js';
import type { CurtailmentStatus, LoadCurtailment } from './curtailment.js';
import {
  DEFAULT_GRID_PI,
  initialGridPi,
  quantiseDischarge,
  stepGridPi,
  type GridPiOptions,
  type GridPiState,
  type SwitchedDischargeOptions,
} from './grid-pi.js';

export type DemandResponseMode = DemandResponseDirective['mode'];

/** The `demandResponse` part of the controller's status (HA attributes, panel). */
export interface DemandResponseStatus {
  readonly mode: DemandResponseMode;
  readonly eventId: string | null;
  /** ongoing: the import setpoint (baseline − goal); post_event: the ramp's import ceiling now; W. */
  readonly setpointW: number | null;
  /** upcoming: the SOC the plan must reach by the event's start. */
  readonly targetSocPct: number | null;
  /** upcoming: the plan's stored energy short of that target at the start, kWh (0: met). */
  readonly targetShortfallKwh: number | null;
  /** ongoing / post_event: the loop's state (setpoint, measured, error, integral, output). */
  readonly pi: GridPiState | null;
  /** What the demand-response layer does now, in words. */
  readonly reason: string;
  readonly curtailment: CurtailmentStatus | null;
}

export interface DemandResponseControlOptions {
  readonly pi?: Partial<GridPiOptions>;
  /** Present for a battery whose discharge is a relay (the power station): on/off quantisation. */
  readonly switchedDischarge?: SwitchedDischargeOptions;
  readonly curtailment?: LoadCurtailment;
}

/** What the controller knows in one cycle, for the DR layer. */
export interface DemandResponseContext {
  readonly now: number;
  readonly directive: DemandResponseDirective;
  /** This cycle is a control period of the loop (its own timer), so the PI steps. */
  readonly piTick: boolean;
  readonly measurement: GridMeasurement | undefined;
  readonly socPct: number | undefined;
  readonly reservePct: number;
  /** The most the battery may discharge now (guard limits, the user's cap, the export limit), W. */
  readonly maxDischargeW: number;
  /** The battery's measured power (> 0 discharge), W. */
  readonly batteryPowerW: number | undefined;
  /** The target in force on the device. */
  readonly applied: ControlTarget | undefined;
  /** When it was written (UTC ms). */
  readonly appliedAtMs: number | undefined;
}

/** The plan's own target in this cycle (what the controller would do without an event). */
export interface PlannedTarget {
  readonly target: ControlTarget | null;
  readonly reason: string;
  /** false when no plan is being followed (fallback, goal self-consumption): nothing charges for an event. */
  readonly following?: boolean;
}

export type DemandResponseDecision =
  | { readonly kind: 'plan'; readonly reason?: string }
  | { readonly kind: 'target'; readonly target: ControlTarget; readonly reason: string };

interface RampStart {
  readonly eventId: string;
  readonly atMs: number;
  readonly importW: number;
}

const w = (v: number): string => `${Math.round(v)} W`;

/**
 * The controller's demand-response layer: the PI loop during an event, the ramp after it, load
 * curtailment at the battery's floor, and the plan's additions before it (energy target, shifting).
 * State lives here; every write still goes through the controller's guarded path and hysteresis.
 */
export class DemandResponseControl {
  readonly piOptions: GridPiOptions;
  private pi: GridPiState | null = null;
  private piEvent: string | null = null;
  private ramp: RampStart | null = null;
  private reason = 'no event';
  private lastDirective: DemandResponseDirective = { mode: 'normal' };
  private shortfallKwh: number | null = null;

  constructor(private readonly o: DemandResponseControlOptions = {}) {
    this.piOptions = { ...DEFAULT_GRID_PI, ...o.pi };
  }

  /** The loop's own period: the controller runs a timer at it while an event is ongoing or ramping. */
  get periodMs(): number {
    return this.piOptions.periodMs;
  }

  /**
   * The scenario's additions: `upcoming` → an energy target at the interval holding the event's
   * start (the start of that interval, so a start between boundaries is met early rather than
   * late; past the horizon it is the horizon's end, so the plan never leaves the charging too
   * late for the next re-plan); with shifting allowed, the event's window excluded for deferrables.
   */
  planningAdditions(
    directive: DemandResponseDirective,
    plan: { readonly fromMs: number; readonly stepMs: number; readonly intervals: number },
    allowShifting: boolean,
  ): Record<string, unknown> {
    const indexOf = (ms: number): number =>
      Math.min(plan.intervals, Math.max(0, Math.floor((ms - plan.fromMs) / plan.stepMs)));
    const out: Record<string, unknown> = {};
    if (directive.mode === 'upcoming') {
      out['energy_targets'] = [
        {
          index: indexOf(directive.eventStartMs),
          min_soc_pct: Math.min(100, Math.max(0, directive.targetSocPct)),
          label: `DR event ${directive.eventId}`.slice(0, 80),
        },
      ];
    }
    if (allowShifting) {
      const window =
        directive.mode === 'upcoming' && directive.eventEndMs !== undefined
          ? [directive.eventStartMs, directive.eventEndMs]
          : directive.mode === 'ongoing'
            ? [plan.fromMs, directive.eventEndMs]
            : null;
      if (window) {
        const start = indexOf(window[0]!);
        // The interval holding the end is excluded too: the event still runs in part of it.
        const end = Math.min(plan.intervals, Math.ceil((window[1]! - plan.fromMs) / plan.stepMs));
        if (end > start) out['deferrable_exclusions'] = [{ start_index: start, end_index: end }];
      }
    }
    return out;
  }

  /** The plan's report of the upcoming target (from `plan.energy_targets`), for the status. */
  notePlanShortfall(shortfallKwh: number | null): void {
    this.shortfallKwh = shortfallKwh;
  }

  /**
   * This cycle's decision: `plan` (the controller does what it would without an event), or a
   * target. `planned` is the plan's own target (post_event caps a charge by the ramp).
   */
  decide(ctx: DemandResponseContext, planned: PlannedTarget): DemandResponseDecision {
    const d = ctx.directive;
    this.lastDirective = d;
    if (d.mode === 'normal' || d.mode === 'upcoming') {
      this.pi = null;
      this.piEvent = null;
      if (d.mode === 'normal') this.ramp = null;
      const at = d.mode === 'upcoming' ? `event ${d.eventId} at ${new Date(d.eventStartMs).toISOString()}` : '';
      this.reason =
        d.mode === 'normal'
          ? 'no event'
          : planned.following === false
            ? `${at}: no plan is being followed (${planned.reason}), so nothing charges for it`
            : `${at}: the plan charges to ${d.targetSocPct} % by its start`;
      return { kind: 'plan' };
    }
    if (d.mode === 'ongoing') return this.ongoing(ctx, d);
    return this.postEvent(ctx, d, planned);
  }

  /**
   * Something wins over the event (a manual override, optimisation off): the loop stops and starts
   * afresh from whatever is in force when it may act again.
   */
  suspend(directive: DemandResponseDirective, why: string): void {
    this.lastDirective = directive;
    this.pi = null;
    this.piEvent = null;
    this.reason = directive.mode === 'normal' ? 'no event' : `${directive.mode} event ${directive.eventId}: ${why}`;
  }

  /** Whether the loop found the battery at its floor with the import above the setpoint (curtailment). */
  needsCurtailment(ctx: DemandResponseContext): boolean {
    const d = ctx.directive;
    if (d.mode !== 'ongoing' || !this.o.curtailment || !this.pi) return false;
    return this.atFloor(ctx) && (this.pi.errorW ?? 0) > this.piOptions.deadBandW;
  }

  get curtailment(): LoadCurtailment | undefined {
    return this.o.curtailment;
  }

  status(): DemandResponseStatus {
    const d = this.lastDirective;
    return {
      mode: d.mode,
      eventId: d.mode === 'normal' ? null : d.eventId,
      setpointW: d.mode === 'ongoing' || d.mode === 'post_event' ? (this.pi?.setpointW ?? null) : null,
      targetSocPct: d.mode === 'upcoming' ? d.targetSocPct : null,
      targetShortfallKwh: d.mode === 'upcoming' ? this.shortfallKwh : null,
      pi: d.mode === 'ongoing' || d.mode === 'post_event' ? this.pi : null,
      reason:
        d.mode === 'upcoming' && this.shortfallKwh !== null && this.shortfallKwh > 0
          ? `${this.reason}; it cannot: ${this.shortfallKwh.toFixed(2)} kWh short`
          : this.reason,
      curtailment: this.o.curtailment ? this.o.curtailment.status() : null,
    };
  }

  private atFloor(ctx: DemandResponseContext): boolean {
    return ctx.socPct !== undefined && ctx.socPct <= ctx.reservePct;
  }

  /** The PI (or, for a switched battery, its quantised form) on the import setpoint. */
  private ongoing(
    ctx: DemandResponseContext,
    d: Extract<DemandResponseDirective, { mode: 'ongoing' }>,
  ): DemandResponseDecision {
    this.ramp = null;
    if (!Number.isFinite(d.importSetpointW)) {
      // The port validates its events; should one still slip through, the plan is the safe thing.
      this.reason = `event ${d.eventId}: no valid import setpoint, following the plan`;
      return { kind: 'plan', reason: this.reason };
    }
    const fresh = this.piEvent !== d.eventId || this.pi === null;
    if (fresh) {
      // The event starts from the discharge in force (a plan's EXPORT), so the first period is no jump.
      const inForce = ctx.applied?.kind === 'discharge' ? ctx.applied.powerW : 0;
      this.pi = initialGridPi(d.importSetpointW, inForce);
      this.piEvent = d.eventId;
    }
    const step = this.stepLoop(ctx, d.importSetpointW, fresh);
    if (step.stale) {
      this.reason = `event ${d.eventId}: the grid measurement is stale (${this.measurementAge(ctx)}), following the plan`;
      return { kind: 'plan', reason: this.reason };
    }
    const pi = this.pi!;
    if (pi.condition === 'at_floor') {
      const curtailed = this.o.curtailment?.status().switchedOff ?? [];
      this.reason =
        `event ${d.eventId}: battery at its reserve (${ctx.reservePct} %), discharge stopped` +
        (curtailed.length > 0 ? `; switched off ${curtailed.join(', ')}` : '');
      return { kind: 'target', target: { kind: 'hold' }, reason: this.reason };
    }
    const target = this.targetFor(pi, ctx);
    const measured = pi.measuredW === null ? 'no measurement yet' : `measured ${w(pi.measuredW)}`;
    this.reason =
      `event ${d.eventId}: holding grid import at ≤ ${w(d.importSetpointW)} (${measured}, ` +
      `battery ${target.kind === 'discharge' ? w(target.powerW) : 'not discharging'}` +
      (pi.condition === 'hold_stale' ? ', waiting for a new measurement' : '') +
      ')';
    return { kind: 'target', target, reason: this.reason };
  }

  /**
   * After the event: the import may rise by at most `rampWPerMin` from where the event left it.
   * The loop keeps running with the rising ceiling as its setpoint; once it no longer needs the
   * battery, the plan is followed, a charge capped so it cannot outrun the ceiling either.
   */
  private postEvent(
    ctx: DemandResponseContext,
    d: Extract<DemandResponseDirective, { mode: 'post_event' }>,
    planned: PlannedTarget,
  ): DemandResponseDecision {
    if (!Number.isFinite(d.rampWPerMin) || d.rampWPerMin <= 0) {
      this.reason = `after event ${d.eventId}: no valid ramp, back on the plan`;
      return { kind: 'plan', reason: this.reason };
    }
    if (!this.ramp || this.ramp.eventId !== d.eventId) {
      const importW = ctx.measurement?.w ?? this.pi?.measuredW ?? 0;
      this.ramp = { eventId: d.eventId, atMs: ctx.now, importW };
      if (this.piEvent !== d.eventId || this.pi === null) {
        const inForce = ctx.applied?.kind === 'discharge' ? ctx.applied.powerW : 0;
        this.pi = initialGridPi(importW, inForce);
        this.piEvent = d.eventId;
      }
    }
    const ceiling = this.ramp.importW + (d.rampWPerMin * Math.max(0, ctx.now - this.ramp.atMs)) / 60_000;
    const step = this.stepLoop(ctx, ceiling, false);
    if (step.stale) {
      this.reason = `after event ${d.eventId}: the grid measurement is stale, following the plan`;
      return { kind: 'plan', reason: this.reason };
    }
    const pi = this.pi!;
    if (pi.writtenW > 0 && pi.condition !== 'at_floor') {
      const target = this.targetFor(pi, ctx);
      this.reason = `after event ${d.eventId}: grid import ramping up at ≤ ${d.rampWPerMin} W/min (now ≤ ${w(ceiling)})`;
      return { kind: 'target', target, reason: this.reason };
    }
    // The battery is no longer needed to hold the ceiling: the plan, a charge limited by what is left.
    const plannedTarget = planned.target;
    if (plannedTarget?.kind === 'charge' && pi.measuredW !== null) {
      // What the site would import with the battery still (grid = load − PV − battery), so a charge
      // in force is not counted twice.
      const unassisted = pi.measuredW + (ctx.batteryPowerW ?? 0);
      const room = roundPowerW(Math.max(0, ceiling - unassisted));
      if (room < plannedTarget.powerW) {
        this.reason = `after event ${d.eventId}: charging held to ${w(room)} by the ramp (import ≤ ${w(ceiling)})`;
        return {
          kind: 'target',
          target: room >= this.piOptions.minChangeW ? { kind: 'charge', powerW: room } : { kind: 'hold' },
          reason: this.reason,
        };
      }
    }
    this.reason = `after event ${d.eventId}: back on the plan (ramp ≤ ${d.rampWPerMin} W/min)`;
    return { kind: 'plan' };
  }

  /** Steps the PI on a control period (or the first cycle of an event); otherwise keeps its state. */
  private stepLoop(ctx: DemandResponseContext, setpointW: number, force: boolean): { stale: boolean } {
    // What is in force on the device, not what the loop last asked for: a write the guard postponed
    // (write budget) or refused must be asked for again, not assumed done.
    const inForce = ctx.applied?.kind === 'discharge' ? ctx.applied.powerW : 0;
    const prev = { ...this.pi!, writtenW: inForce };
    if (!ctx.piTick && !force) {
      const age = ctx.measurement === undefined ? Infinity : ctx.now - ctx.measurement.atMs;
      return { stale: prev.condition === 'stale' || age > 3 * this.piOptions.periodMs };
    }
    const input = {
      nowMs: ctx.now,
      setpointW,
      measurement: ctx.measurement,
      maxOutputW: ctx.maxDischargeW,
      atFloor: this.atFloor(ctx),
      ...(ctx.appliedAtMs === undefined ? {} : { lastWriteAtMs: ctx.appliedAtMs }),
    };
    if (this.o.switchedDischarge) {
      this.pi = this.stepSwitched(prev, input, ctx, this.o.switchedDischarge);
    } else {
      this.pi = stepGridPi(prev, input, this.piOptions).state;
    }
    return { stale: this.pi.condition === 'stale' };
  }

  /**
   * The power station: its discharge carries P2's loads, whatever they draw, so the reduction it
   * gives is what it discharges now. The need is that plus the error (back-calculation: the
   * integral is the actual output, no windup); the relay is on while the need stays above the
   * quantisation threshold.
   */
  private stepSwitched(
    prev: GridPiState,
    input: Parameters<typeof stepGridPi>[1],
    ctx: DemandResponseContext,
    q: SwitchedDischargeOptions,
  ): GridPiState {
    const base = stepGridPi(prev, input, this.piOptions).state;
    if (base.condition === 'stale' || base.condition === 'at_floor' || base.condition === 'hold_stale') return base;
    const on = ctx.applied?.kind === 'discharge';
    const delivering = on ? Math.max(0, ctx.batteryPowerW ?? 0) : 0;
    const need = Math.max(0, delivering + (base.errorW ?? 0));
    const switchOn = ctx.maxDischargeW > 0 && quantiseDischarge(need, on, q);
    // While on, the power written stays what it was: for a relay it is no setpoint, and a new
    // number every period would only spend the write budget.
    const onPowerW = on && ctx.applied?.kind === 'discharge' ? ctx.applied.powerW : roundPowerW(ctx.maxDischargeW);
    return { ...base, integralW: delivering, outputW: need, writtenW: switchOn ? onPowerW : 0 };
  }

  private targetFor(pi: GridPiState, ctx: DemandResponseContext): ControlTarget {
    const power = this.o.switchedDischarge ? pi.writtenW : roundPowerW(Math.min(pi.writtenW, ctx.maxDischargeW));
    return power > 0 ? { kind: 'discharge', powerW: power } : { kind: 'hold' };
  }

  private measurementAge(ctx: DemandResponseContext): string {
    if (!ctx.measurement) return 'none yet';
    return `last ${new Date(ctx.measurement.atMs).toISOString()}`;
  }
}
