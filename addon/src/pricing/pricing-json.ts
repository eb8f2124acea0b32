import type { GridPoint } from '@sps/forecasts';
import type { PriceInterval } from '@sps/tariffs';
import type { ForecastService, ForecastSnapshot } from './forecast-service.js';
import type { PricingRuntime } from './pricing-runtime.js';

/*
 * What /api/prices and /api/forecasts answer (and what HA's sensors are built from):
 * ISO timestamps with Z, prices in currency per kWh, forecasts in kW per interval.
 */

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const round3 = (x: number): number => Math.round(x * 1e3) / 1e3;

export interface PriceIntervalJson {
  start: string;
  end: string;
  import: number;
  export: number;
  kind: 'actual' | 'forecast';
  spike: 'none' | 'potential' | 'spike' | null;
  descriptor?: string;
}

export function priceIntervalJson(i: PriceInterval): PriceIntervalJson {
  return {
    start: new Date(i.start).toISOString(),
    end: new Date(i.end).toISOString(),
    import: round6(i.import),
    export: round6(i.export),
    kind: i.kind,
    spike: i.spike ?? null,
    ...(i.descriptor === undefined ? {} : { descriptor: i.descriptor }),
  };
}

export function pricesJson(pricing: PricingRuntime, now: number) {
  const service = pricing.prices;
  if (!service) {
    return {
      configured: false,
      available: false,
      fallback: true,
      reason: 'no tariff configured',
      current: null,
      intervals: [],
    };
  }
  const status = service.status();
  const coverage = service.coverage(now);
  return {
    configured: true,
    provider: status.provider,
    currency: status.currency,
    unit: `${status.currency}/kWh`,
    available: coverage.covered,
    fallback: coverage.fallback,
    reason: coverage.reason ?? null,
    current: coverage.current ? priceIntervalJson(coverage.current) : null,
    horizon_end: iso(coverage.horizonEnd),
    status: {
      last_success: iso(status.lastSuccessAt),
      last_attempt: iso(status.lastAttemptAt),
      last_error: status.lastError ?? null,
      consecutive_failures: status.consecutiveFailures,
      next_poll: iso(status.nextPollAt),
      warnings: status.warnings,
    },
    intervals: service.upcoming(now).map(priceIntervalJson),
  };
}

/** Points still ahead (the current interval included). */
export function upcomingPoints(snapshot: ForecastSnapshot, now: number): readonly GridPoint[] {
  return snapshot.points.filter((p) => p.end > now);
}

/** kWh over the next `hours` (for the sensors' summary attributes). */
export function energyKwh(points: readonly GridPoint[], from: number, hours: number): number {
  const to = from + hours * 3_600_000;
  let kwh = 0;
  for (const p of points) {
    const overlap = Math.min(p.end, to) - Math.max(p.start, from);
    if (overlap > 0) kwh += (p.kw * overlap) / 3_600_000;
  }
  return round3(kwh);
}

function forecastJson(service: ForecastService | undefined, now: number) {
  if (!service) return { configured: false, reason: 'not configured', unit: 'kW', points: [] };
  const s = service.current();
  const points = upcomingPoints(s, now);
  const current = points.find((p) => p.start <= now);
  return {
    configured: true,
    source: s.source,
    basis: s.basis ?? null,
    unit: 'kW',
    updated: iso(s.updatedAt),
    next_refresh: iso(s.nextRefreshAt),
    reason: s.reason ?? (s.updatedAt === undefined && s.lastAttemptAt === undefined ? 'not fetched yet' : null),
    current_kw: current ? round3(current.kw) : null,
    energy_next_24h_kwh: points.length ? energyKwh(points, now, 24) : null,
    points: points.map((p) => ({
      start: new Date(p.start).toISOString(),
      end: new Date(p.end).toISOString(),
      kw: round3(p.kw),
      ...(p.kwP10 === undefined ? {} : { p10: round3(p.kwP10) }),
      ...(p.kwP90 === undefined ? {} : { p90: round3(p.kwP90) }),
    })),
  };
}

export function forecastsJson(pricing: PricingRuntime, now: number) {
  return { solar: forecastJson(pricing.solar, now), load: forecastJson(pricing.load, now) };
}
