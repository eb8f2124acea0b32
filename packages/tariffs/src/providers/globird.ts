import type { PriceProvider } from '../provider.js';
import { HOUR, MINUTE } from '../provider.js';
import type { PriceSeries, SpikeStatus } from '../series.js';
import { PriceFetchError, toPriceFetchError } from '../errors.js';
import type { AemoFetchOptions, AemoPrice } from './aemo.js';
import { fetchAemoPrices, spikeStatuses } from './aemo.js';
import type { TouSchedule, TouScheduleInput } from './tou.js';
import { touIntervals } from './tou.js';

/*
 * GloBird: a fixed retail time-of-use tariff plus VPP spike events triggered when the
 * AEMO regional price reaches a threshold ($3000/MWh by default, with 20 $/MWh
 * hysteresis — PowerSync's GloBird settings, see ../README.md). The TOU numbers in the
 * preset are placeholders shaped like the ZeroHero plan; users set their own.
 */

export const GLOBIRD_DEFAULT_TOU: Omit<TouScheduleInput, 'timeZone'> = {
  currency: 'AUD',
  periods: [
    { name: 'free_import', days: 'all', start: '11:00', end: '14:00', import: 0 },
    { name: 'super_export', days: 'all', start: '18:00', end: '21:00', import: 0.45, export: 0.1 },
    { name: 'peak', days: 'all', start: '16:00', end: '23:00', import: 0.45 },
  ],
  defaultImport: 0.3,
  defaultExport: 0,
};

export interface GlobirdOptions extends AemoFetchOptions {
  schedule: TouSchedule;
  spikeThresholdPerMWh?: number;
  spikeHysteresisPerMWh?: number;
  /** Export price (AUD/kWh) paid during a spike event; absent → the TOU export rate. */
  spikeExportRate?: number;
  pollIntervalMs?: number;
}

function worst(a: SpikeStatus | undefined, b: SpikeStatus): SpikeStatus {
  const rank = { none: 0, potential: 1, spike: 2 } as const;
  return a === undefined || rank[b] > rank[a] ? b : a;
}

export class GlobirdPriceProvider implements PriceProvider {
  readonly id = 'globird';
  readonly currency = 'AUD';
  readonly key: string;

  constructor(private readonly opts: GlobirdOptions) {
    this.key = `globird:${opts.region}`;
  }

  async fetch(now: number): Promise<PriceSeries> {
    const o = this.opts;
    const intervals = touIntervals(o.schedule, now, now + o.schedule.horizonHours * HOUR);
    if (intervals.length === 0) throw new PriceFetchError('invalid', 'GloBird schedule prices no interval');
    const warnings: string[] = [];
    let prices: AemoPrice[] = [];
    try {
      prices = await fetchAemoPrices(o, now);
    } catch (err) {
      // The retail prices are fixed and still right; only the spike status is unknown.
      warnings.push(`spike status unknown: ${toPriceFetchError(err).reason}`);
    }
    const statuses = spikeStatuses(prices, o.spikeThresholdPerMWh ?? 3000, o.spikeHysteresisPerMWh ?? 20);
    for (const slot of intervals) {
      let status: SpikeStatus | undefined;
      prices.forEach((p, i) => {
        if (p.start < slot.end && p.end > slot.start) status = worst(status, statuses[i]!);
      });
      if (status === undefined) continue; // beyond AEMO's horizon: unknown, not "none"
      slot.spike = status;
      if (status === 'spike' && o.spikeExportRate !== undefined) slot.export = o.spikeExportRate;
    }
    return {
      provider: this.id,
      currency: this.currency,
      fetchedAt: now,
      intervals,
      ...(warnings.length ? { warnings } : {}),
    };
  }

  nextPollDelayMs(): number {
    return this.opts.pollIntervalMs ?? MINUTE;
  }
}
