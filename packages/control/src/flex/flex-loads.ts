import type { Clock, TimerHandle } from '@sps/core';
import type { Plan } from '@sps/scheduler';
import type { PlanGrid } from './deferrable-load.js';
import type { DeferrableLoadPolicy, DeferrableLoadStatus } from './deferrable-policy.js';
import { evPlanning, type EvChargerSpec, type EvChargerState, type EvPlanning } from './ev-planning.js';
import type { EvPolicy, EvPolicyStatus } from './ev-policy.js';
import { reserveCrossing } from './reserve-watch.js';

export interface FlexEv {
  readonly spec: EvChargerSpec;
  /** The charger's newest readings (plugged, car SOC). */
  state(): EvChargerState;
  readonly policy: EvPolicy;
}

export interface FlexLoadsOptions {
  readonly deferrables: readonly DeferrableLoadPolicy[];
  readonly ev?: FlexEv;
  readonly clock: Clock;
  readonly timeZone: string;
  /** How often the present interval is looked at (interval boundaries), ms. Default 1 min. */
  readonly tickMs?: number;
  /** Whether the plan may be followed now (the controller is optimising); false: the policies' backstops only. */
  readonly planUsable: () => boolean;
  /** After each pass over the policies (a new plan, a tick): what HA and the panel show may have changed. */
  readonly onFollowed?: () => void;
  /**
   * Off-grid: the live SOC and the reserve. On every pass (each plan and each tick, so between plans
   * too) a running load is switched off when the live SOC and the rest of the plan's trajectory say
   * the battery would cross the reserve (reserve-watch.ts).
   */
  readonly reserve?: { socPct(): number | undefined; reservePct(): number };
}

/** The EV's part of the plan for HA ("EV ready by", "EV plan") and the panel. */
export interface EvPlanView {
  /** Why the EV is not in the plan; null when it is. */
  readonly notPlanned: string | null;
  readonly departure: string | null;
  /** The end of the last planned charging interval before the departure; null when none is planned. */
  readonly readyBy: string | null;
  readonly energyKwh: number;
  /** The planned charging intervals (kW > 0). */
  readonly intervals: readonly { readonly start: string; readonly kw: number }[];
}

export interface FlexLoadsStatus {
  readonly ev: (EvPlanView & { readonly policy: EvPolicyStatus }) | null;
  readonly deferrables: readonly DeferrableLoadStatus[];
}

/**
 * The EV and the deferrable loads around the battery's controller: it adds them to each planning
 * scenario (`planningAdditions`, the Controller's `planAdditions` port) and makes their policies
 * follow the plan's present interval on every new plan and every tick. The loads' policies are
 * independent of the battery's: a fallback of the battery leaves their deadline backstops running.
 */
export class FlexLoads {
  private plan: Plan | null = null;
  private ev: EvPlanning | null = null;
  private ticker: TimerHandle | null = null;

  constructor(private readonly o: FlexLoadsOptions) {}

  /** The scenario's `ev` and `deferrable_loads` for the plan's grid. */
  planningAdditions(grid: PlanGrid): Record<string, unknown> {
    const additions: Record<string, unknown> = {};
    const loads = this.o.deferrables.flatMap((p) => {
      const entry = p.planEntry(grid);
      return entry ? [entry] : [];
    });
    if (loads.length > 0) additions['deferrable_loads'] = loads;
    if (this.o.ev) {
      this.ev = evPlanning(this.o.ev.spec, this.o.ev.state(), grid, this.o.clock.now(), this.o.timeZone);
      if (this.ev.ok) additions['ev'] = this.ev.entry;
    }
    return additions;
  }

  /** Starts the interval ticker. */
  start(): void {
    this.ticker ??= this.o.clock.setInterval(() => void this.follow(), this.o.tickMs ?? 60_000);
  }

  /** A new plan from the controller: follow its present interval now. */
  planChanged(plan: Plan): Promise<void> {
    this.plan = plan;
    return this.follow();
  }

  /** Feed a new reading of a relay of the loads (run time, manual switches). */
  relayReadings(): void {
    for (const p of this.o.deferrables) p.observe();
  }

  /** Every policy to what the present interval wants. Never throws. */
  async follow(): Promise<void> {
    const now = this.o.clock.now();
    const usable = this.o.planUsable() && this.plan !== null && this.plan.status !== 'infeasible';
    const interval = usable ? currentInterval(this.plan!, now) : undefined;
    const stop = this.reserveStop(now);
    await Promise.all([
      ...this.o.deferrables.map((p) => {
        const planned = interval?.deferrables?.find((d) => d.name === p.name);
        // A load left out of the plan (done, or held by the user) is planned off.
        return p.apply(interval ? (planned?.kw ?? 0) > 0 : null, stop);
      }),
      // An EV the plan leaves out (no SOC, no capacity, at its target) is not switched off: the charger is its own.
      this.o.ev ? this.o.ev.policy.apply(interval && this.ev?.ok ? interval.ev_kw : null) : undefined,
    ]);
    this.o.onFollowed?.();
  }

  /** Off-grid: why every load must be off now (the reserve would be crossed); null otherwise. */
  private reserveStop(now: number): string | null {
    const watch = this.o.reserve;
    if (!watch) return null;
    const soc = watch.socPct();
    if (soc === undefined) return null;
    const reservePct = watch.reservePct();
    // Without a plan the projection is unknown: at or below the reserve already is reason enough.
    if (!this.plan || this.plan.intervals.length === 0) {
      return soc <= reservePct
        ? `the battery is at ${soc.toFixed(1)} %, at or below its ${reservePct} % reserve`
        : null;
    }
    return reserveCrossing({ plan: this.plan, now, socPct: soc, reservePct })?.reason ?? null;
  }

  /** Stops the ticker, hands the charger back and persists the loads' run time. */
  async stop(): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    for (const p of this.o.deferrables) p.flush();
    await this.o.ev?.policy.handBack();
  }

  evView(): EvPlanView | null {
    if (!this.o.ev) return null;
    return evPlanView(this.plan, this.ev);
  }

  status(): FlexLoadsStatus {
    const view = this.evView();
    return {
      ev: view && this.o.ev ? { ...view, policy: this.o.ev.policy.status() } : null,
      deferrables: this.o.deferrables.map((p) => p.status()),
    };
  }
}

function currentInterval(plan: Plan, now: number): Plan['intervals'][number] | undefined {
  const stepMs = plan.interval_minutes * 60_000;
  return plan.intervals.find((iv) => {
    const start = Date.parse(iv.start);
    return start <= now && now < start + stepMs;
  });
}

/** The EV's planned charging from a plan (what HA's "EV ready by" and "EV plan" show). */
export function evPlanView(plan: Plan | null, ev: EvPlanning | null): EvPlanView {
  if (!ev || !ev.ok) {
    return { notPlanned: ev?.reason ?? 'not planned yet', departure: null, readyBy: null, energyKwh: 0, intervals: [] };
  }
  const stepMs = (plan?.interval_minutes ?? 5) * 60_000;
  const intervals = (plan?.intervals ?? [])
    .filter((iv) => iv.ev_kw > 1e-6 && Date.parse(iv.start) < ev.departureMs)
    .map((iv) => ({ start: iv.start, kw: iv.ev_kw }));
  const last = intervals.at(-1);
  const hours = stepMs / 3_600_000;
  return {
    notPlanned: null,
    departure: new Date(ev.departureMs).toISOString(),
    readyBy: last ? new Date(Date.parse(last.start) + stepMs).toISOString() : null,
    energyKwh: Math.round(intervals.reduce((s, iv) => s + iv.kw * hours, 0) * 1000) / 1000,
    intervals,
  };
}
