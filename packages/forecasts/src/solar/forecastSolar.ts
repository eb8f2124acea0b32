import { z } from 'zod';
import type { GridPoint, GridSpec, PowerSample } from '../grid.js';
import { clipAt, resampleSegments, samplesToSegments, sumGridPoints } from '../grid.js';
import { getJson, joinUrl } from '../http.js';
import { zonedToUtc } from '@sps/core';
import type { SolarForecast, SolarForecastProvider } from './provider.js';

/*
 * Forecast.Solar public API (doc.forecast.solar; home-assistant-libs/forecast_solar):
 * GET /[apikey/]estimate/watts/{lat}/{lon}/{dec}/{az}/{kWp} → `result: { ts: W }`,
 * instantaneous power at each timestamp (sunrise and sunset at odd minutes).
 * dec: 0 = horizontal, 90 = vertical; az: −180…180 with 0 = south, −90 = east, 90 = west.
 * The public tier allows 12 calls per hour per IP, so poll at most every ~15 minutes.
 */

export const FORECAST_SOLAR_DEFAULT_BASE_URL = 'https://api.forecast.solar';

export interface ForecastSolarArray {
  name?: string;
  /** Tilt in degrees, 0 = horizontal. */
  declination: number;
  /** Degrees, 0 = south, −90 = east, 90 = west, ±180 = north. */
  azimuth: number;
  kwp: number;
}

export interface ForecastSolarOptions {
  latitude: number;
  longitude: number;
  arrays: ForecastSolarArray[];
  apiKey?: string;
  /** AC limit of the inverter(s), kW; the sum of arrays is clipped here. */
  inverterKw?: number;
  /** Extra losses not modelled by Forecast.Solar, % (default 0). */
  extraLossesPct?: number;
  baseUrl?: string;
  timeoutMs?: number;
}

const responseSchema = z.object({
  result: z.record(z.string(), z.number()),
  message: z
    .object({ info: z.object({ timezone: z.string().optional() }).partial().optional() })
    .partial()
    .optional(),
});

/** `2024-04-26T06:04:00+02:00`, or `2024-04-26 06:04:00` in the site's time zone. */
function parseTimestamp(ts: string, timeZone: string | undefined): number {
  if (/[zZ]|[+-]\d{2}:?\d{2}$/.test(ts)) return Date.parse(ts);
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(ts);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return timeZone ? zonedToUtc(timeZone, y!, mo!, d!, h!, mi!, s ?? 0) : Date.UTC(y!, mo! - 1, d!, h!, mi!, s ?? 0);
}

export class ForecastSolarProvider implements SolarForecastProvider {
  readonly id = 'forecast_solar';

  constructor(private readonly opts: ForecastSolarOptions) {}

  async forecast(grid: GridSpec): Promise<SolarForecast> {
    const o = this.opts;
    const base = joinUrl(o.baseUrl ?? FORECAST_SOLAR_DEFAULT_BASE_URL, o.apiKey ? encodeURIComponent(o.apiKey) : '');
    const perArray: GridPoint[][] = [];
    for (const a of o.arrays) {
      const url = joinUrl(
        base,
        `estimate/watts/${o.latitude}/${o.longitude}/${a.declination}/${a.azimuth}/${a.kwp}?time=iso8601`,
      );
      const data = await getJson(url, responseSchema, `Forecast.Solar ${a.name ?? ''}`.trim(), o.timeoutMs ?? 15_000);
      const tz = data.message?.info?.timezone;
      const samples: PowerSample[] = Object.entries(data.result)
        .map(([ts, w]) => ({ t: parseTimestamp(ts, tz), kw: Math.max(0, w) / 1000 }))
        .filter((s) => Number.isFinite(s.t));
      perArray.push(resampleSegments(samplesToSegments(samples), grid));
    }
    const factor = 1 - (o.extraLossesPct ?? 0) / 100;
    const total = sumGridPoints(perArray).map((p) => ({ ...p, kw: p.kw * factor }));
    return { source: this.id, points: clipAt(total, o.inverterKw) };
  }
}
