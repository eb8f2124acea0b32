import { z } from 'zod';
import { fetchJson, joinUrl } from '../http.js';
import { PriceFetchError } from '../errors.js';
import type { PriceProvider } from '../provider.js';
import { HOUR, MINUTE } from '../provider.js';
import type { PriceInterval, PriceKind, PriceSeries, SpikeStatus } from '../series.js';
import { normaliseIntervals } from '../series.js';

/*
 * AEMO NEM prices from the visualisation "5MIN" report (the JSON behind AEMO's price
 * dashboard; no auth). Facts (../README.md): RRP is $/MWh EXCLUDING GST;
 * SETTLEMENTDATE is the END of the interval in NEM time = UTC+10 all year (no
 * daylight saving); ACTUAL rows are 5-minute dispatch prices, FORECAST rows are the
 * 30-minute pre-dispatch forecast.
 */

export const AEMO_DEFAULT_BASE_URL = 'https://visualisations.aemo.com.au';
export const AEMO_REGIONS = ['NSW1', 'QLD1', 'VIC1', 'SA1', 'TAS1'] as const;
export type AemoRegion = (typeof AEMO_REGIONS)[number];

/** Local civil time zone of each region, for retailer windows defined in local time. */
export const AEMO_REGION_TIME_ZONES: Record<AemoRegion, string> = {
  NSW1: 'Australia/Sydney',
  QLD1: 'Australia/Brisbane',
  VIC1: 'Australia/Melbourne',
  SA1: 'Australia/Adelaide',
  TAS1: 'Australia/Hobart',
};

const NEM_OFFSET_MS = 10 * HOUR;

/** `2025-01-15T14:05:00` or `2025/01/15 14:05:00` in NEM time → UTC ms. An explicit offset is respected. */
export function parseNemTime(text: string): number {
  const m = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    text.trim(),
  );
  if (!m) return NaN;
  if (m[7]) return Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7]}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) - NEM_OFFSET_MS;
}

const rowSchema = z
  .object({
    SETTLEMENTDATE: z.string().refine((s) => Number.isFinite(parseNemTime(s)), 'must be a NEM date-time'),
    REGIONID: z.string().optional(),
    REGION: z.string().optional(),
    RRP: z.number(),
    PERIODTYPE: z.string(),
  })
  .refine((r) => r.REGIONID !== undefined || r.REGION !== undefined, 'REGIONID or REGION is required');
const reportSchema = z.object({ '5MIN': z.array(rowSchema) });

/** One regional price interval in $/MWh ex GST. */
export interface AemoPrice {
  start: number;
  end: number;
  rrp: number;
  kind: PriceKind;
}

export interface AemoFetchOptions {
  region: AemoRegion;
  baseUrl?: string;
  timeoutMs?: number;
  /** Drop intervals that ended more than this long ago. */
  pastMs?: number;
}

/** Dispatch (5-min, actual) + pre-dispatch (30-min, forecast) prices for one region, sorted, non-overlapping. */
export async function fetchAemoPrices(opts: AemoFetchOptions, now: number): Promise<AemoPrice[]> {
  const { data } = await fetchJson(
    {
      url: joinUrl(opts.baseUrl ?? AEMO_DEFAULT_BASE_URL, 'aemo/apps/api/report/5MIN'),
      method: 'POST',
      body: { timeScale: ['5MIN'] },
      timeoutMs: opts.timeoutMs ?? 15_000,
      what: 'AEMO 5MIN report',
      now,
    },
    reportSchema,
  );
  const actual: AemoPrice[] = [];
  const forecast: AemoPrice[] = [];
  for (const row of data['5MIN']) {
    if ((row.REGIONID ?? row.REGION) !== opts.region) continue;
    const end = parseNemTime(row.SETTLEMENTDATE);
    if (row.PERIODTYPE === 'ACTUAL') actual.push({ start: end - 5 * MINUTE, end, rrp: row.RRP, kind: 'actual' });
    else if (row.PERIODTYPE === 'FORECAST')
      forecast.push({ start: end - 30 * MINUTE, end, rrp: row.RRP, kind: 'forecast' });
  }
  if (actual.length === 0 && forecast.length === 0) {
    throw new PriceFetchError('invalid', `AEMO 5MIN report: no rows for region ${opts.region}`);
  }
  actual.sort((a, b) => a.start - b.start);
  forecast.sort((a, b) => a.start - b.start);
  // The first pre-dispatch half-hour overlaps the last dispatch intervals: dispatch wins,
  // the forecast keeps only the part not yet dispatched.
  const lastActualEnd = actual[actual.length - 1]?.end ?? -Infinity;
  const out = [...actual];
  for (const f of forecast) {
    if (f.end <= lastActualEnd) continue;
    out.push({ ...f, start: Math.max(f.start, lastActualEnd) });
  }
  const keepAfter = now - (opts.pastMs ?? HOUR);
  return out.filter((p) => p.end > keepAfter);
}

/**
 * Spike from the wholesale price: `spike` when a dispatch price is at/above the
 * threshold, `potential` when only the forecast is. Hysteresis keeps a spike on
 * until the price drops below threshold − hysteresis (avoids flapping).
 */
export function spikeStatuses(
  prices: readonly AemoPrice[],
  thresholdPerMWh: number,
  hysteresisPerMWh = 0,
): SpikeStatus[] {
  let inSpike = false;
  return prices.map((p) => {
    inSpike = inSpike ? p.rrp >= thresholdPerMWh - hysteresisPerMWh : p.rrp >= thresholdPerMWh;
    if (!inSpike) return 'none';
    return p.kind === 'actual' ? 'spike' : 'potential';
  });
}

export interface AemoOptions extends AemoFetchOptions {
  /** GST rate added to the import price (RRP excludes GST). Default 0.1. */
  gst?: number;
  /** Add GST to the export price too (only for GST-registered exporters). Default false. */
  gstOnExport?: boolean;
  /** Added to the import price, AUD/kWh (network + retail charges), default 0. */
  importAdderPerKwh?: number;
  /** Export price = RRP × multiplier + adder (AUD/kWh); defaults 1 and 0. */
  exportMultiplier?: number;
  exportAdderPerKwh?: number;
  spikeThresholdPerMWh?: number;
  spikeHysteresisPerMWh?: number;
  pollIntervalMs?: number;
}

/** Plain wholesale pass-through: the spot price as import and export signal. */
export class AemoPriceProvider implements PriceProvider {
  readonly id = 'aemo';
  readonly currency = 'AUD';
  readonly key: string;

  constructor(private readonly opts: AemoOptions) {
    this.key = `aemo:${opts.region}`;
  }

  async fetch(now: number): Promise<PriceSeries> {
    const prices = await fetchAemoPrices(this.opts, now);
    const gst = this.opts.gst ?? 0.1;
    const spikes = spikeStatuses(prices, this.opts.spikeThresholdPerMWh ?? 3000, this.opts.spikeHysteresisPerMWh ?? 0);
    const intervals: PriceInterval[] = prices.map((p, i) => {
      const spot = p.rrp / 1000; // $/MWh → $/kWh
      return {
        start: p.start,
        end: p.end,
        import: spot * (1 + gst) + (this.opts.importAdderPerKwh ?? 0),
        export:
          spot * (this.opts.gstOnExport ? 1 + gst : 1) * (this.opts.exportMultiplier ?? 1) +
          (this.opts.exportAdderPerKwh ?? 0),
        kind: p.kind,
        spike: spikes[i]!,
      };
    });
    return { provider: this.id, currency: this.currency, fetchedAt: now, intervals: normaliseIntervals(intervals) };
  }

  nextPollDelayMs(): number {
    return this.opts.pollIntervalMs ?? MINUTE;
  }
}
