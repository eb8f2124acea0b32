import { z } from 'zod';
import type { GridPoint, GridSpec } from '../grid.js';
import { HOUR, gridStarts } from '../grid.js';
import { getJson, joinUrl } from '../http.js';
import type { LoadModelOptions, LoadSample, TemperaturePoint } from './model.js';
import { LoadProfileModel, temperatureAt } from './model.js';
import { DEFAULT_FULL_HISTORY_DAYS, LoadPriorProfile, coveredDays, type LoadPriorOptions } from './prior.js';

const DAY = 24 * HOUR;

/** Recorded household load, e.g. the store's history of `load_power`. */
export interface LoadHistorySource {
  loadHistory(from: number, to: number): Promise<LoadSample[]>;
}

/** Past and forecast air temperatures (hourly). */
export interface TemperatureSource {
  temperatures(from: number, to: number): Promise<TemperaturePoint[]>;
}

/** How a load forecast was made: what the user sees as its basis. */
export interface LoadBlend {
  /** Days of load the history covers (fractional: 6 h = 0.25). */
  coveredDays: number;
  /** Share of the learnt profile in each point, 0–1 (the rest is the typical-day profile). */
  historyWeight: number;
  /** The typical-day profile's daily energy, kWh, and where its level came from. */
  profileDailyKwh: number;
  profileLevel: 'configured' | 'history' | 'default';
}

export interface LoadForecast {
  source: 'profile';
  points: GridPoint[];
  /** Days of history the profile was built from. */
  historyDays: number;
  /** Absent when the typical-day profile is switched off (`prior: false`). */
  blend?: LoadBlend;
  warnings?: string[];
}

export interface LoadForecasterOptions {
  history: LoadHistorySource;
  /** HA long-term statistics of a chosen sensor, used while the store is young. */
  fallbackHistory?: LoadHistorySource;
  /** Below this many days in `history`, `fallbackHistory` fills the older part. */
  minHistoryDays?: number;
  temperature?: TemperatureSource;
  model: LoadModelOptions;
  /**
   * The typical-day profile blended in while the history is short (default on): with it the
   * forecast always covers the whole grid. `false` = the learnt profile alone (gaps stay gaps).
   */
  prior?: LoadPriorOptions | false;
}

export class LoadForecaster {
  constructor(private readonly opts: LoadForecasterOptions) {}

  async forecast(grid: GridSpec, now: number): Promise<LoadForecast> {
    const o = this.opts;
    const days = o.model.historyDays ?? 28;
    const from = now - days * DAY;
    const warnings: string[] = [];
    let samples = await o.history.loadHistory(from, now);
    const span = samples.length ? (now - Math.min(...samples.map((s) => s.start))) / DAY : 0;
    if (o.fallbackHistory && span < (o.minHistoryDays ?? 14)) {
      const oldest = samples.length ? Math.min(...samples.map((s) => s.start)) : now;
      try {
        const older = await o.fallbackHistory.loadHistory(from, oldest);
        samples = [...older.filter((s) => s.end <= oldest), ...samples];
      } catch (err) {
        warnings.push(`fallback history unavailable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    let temps: TemperaturePoint[] = [];
    if (o.temperature && o.model.temperature) {
      try {
        temps = (await o.temperature.temperatures(from, grid.to)).sort((a, b) => a.start - b.start);
      } catch (err) {
        warnings.push(`temperature unavailable, no adjustment: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const model = LoadProfileModel.fromSamples(samples, now, o.model, temps);
    const inWindow = samples.filter((s) => s.end > from && s.start < now);
    const prior = o.prior === false ? undefined : LoadPriorProfile.fit(inWindow, o.model.timeZone, o.prior?.dailyKwh);
    const covered = coveredDays(inWindow);
    // The history earns its weight day by day, so a few hours of it never decide a whole day.
    const historyWeight = prior
      ? Math.min(1, covered / ((o.prior === false ? undefined : o.prior?.fullHistoryDays) ?? DEFAULT_FULL_HISTORY_DAYS))
      : 1;
    const points: GridPoint[] = [];
    for (const start of gridStarts(grid)) {
      const mid = start + grid.stepMs / 2;
      const learnt = model.predictKw(mid, temps.length ? temperatureAt(temps, mid) : undefined);
      const typical = prior?.predictKw(mid);
      const kw =
        learnt === undefined
          ? typical
          : typical === undefined
            ? learnt
            : historyWeight * learnt + (1 - historyWeight) * typical;
      if (kw !== undefined) points.push({ start, end: start + grid.stepMs, kw });
    }
    if (points.length === 0) warnings.push('no load history: no forecast');
    return {
      source: 'profile',
      points,
      historyDays: model.historyDays,
      ...(prior
        ? {
            blend: {
              coveredDays: covered,
              historyWeight,
              profileDailyKwh: prior.meanKw * 24,
              profileLevel: prior.level,
            },
          }
        : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  }
}

const temperatureSchema = z.object({
  utc_offset_seconds: z.number().default(0),
  hourly: z
    .object({ time: z.array(z.string()), temperature_2m: z.array(z.number().nullable()) })
    .refine((h) => h.time.length === h.temperature_2m.length, 'time and temperature_2m must have equal lengths'),
});

/** Open-Meteo `temperature_2m` (instantaneous, hourly) for past days and the forecast. */
export class OpenMeteoTemperatureSource implements TemperatureSource {
  constructor(
    private readonly opts: { latitude: number; longitude: number; baseUrl?: string; timeoutMs?: number },
    private readonly clock: { now(): number } = { now: () => Date.now() },
  ) {}

  async temperatures(from: number, to: number): Promise<TemperaturePoint[]> {
    const now = this.clock.now();
    const params = new URLSearchParams({
      latitude: String(this.opts.latitude),
      longitude: String(this.opts.longitude),
      hourly: 'temperature_2m',
      timezone: 'GMT',
      past_days: String(Math.min(92, Math.max(0, Math.ceil((now - from) / DAY)))),
      forecast_days: String(Math.min(16, Math.max(1, Math.ceil((to - now) / DAY) + 1))),
    });
    const r = await getJson(
      joinUrl(this.opts.baseUrl ?? 'https://api.open-meteo.com', `v1/forecast?${params}`),
      temperatureSchema,
      'Open-Meteo temperature',
      this.opts.timeoutMs ?? 15_000,
    );
    const out: TemperaturePoint[] = [];
    r.hourly.time.forEach((t, i) => {
      const c = r.hourly.temperature_2m[i];
      if (c === null || c === undefined) return;
      const at = Date.parse(`${t.length === 16 ? `${t}:00` : t}Z`) - r.utc_offset_seconds * 1000;
      out.push({ start: at - HOUR / 2, end: at + HOUR / 2, celsius: c });
    });
    return out;
  }
}
