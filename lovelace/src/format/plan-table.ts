/**
 * The plan's per-slot table (what Predbat and EMHASS show): each interval's cost from its own flows,
 * and the cumulative savings against the "without optimiser" baseline where the plan gives each
 * interval's baseline cost. Pure, so the totals are unit-tested.
 */
import type { PlanIntervalJson, PlanJson } from '../data/api-types.js';

export interface PlanTableRow {
  readonly start: string;
  readonly action: string;
  readonly reason: string;
  readonly importPrice: number;
  readonly exportPrice: number;
  /** kW, null when the plan does not carry the forecast. */
  readonly pvKw: number | null;
  readonly loadKw: number | null;
  readonly socPct: number;
  /** Battery power, kW: positive = discharge (the project's sign convention). */
  readonly batteryKw: number;
  /** Net grid power, kW: positive = import. */
  readonly gridKw: number;
  /** Σ import price·import − export price·export over the interval, in the plan's currency. */
  readonly cost: number;
  /** Running Σ (baseline cost − cost) up to and including this interval; null without per-interval baselines. */
  readonly cumulativeSavings: number | null;
}

export interface PlanTable {
  readonly rows: readonly PlanTableRow[];
  readonly totalCost: number;
  /** Σ per-interval savings, or the plan's own total when intervals carry no baseline. */
  readonly totalSavings: number | null;
  readonly currency: string;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function intervalCost(i: PlanIntervalJson, hours: number): number {
  return (i.import_price * i.grid_import_kw - i.export_price * i.grid_export_kw) * hours;
}

export function planTable(plan: PlanJson): PlanTable {
  const hours = plan.interval_minutes / 60;
  const everyBaseline = plan.intervals.length > 0 && plan.intervals.every((i) => typeof i.baseline_cost === 'number');
  let total = 0;
  let saved = 0;
  const rows = plan.intervals.map((i): PlanTableRow => {
    const cost = intervalCost(i, hours);
    total += cost;
    if (everyBaseline) saved += (i.baseline_cost ?? 0) - cost;
    return {
      start: i.start,
      action: i.action,
      reason: i.reason,
      importPrice: i.import_price,
      exportPrice: i.export_price,
      pvKw: i.pv_kw ?? null,
      loadKw: i.load_kw ?? null,
      socPct: i.soc_pct,
      batteryKw: round(i.battery_discharge_kw - i.battery_charge_kw, 3),
      gridKw: round(i.grid_import_kw - i.grid_export_kw, 3),
      cost: round(cost, 6),
      cumulativeSavings: everyBaseline ? round(saved, 6) : null,
    };
  });
  return {
    rows,
    totalCost: round(total, 6),
    totalSavings: everyBaseline ? round(saved, 6) : (plan.savings ?? null),
    currency: plan.currency,
  };
}

/** The first interval that is not over yet at `now`, and the next change of action after it. */
export function currentAndNext(
  plan: PlanJson,
  now: number,
): { current: PlanIntervalJson | null; next: PlanIntervalJson | null } {
  const stepMs = plan.interval_minutes * 60_000;
  const index = plan.intervals.findIndex((i) => Date.parse(i.start) + stepMs > now);
  if (index < 0) return { current: null, next: null };
  const current = plan.intervals[index] ?? null;
  const next = plan.intervals.slice(index + 1).find((i) => i.action !== current?.action) ?? null;
  return { current, next };
}
