import type { Plan, PlanInterval } from '@sps/scheduler';

/**
 * One plan interval as the cards and `/api/plan` show it: the scheduler's interval (`override`
 * marks the intervals a manual override fixes: the override is an input of the plan, so their
 * power, SOC and cost are the plan's own) plus the forecasts behind it and its "without optimiser"
 * cost.
 */
export type PlanViewInterval = PlanInterval & {
  /** Solar forecast, kW (absent when the interval was not planned from a forecast). */
  readonly pv_kw?: number;
  /** Load forecast, kW. */
  readonly load_kw?: number;
  /** What the interval would cost in the battery's own self-consumption mode. */
  readonly baseline_cost?: number;
};
export type PlanView = Omit<Plan, 'intervals'> & { intervals: PlanViewInterval[] };

/** Per-interval facts kept from the re-plan (same length and order as the plan's intervals). */
export interface PlanExtras {
  readonly pvKw: readonly number[];
  readonly loadKw: readonly number[];
  readonly baselineCost: readonly number[];
}

const round = (v: number, digits = 6): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The plan with each interval's forecasts and baseline cost. */
export function planView(plan: Plan | null, extras: PlanExtras | null): PlanView | null {
  if (!plan) return null;
  if (!extras) return plan;
  return {
    ...plan,
    intervals: plan.intervals.map((interval, i) => {
      const pv = extras.pvKw[i];
      const load = extras.loadKw[i];
      const baseline = extras.baselineCost[i];
      return {
        ...interval,
        ...(pv === undefined ? {} : { pv_kw: round(pv) }),
        ...(load === undefined ? {} : { load_kw: round(load) }),
        ...(baseline === undefined ? {} : { baseline_cost: round(baseline) }),
      };
    }),
  };
}
