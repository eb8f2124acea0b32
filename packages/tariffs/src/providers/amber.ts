import { z } from 'zod';
import { fetchJson, joinUrl } from '../http.js';
import { PriceFetchError } from '../errors.js';
import type { PriceProvider } from '../provider.js';
import { MINUTE } from '../provider.js';
import type { PriceInterval, PriceSeries, SpikeStatus } from '../series.js';
import { normaliseIntervals } from '../series.js';

/*
 * Amber Electric public API v1 (facts: amberelectric/public-api swagger.json and the
 * v2.0.0 OpenAPI copy, see ../README.md):
 * - prices are c/kWh including GST; on the feedIn channel `perKwh` is what the user
 *   PAYS, so a negative value means the user is paid (public-api#261);
 * - `startTime` is the interval start plus one second, `endTime` the exact end (UTC);
 * - responses carry IETF-draft RateLimit-* headers (observed policy 50;w=300).
 */

export const AMBER_DEFAULT_BASE_URL = 'https://api.amber.com.au/v1';

export interface AmberOptions {
  token: string;
  siteId: string;
  baseUrl?: string;
  /** 5 or 30 minutes; absent → the site's billing interval. */
  resolution?: 5 | 30;
  /** Forecast intervals to ask for (Amber caps next + previous at 2048). */
  next?: number;
  /** Past intervals to include. */
  previous?: number;
  /** Forecast intervals priced by `perKwh` (default) or Amber's `advancedPrice.predicted`. */
  forecastPrice?: 'perKwh' | 'advancedPredicted';
  timeoutMs?: number;
  /** Poll period when the rate limit allows it; Amber suggests once a minute. */
  pollIntervalMs?: number;
}

const amberIntervalSchema = z.object({
  type: z.enum(['ActualInterval', 'CurrentInterval', 'ForecastInterval']),
  duration: z.number().positive(),
  perKwh: z.number(),
  spotPerKwh: z.number().optional(),
  startTime: z.string(),
  endTime: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp'),
  nemTime: z.string().optional(),
  renewables: z.number().optional(),
  channelType: z.string(),
  // Kept as strings: a new label from Amber must not make every price unusable.
  spikeStatus: z.string().optional(),
  descriptor: z.string().optional(),
  estimate: z.boolean().optional(),
  advancedPrice: z.object({ low: z.number(), predicted: z.number(), high: z.number() }).nullish(),
});
export type AmberInterval = z.infer<typeof amberIntervalSchema>;
const amberPricesSchema = z.array(amberIntervalSchema);

export const amberSiteSchema = z.object({
  id: z.string(),
  nmi: z.string().optional(),
  network: z.string().optional(),
  status: z.string().optional(),
  activeFrom: z.string().nullish(),
  closedOn: z.string().nullish(),
  intervalLength: z.number().optional(),
  channels: z.array(z.object({ identifier: z.string(), type: z.string(), tariff: z.string().optional() })).default([]),
});
export type AmberSite = z.infer<typeof amberSiteSchema>;

/** The user's sites, for the config flow's site picker. */
export async function listAmberSites(opts: {
  token: string;
  baseUrl?: string;
  timeoutMs?: number;
}): Promise<AmberSite[]> {
  const { data } = await fetchJson(
    {
      url: joinUrl(opts.baseUrl ?? AMBER_DEFAULT_BASE_URL, 'sites'),
      headers: { authorization: `Bearer ${opts.token}` },
      timeoutMs: opts.timeoutMs ?? 10_000,
      what: 'Amber sites',
    },
    z.array(amberSiteSchema),
  );
  return data;
}

function spikeOf(s: string | undefined): SpikeStatus | undefined {
  return s === 'none' || s === 'potential' || s === 'spike' ? s : undefined;
}

/** Rate-limit state from the last response's RateLimit-* headers. */
interface RateLimitState {
  remaining?: number;
  resetMs?: number;
  at: number;
}

export class AmberPriceProvider implements PriceProvider {
  readonly id = 'amber';
  readonly currency = 'AUD';
  readonly key: string;
  private rate: RateLimitState | undefined;

  constructor(private readonly opts: AmberOptions) {
    this.key = `amber:${opts.siteId}:${opts.resolution ?? 'site'}`;
  }

  async fetch(now: number): Promise<PriceSeries> {
    const params = new URLSearchParams({
      next: String(this.opts.next ?? 288),
      previous: String(this.opts.previous ?? 12),
    });
    if (this.opts.resolution) params.set('resolution', String(this.opts.resolution));
    const url = joinUrl(
      this.opts.baseUrl ?? AMBER_DEFAULT_BASE_URL,
      `sites/${encodeURIComponent(this.opts.siteId)}/prices/current?${params}`,
    );
    try {
      const { data, headers } = await fetchJson(
        {
          url,
          headers: { authorization: `Bearer ${this.opts.token}` },
          timeoutMs: this.opts.timeoutMs ?? 10_000,
          what: 'Amber prices',
          now,
        },
        amberPricesSchema,
      );
      this.rememberRateLimit(headers, now);
      return { provider: this.id, currency: this.currency, fetchedAt: now, intervals: this.normalise(data) };
    } catch (err) {
      if (err instanceof PriceFetchError && err.kind === 'rate_limited') {
        this.rate = { remaining: 0, resetMs: err.retryAfterMs, at: now };
      }
      throw err;
    }
  }

  /** Once a minute at about :30 s (Amber's advice), slower when the rate-limit budget runs low. */
  nextPollDelayMs(now: number): number {
    const base = this.opts.pollIntervalMs ?? MINUTE;
    const aligned = base === MINUTE ? MINUTE - ((((now - 30_000) % MINUTE) + MINUTE) % MINUTE) : base;
    let delay = aligned < 5_000 ? aligned + MINUTE : aligned;
    const rate = this.rate;
    if (rate?.remaining !== undefined && rate.resetMs !== undefined) {
      const resetLeft = Math.max(0, rate.at + rate.resetMs - now);
      if (rate.remaining <= 1) delay = Math.max(delay, resetLeft + 2_000);
      else delay = Math.max(delay, Math.ceil(resetLeft / rate.remaining));
    }
    return delay;
  }

  private rememberRateLimit(headers: Headers, now: number): void {
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    this.rate = {
      remaining: headers.has('ratelimit-remaining') && Number.isFinite(remaining) ? remaining : undefined,
      // IETF draft: RateLimit-Reset is delta-seconds until the window resets.
      resetMs: headers.has('ratelimit-reset') && Number.isFinite(reset) ? reset * 1000 : undefined,
      at: now,
    };
  }

  private normalise(rows: AmberInterval[]): PriceInterval[] {
    // Group by channel, never by index: Amber's array order shifts when channels are added.
    const general = new Map<number, AmberInterval>();
    const feedIn = new Map<number, AmberInterval>();
    for (const row of rows) {
      const end = Date.parse(row.endTime);
      if (row.channelType === 'general') general.set(end, row);
      else if (row.channelType === 'feedIn') feedIn.set(end, row);
    }
    const hasFeedIn = feedIn.size > 0;
    const out: PriceInterval[] = [];
    for (const [end, g] of general) {
      const f = feedIn.get(end);
      if (hasFeedIn && !f) continue; // never guess an export price for one interval
      const kind =
        g.type === 'ActualInterval' || (g.type === 'CurrentInterval' && g.estimate === false) ? 'actual' : 'forecast';
      const interval: PriceInterval = {
        // startTime is start + 1 s; the exact start is end − duration.
        start: end - g.duration * MINUTE,
        end,
        import: this.price(g) / 100,
        // Feed-in perKwh is what the user pays: −8 c means the user earns 8 c.
        export: f ? -this.price(f) / 100 : 0,
        kind,
      };
      const spike = spikeOf(g.spikeStatus);
      if (spike) interval.spike = spike;
      if (g.descriptor) interval.descriptor = g.descriptor;
      if (g.renewables !== undefined) interval.renewables = g.renewables;
      out.push(interval);
    }
    return normaliseIntervals(out);
  }

  private price(row: AmberInterval): number {
    if (this.opts.forecastPrice === 'advancedPredicted' && row.type === 'ForecastInterval' && row.advancedPrice) {
      return row.advancedPrice.predicted;
    }
    return row.perKwh;
  }
}
