import { z } from 'zod';

/** A price that is settled/published (`actual`) or a provider's forecast. */
export type PriceKind = 'actual' | 'forecast';
/** Amber's spike status; AEMO-based providers derive it from a threshold. */
export type SpikeStatus = 'none' | 'potential' | 'spike';

/**
 * One interval of the normalised price series. Prices are in currency per kWh:
 * `import` is what the user pays to import, `export` what the user earns per
 * exported kWh (negative = exporting costs money).
 */
export interface PriceInterval {
  /** UTC ms, inclusive. */
  start: number;
  /** UTC ms, exclusive. */
  end: number;
  import: number;
  export: number;
  kind: PriceKind;
  /** Absent when the provider says nothing about spikes. */
  spike?: SpikeStatus;
  /** Provider's own label (Amber descriptor, TOU period name). */
  descriptor?: string;
  /** % renewables in the grid (Amber); may exceed 100 in SA. */
  renewables?: number;
}

export interface PriceSeries {
  /** Provider id, e.g. `amber`, `octopus`, `aemo`, `flowpower`, `globird`, `tou`, `flat`. */
  provider: string;
  /** ISO 4217 code: AUD, GBP, EUR… */
  currency: string;
  /** When the series was fetched (UTC ms). */
  fetchedAt: number;
  /** Sorted by start, non-overlapping. */
  intervals: PriceInterval[];
  /** Non-fatal problems (e.g. Globird: AEMO unreachable, spike status unknown). */
  warnings?: string[];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const priceIntervalSchema = z.object({
  start: z.number().int(),
  end: z.number().int(),
  import: finite,
  export: finite,
  kind: z.enum(['actual', 'forecast']),
  spike: z.enum(['none', 'potential', 'spike']).optional(),
  descriptor: z.string().optional(),
  renewables: finite.optional(),
});

/** Used to validate a series read back from the store (it may be from an older version or corrupted). */
export const priceSeriesSchema = z.object({
  provider: z.string(),
  currency: z.string(),
  fetchedAt: z.number(),
  intervals: z.array(priceIntervalSchema),
  warnings: z.array(z.string()).optional(),
});

/** Sort by start and drop intervals that overlap an earlier one or have no length. */
export function normaliseIntervals(intervals: readonly PriceInterval[]): PriceInterval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: PriceInterval[] = [];
  for (const i of sorted) {
    const prev = out[out.length - 1];
    if (prev && i.start < prev.end) continue;
    out.push(i);
  }
  return out;
}

/** The interval containing `now`, if any. */
export function intervalAt(series: PriceSeries | undefined, now: number): PriceInterval | undefined {
  if (!series) return undefined;
  // Series are short (≤ a few thousand); a binary search keeps coverage checks cheap anyway.
  const list = series.intervals;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const i = list[mid]!;
    if (now < i.start) hi = mid - 1;
    else if (now >= i.end) lo = mid + 1;
    else return i;
  }
  return undefined;
}

/** End of the gap-free run of intervals that starts with the one containing `now`. */
export function contiguousEnd(series: PriceSeries, now: number): number | undefined {
  const current = intervalAt(series, now);
  if (!current) return undefined;
  let end = current.end;
  for (const i of series.intervals) {
    if (i.start < current.start) continue;
    if (i.start > end) break;
    end = Math.max(end, i.end);
  }
  return end;
}

/** Intervals that end after `now` (the current one and the future). */
export function upcoming(series: PriceSeries, now: number): PriceInterval[] {
  return series.intervals.filter((i) => i.end > now);
}

/** JSON shape at the edges (CLI, HTTP, HA attributes): ISO timestamps with Z. */
export interface WirePriceInterval {
  start: string;
  end: string;
  import: number;
  export: number;
  kind: PriceKind;
  spike: SpikeStatus | null;
}

export interface WirePriceSeries {
  provider: string;
  currency: string;
  intervals: WirePriceInterval[];
}

/** Round to 6 decimals: a millionth of a currency unit per kWh is far below any tariff's precision. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function toWireSeries(series: PriceSeries): WirePriceSeries {
  return {
    provider: series.provider,
    currency: series.currency,
    intervals: series.intervals.map((i) => ({
      start: new Date(i.start).toISOString(),
      end: new Date(i.end).toISOString(),
      import: round6(i.import),
      export: round6(i.export),
      kind: i.kind,
      spike: i.spike ?? null,
    })),
  };
}
