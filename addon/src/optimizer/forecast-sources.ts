import type { ForecastGrid, ForecastPoint, PowerForecastSource } from '@sps/control';

/** What the optimiser needs of a ForecastService: its newest snapshot (points on the 5-minute grid). */
export interface ForecastFeed {
  current(): { readonly points: readonly ForecastPoint[] };
}

function onGrid(points: readonly ForecastPoint[], grid: ForecastGrid): ForecastPoint[] {
  return points.filter((p) => p.start >= grid.from && p.start < grid.to);
}

function flat(grid: ForecastGrid, kw: number): ForecastPoint[] {
  const out: ForecastPoint[] = [];
  for (let start = grid.from; start < grid.to; start += grid.stepMs) out.push({ start, end: start + grid.stepMs, kw });
  return out;
}

/**
 * Solar for the plan. No solar forecast configured means the household declared no PV source:
 * plan with none (a plan that ignores PV only under-uses it; it never breaks a limit — the
 * guard and the inverter's own export limit still apply).
 */
export function solarForPlan(feed: ForecastFeed | undefined): PowerForecastSource {
  return { forecast: (grid) => (feed ? onGrid(feed.current().points, grid) : flat(grid, 0)) };
}

/**
 * Household load for the plan: the learnt profile when it has points; until then (a fresh
 * install has no history, and the profile needs about a day) the load measured now, held flat —
 * a persistence forecast, the usual baseline, so the plan can start on day one. With neither,
 * nothing: the controller reports "forecasts missing" and hands the battery back.
 */
export function loadForPlan(
  feed: ForecastFeed | undefined,
  measuredLoadW: () => number | undefined,
): PowerForecastSource {
  return {
    forecast: (grid) => {
      const learnt = feed ? onGrid(feed.current().points, grid) : [];
      if (learnt.length > 0) return learnt;
      const w = measuredLoadW();
      return w === undefined || !Number.isFinite(w) ? [] : flat(grid, Math.max(0, w) / 1000);
    },
  };
}
