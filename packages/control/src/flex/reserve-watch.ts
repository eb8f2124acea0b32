import type { Plan } from '@sps/scheduler';

/** What the reserve watch needs at execution time. */
export interface ReserveWatchInput {
  readonly plan: Plan;
  readonly now: number;
  /** The battery's live SOC, %. */
  readonly socPct: number;
  /** The SOC the battery must stay above through the night, %. */
  readonly reservePct: number;
}

/** A load-stop verdict: why a running load must go off now. */
export interface ReserveCrossing {
  readonly reason: string;
  /** The projected lowest SOC and when (UTC ISO). */
  readonly projectedMinPct: number;
  readonly at: string;
}

const MINUTE = 60_000;

/**
 * Off-grid (issue 13 §6): would the battery cross its reserve, given the live SOC now and the rest
 * of the plan's SOC trajectory? The plan's trajectory was made from the SOC at planning time; if the
 * battery is now lower than the plan expected (the load or the house drew more, or the sun gave less),
 * the whole remaining trajectory is shifted down by that gap. When the shifted minimum falls below the
 * reserve, the running loads must stop now — before the next plan — and this says why. The plan's SOC
 * is at interval ends; "now" is interpolated inside the present interval. null: the reserve holds (or
 * the plan has nothing for now).
 */
export function reserveCrossing(input: ReserveWatchInput): ReserveCrossing | null {
  const { plan, now } = input;
  const stepMs = plan.interval_minutes * MINUTE;
  const index = plan.intervals.findIndex((iv) => {
    const start = Date.parse(iv.start);
    return start <= now && now < start + stepMs;
  });
  if (index < 0) return null;
  const here = plan.intervals[index]!;
  const before = index > 0 ? plan.intervals[index - 1]!.soc_pct : here.soc_pct;
  const share = (now - Date.parse(here.start)) / stepMs;
  const plannedNow = before + (here.soc_pct - before) * share;
  // Only a battery below its plan shifts the projection (above it, the plan's own margin stands).
  const gap = Math.max(0, plannedNow - input.socPct);
  let min = Infinity;
  let at = index;
  for (let t = index; t < plan.intervals.length; t++) {
    const soc = plan.intervals[t]!.soc_pct;
    if (soc < min) {
      min = soc;
      at = t;
    }
  }
  const projected = Math.min(input.socPct, min - gap);
  if (projected >= input.reservePct) return null;
  const when = new Date(Date.parse(plan.intervals[at]!.start) + stepMs).toISOString();
  const pct = (v: number): string => `${v.toFixed(1)} %`;
  return {
    projectedMinPct: projected,
    at: when,
    reason:
      `the battery would cross its ${pct(input.reservePct)} reserve: SOC ${pct(input.socPct)} now, ` +
      `${pct(gap)} below the plan, so ${pct(projected)} by ${when.slice(11, 16)} UTC on the rest of the forecast`,
  };
}
