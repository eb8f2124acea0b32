/*
 * The scheduler's grid: fixed-length intervals (5 minutes by default) aligned to
 * the epoch, each carrying the AVERAGE power over the interval in kW. Sources come
 * as averages over their own periods (HA Wh per hour, Solcast 30-minute kW,
 * Open-Meteo hourly means) or as instantaneous samples (Forecast.Solar watts);
 * both are resampled by integrating energy, so no kWh is created or lost.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export interface GridSpec {
  /** UTC ms, inclusive, a multiple of stepMs. */
  from: number;
  /** UTC ms, exclusive. */
  to: number;
  stepMs: number;
}

/** Average power over [start, end) in kW, with optional 10th/90th percentiles. */
export interface PowerSegment {
  start: number;
  end: number;
  kw: number;
  kwP10?: number;
  kwP90?: number;
}

export type GridPoint = PowerSegment;

/** The grid of `hours` starting with the interval that contains `now`. */
export function gridFrom(now: number, hours = 48, stepMinutes = 5): GridSpec {
  const stepMs = stepMinutes * MINUTE;
  const from = Math.floor(now / stepMs) * stepMs;
  return { from, to: from + hours * HOUR, stepMs };
}

export function gridStarts(grid: GridSpec): number[] {
  const out: number[] = [];
  for (let t = grid.from; t < grid.to; t += grid.stepMs) out.push(t);
  return out;
}

export interface ResampleOptions {
  /**
   * Grid intervals no segment touches: `omit` (unknown, the default) or `zero`
   * (e.g. solar at night between days the source covers).
   */
  gaps?: 'omit' | 'zero';
}

/**
 * Energy-conserving resampling of average-power segments onto the grid. A grid
 * interval only partly covered gets the average over its covered part.
 */
export function resampleSegments(
  segments: readonly PowerSegment[],
  grid: GridSpec,
  opts: ResampleOptions = {},
): GridPoint[] {
  const sorted = [...segments].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const hasP10 = sorted.some((s) => s.kwP10 !== undefined);
  const hasP90 = sorted.some((s) => s.kwP90 !== undefined);
  const out: GridPoint[] = [];
  let first = 0;
  for (const start of gridStarts(grid)) {
    const end = start + grid.stepMs;
    while (first < sorted.length && sorted[first]!.end <= start) first++;
    let covered = 0;
    let e = 0;
    let e10 = 0;
    let e90 = 0;
    for (let i = first; i < sorted.length && sorted[i]!.start < end; i++) {
      const s = sorted[i]!;
      const overlap = Math.min(end, s.end) - Math.max(start, s.start);
      if (overlap <= 0) continue;
      covered += overlap;
      e += s.kw * overlap;
      e10 += (s.kwP10 ?? s.kw) * overlap;
      e90 += (s.kwP90 ?? s.kw) * overlap;
    }
    if (covered === 0) {
      if (opts.gaps === 'zero')
        out.push(withBands({ start, end, kw: 0 }, hasP10 ? 0 : undefined, hasP90 ? 0 : undefined));
      continue;
    }
    const point: GridPoint = { start, end, kw: e / covered };
    out.push(withBands(point, hasP10 ? e10 / covered : undefined, hasP90 ? e90 / covered : undefined));
  }
  return out;
}

function withBands(p: GridPoint, p10: number | undefined, p90: number | undefined): GridPoint {
  if (p10 !== undefined) p.kwP10 = p10;
  if (p90 !== undefined) p.kwP90 = p90;
  return p;
}

/** A power reading at an instant (kW). */
export interface PowerSample {
  t: number;
  kw: number;
}

/**
 * Instantaneous samples → segments by linear interpolation between neighbours.
 * Long gaps are cut into pieces of at most `maxPieceMs`, each carrying the exact mean
 * of the interpolated line over it, so the shape survives resampling to a fine grid.
 */
export function samplesToSegments(samples: readonly PowerSample[], maxPieceMs = 5 * MINUTE): PowerSegment[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const out: PowerSegment[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const span = b.t - a.t;
    if (span <= 0) continue;
    const pieces = Math.max(1, Math.ceil(span / maxPieceMs));
    for (let k = 0; k < pieces; k++) {
      const start = a.t + (span * k) / pieces;
      const end = a.t + (span * (k + 1)) / pieces;
      const mid = (start + end) / 2;
      out.push({ start, end, kw: a.kw + ((b.kw - a.kw) * (mid - a.t)) / span });
    }
  }
  return out;
}

/** Sum several sources point by point (e.g. PV arrays); a grid interval missing from any source is dropped. */
export function sumGridPoints(series: readonly GridPoint[][]): GridPoint[] {
  if (series.length === 0) return [];
  const maps = series.map((s) => new Map(s.map((p) => [p.start, p])));
  const out: GridPoint[] = [];
  for (const p of series[0]!) {
    const parts = maps.map((m) => m.get(p.start));
    if (parts.some((x) => x === undefined)) continue;
    const sum: GridPoint = { start: p.start, end: p.end, kw: 0 };
    for (const x of parts as GridPoint[]) {
      sum.kw += x.kw;
      if (x.kwP10 !== undefined) sum.kwP10 = (sum.kwP10 ?? 0) + x.kwP10;
      if (x.kwP90 !== undefined) sum.kwP90 = (sum.kwP90 ?? 0) + x.kwP90;
    }
    out.push(sum);
  }
  return out;
}

/** Clip at the inverter's AC limit (kW). */
export function clipAt(points: GridPoint[], limitKw: number | undefined): GridPoint[] {
  if (limitKw === undefined) return points;
  return points.map((p) => {
    const c: GridPoint = { ...p, kw: Math.min(p.kw, limitKw) };
    if (p.kwP10 !== undefined) c.kwP10 = Math.min(p.kwP10, limitKw);
    if (p.kwP90 !== undefined) c.kwP90 = Math.min(p.kwP90, limitKw);
    return c;
  });
}
