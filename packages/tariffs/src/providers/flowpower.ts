import type { PriceProvider } from '../provider.js';
import { MINUTE } from '../provider.js';
import type { PriceInterval, PriceSeries } from '../series.js';
import { normaliseIntervals } from '../series.js';
import { localMinuteOfDay } from '@sps/core';
import type { AemoFetchOptions, AemoRegion } from './aemo.js';
import { AEMO_REGION_TIME_ZONES, fetchAemoPrices, spikeStatuses } from './aemo.js';

/*
 * Flow Power: wholesale pass-through. Import = base rate + Price Efficiency Adjustment
 * (PEA), where PEA = (1+GST)·(spot − TWAP) − BPEA (+ a network adjustment), floored at
 * 0; export earns only in the evening "Happy Hour". Constants are PowerSync's defaults
 * (bolagnaise/PowerSync const.py, see ../README.md); real values are account-specific,
 * so every one is configurable.
 */

export const FLOW_POWER_HAPPY_HOUR_RATES: Record<AemoRegion, number> = {
  NSW1: 0.45,
  QLD1: 0.45,
  SA1: 0.45,
  VIC1: 0.35,
  TAS1: 0,
};

export interface FlowPowerOptions extends AemoFetchOptions {
  timeZone?: string;
  gst?: number;
  /** AUD/kWh incl. GST. */
  baseRate?: number;
  /** Time-weighted average wholesale price, AUD/kWh ex GST. */
  twap?: number;
  /** Benchmark PEA, AUD/kWh. */
  bpea?: number;
  /** Network tariff rate minus the average daily tariff, AUD/kWh; default 0. */
  networkAdjustment?: number;
  importFloor?: number;
  happyHour?: { start: number; end: number; rate?: number };
  exportOutsideHappyHour?: number;
  spikeThresholdPerMWh?: number;
  pollIntervalMs?: number;
}

export class FlowPowerPriceProvider implements PriceProvider {
  readonly id = 'flowpower';
  readonly currency = 'AUD';
  readonly key: string;

  constructor(private readonly opts: FlowPowerOptions) {
    this.key = `flowpower:${opts.region}`;
  }

  async fetch(now: number): Promise<PriceSeries> {
    const o = this.opts;
    const prices = await fetchAemoPrices(o, now);
    const tz = o.timeZone ?? AEMO_REGION_TIME_ZONES[o.region];
    const gst = o.gst ?? 0.1;
    const window = o.happyHour ?? { start: 17 * 60 + 30, end: 19 * 60 + 30 };
    const happyRate = window.rate ?? FLOW_POWER_HAPPY_HOUR_RATES[o.region];
    const spikes = spikeStatuses(prices, o.spikeThresholdPerMWh ?? 3000);
    const intervals: PriceInterval[] = prices.map((p, i) => {
      const spot = p.rrp / 1000;
      const pea = (1 + gst) * (spot - (o.twap ?? 0.08)) - (o.bpea ?? 0.017) + (o.networkAdjustment ?? 0);
      // Happy Hour is in local civil time (daylight saving applies), unlike NEM time.
      const minute = localMinuteOfDay(p.start, tz);
      const happy = minute >= window.start && minute < window.end;
      return {
        start: p.start,
        end: p.end,
        import: Math.max(o.importFloor ?? 0, (o.baseRate ?? 0.34) + pea),
        export: happy ? happyRate : (o.exportOutsideHappyHour ?? 0),
        kind: p.kind,
        spike: spikes[i]!,
        descriptor: happy ? 'happy_hour' : undefined,
      };
    });
    for (const i of intervals) if (i.descriptor === undefined) delete i.descriptor;
    return { provider: this.id, currency: this.currency, fetchedAt: now, intervals: normaliseIntervals(intervals) };
  }

  nextPollDelayMs(): number {
    return this.opts.pollIntervalMs ?? MINUTE;
  }
}
