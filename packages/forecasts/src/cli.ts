import { z } from 'zod';
import type { GridPoint } from './grid.js';
import { gridFrom } from './grid.js';
import { describeZodError } from './http.js';
import type { LoadSample } from './load/model.js';
import { LoadForecaster } from './load/forecaster.js';
import { ForecastSolarProvider } from './solar/forecastSolar.js';
import { OpenMeteoPvProvider } from './solar/openMeteo.js';
import { isValidTimeZone } from '@sps/core';

/** Bad CLI input; names the field. */
export class ForecastInputError extends Error {
  override readonly name = 'ForecastInputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface WireForecastPoint {
  start: string;
  end: string;
  kw: number;
  p10?: number;
  p90?: number;
}

export interface ForecastCliOutput {
  kind: 'solar' | 'load';
  source: string;
  unit: 'kW';
  stepMinutes: number;
  points: WireForecastPoint[];
  warnings?: string[];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function toWirePoints(points: readonly GridPoint[]): WireForecastPoint[] {
  return points.map((p) => ({
    start: new Date(p.start).toISOString(),
    end: new Date(p.end).toISOString(),
    kw: round4(p.kw),
    ...(p.kwP10 !== undefined ? { p10: round4(p.kwP10) } : {}),
    ...(p.kwP90 !== undefined ? { p90: round4(p.kwP90) } : {}),
  }));
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ForecastInputError(describeZodError(r.error), r.error.issues[0]?.path.join('.'));
  return r.data;
}

const gridArgs = {
  hours: z
    .number()
    .positive()
    .max(16 * 24)
    .default(48),
  stepMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(5),
  now: z.number().optional(),
};

export const solarCliArgsSchema = z.object({
  source: z.enum(['forecast.solar', 'open-meteo'], { error: 'source must be forecast.solar or open-meteo' }),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  /** Tilt, degrees from horizontal. */
  tilt: z.number().min(0).max(90).default(30),
  /** 0 = south, −90 = east, 90 = west. */
  azimuth: z.number().min(-180).max(180).default(0),
  kwp: z.number().positive(),
  inverterKw: z.number().positive().optional(),
  lossesPct: z.number().min(0).max(100).optional(),
  apiKey: z.string().optional(),
  baseUrl: z.url().optional(),
  timeoutMs: z.number().int().positive().optional(),
  ...gridArgs,
});

/** `sps forecast solar …`: one array, straight from Forecast.Solar or Open-Meteo + the PV model. */
export async function forecastSolarForCli(input: z.input<typeof solarCliArgsSchema>): Promise<ForecastCliOutput> {
  const a = parse(solarCliArgsSchema, input);
  const now = a.now ?? Date.now();
  const grid = gridFrom(now, a.hours, a.stepMinutes);
  const provider =
    a.source === 'forecast.solar'
      ? new ForecastSolarProvider({
          latitude: a.latitude,
          longitude: a.longitude,
          arrays: [{ declination: a.tilt, azimuth: a.azimuth, kwp: a.kwp }],
          inverterKw: a.inverterKw,
          extraLossesPct: a.lossesPct,
          apiKey: a.apiKey,
          baseUrl: a.baseUrl,
          timeoutMs: a.timeoutMs,
        })
      : new OpenMeteoPvProvider({
          latitude: a.latitude,
          longitude: a.longitude,
          arrays: [{ tilt: a.tilt, azimuth: a.azimuth, kwp: a.kwp, lossesPct: a.lossesPct }],
          inverterKw: a.inverterKw,
          baseUrl: a.baseUrl,
          timeoutMs: a.timeoutMs,
        });
  const f = await provider.forecast(grid);
  return {
    kind: 'solar',
    source: f.source,
    unit: 'kW',
    stepMinutes: a.stepMinutes,
    points: toWirePoints(f.points),
    ...(f.warnings ? { warnings: f.warnings } : {}),
  };
}

export const loadCliArgsSchema = z.object({
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone'),
  historyDays: z.number().int().positive().max(366).optional(),
  ...gridArgs,
});

/** `sps forecast load …`: the profile forecast from recorded history (the add-on passes the store's). */
export async function forecastLoadForCli(
  input: z.input<typeof loadCliArgsSchema> & { history: LoadSample[] },
): Promise<ForecastCliOutput> {
  const a = parse(loadCliArgsSchema, input);
  const now = a.now ?? Date.now();
  const history = input.history;
  const forecaster = new LoadForecaster({
    history: { loadHistory: (from, to) => Promise.resolve(history.filter((s) => s.start >= from && s.end <= to)) },
    model: { timeZone: a.timeZone, ...(a.historyDays ? { historyDays: a.historyDays } : {}) },
  });
  const f = await forecaster.forecast(gridFrom(now, a.hours, a.stepMinutes), now);
  return {
    kind: 'load',
    source: f.source,
    unit: 'kW',
    stepMinutes: a.stepMinutes,
    points: toWirePoints(f.points),
    ...(f.warnings ? { warnings: f.warnings } : {}),
  };
}

/** `timestamp,kw` lines (ISO with Z, interval start) → samples; `stepMinutes` is the recording period. */
export function parseLoadCsv(text: string, stepMinutes = 30): LoadSample[] {
  const out: LoadSample[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const [ts, kw] = line.split(',');
    if (!ts || ts.trim() === '' || /^[a-z_]+$/i.test(ts.trim())) return; // blank or header
    const start = Date.parse(ts.trim());
    const value = Number(kw);
    if (!Number.isFinite(start) || !Number.isFinite(value)) {
      throw new ForecastInputError(`line ${i + 1}: expected "ISO timestamp,kW", got "${line.slice(0, 60)}"`, 'history');
    }
    out.push({ start, end: start + stepMinutes * 60_000, kw: value });
  });
  return out;
}
