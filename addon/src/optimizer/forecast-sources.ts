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

/** How fast the load measured now gives way to the forecast: e^(−t/τ), a third left after an hour. */
const ANCHOR_DECAY_MS = 60 * 60_000;

/**
 * Household load for the plan: the load forecast (the learnt profile, blended with the typical-day
 * profile while the history is short, so it covers the whole horizon from the first refresh),
 * anchored on the load measured now: the first interval starts from the measurement and the
 * difference fades out over the next hours. Without a forecast covering now (none configured, or
 * its first refresh still under way) the load measured now held flat — a persistence forecast, the
 * usual baseline. With neither, nothing: the controller reports "forecasts missing" and hands the
 * battery back.
 */
export function loadForPlan(
  feed: ForecastFeed | undefined,
  measuredLoadW: () => number | undefined,
): PowerForecastSource {
  return {
    forecast: (grid) => {
      const forecast = feed ? contiguousFrom(onGrid(feed.current().points, grid), grid) : [];
      const w = measuredLoadW();
      const measuredKw = w === undefined || !Number.isFinite(w) ? undefined : Math.max(0, w) / 1000;
      if (measuredKw === undefined) return forecast;
      if (forecast.length === 0) return flat(grid, measuredKw);
      const offset = measuredKw - (forecast[0] as ForecastPoint).kw;
      return forecast.map((p) => ({
        ...p,
        kw: Math.max(0, p.kw + offset * Math.exp(-(p.start - grid.from) / ANCHOR_DECAY_MS)),
      }));
    },
  };
}

/** The run of points from the grid's first slot on, one per slot; empty when the first slot has none. */
function contiguousFrom(points: readonly ForecastPoint[], grid: ForecastGrid): ForecastPoint[] {
  const bySlot = new Map(points.map((p) => [p.start, p]));
  const out: ForecastPoint[] = [];
  for (let start = grid.from; start < grid.to; start += grid.stepMs) {
    const p = bySlot.get(start);
    if (!p) break;
    out.push(p);
  }
  return out;
}
