import { z } from 'zod';
import type { GridPoint, GridSpec, PowerSegment } from '../grid.js';
import { HOUR, MINUTE, resampleSegments, sumGridPoints } from '../grid.js';
import { ForecastFetchError, describeZodError } from '../http.js';
import type { HaForecastBridge, SolarForecast, SolarForecastProvider } from './provider.js';

/*
 * HA's `energy/solar_forecast` covers every forecast integration selected in the
 * Energy dashboard (Forecast.Solar, Solcast, …). Each `wh_hours` key is the START of
 * a period and its value the energy in Wh over that period (hourly for Forecast.Solar,
 * which reports `wh_period`; Solcast's energy platform also keys by period start).
 */

const isoKey = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp');
const haSolarForecastSchema = z.record(
  z.string(),
  z.object({ wh_hours: z.record(isoKey, z.number().nonnegative().refine(Number.isFinite)) }),
);

/** Fill the night gaps between covered periods with zero so only the far edges stay unknown. */
export function withZeroGaps(segments: PowerSegment[]): PowerSegment[] {
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  const out: PowerSegment[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && s.start > prev.end) out.push({ start: prev.end, end: s.start, kw: 0, kwP10: 0, kwP90: 0 });
    out.push(s);
  }
  return out.map((s) => (segments.some((x) => x.kwP10 !== undefined) ? s : { start: s.start, end: s.end, kw: s.kw }));
}

/** wh_hours of one config entry → average-power segments. */
export function whHoursToSegments(whHours: Record<string, number>): PowerSegment[] {
  const entries = Object.entries(whHours)
    .map(([k, wh]) => ({ t: Date.parse(k), wh }))
    .sort((a, b) => a.t - b.t);
  // The period is the smallest spacing between keys (≤ 1 h): night hours are often absent.
  let period = HOUR;
  for (let i = 1; i < entries.length; i++) {
    const d = entries[i]!.t - entries[i - 1]!.t;
    if (d >= 5 * MINUTE && d < period) period = d;
  }
  return entries.map(({ t, wh }) => ({ start: t, end: t + period, kw: wh / 1000 / (period / HOUR) }));
}

export class HaSolarForecastProvider implements SolarForecastProvider {
  readonly id = 'home_assistant';

  constructor(
    private readonly bridge: HaForecastBridge,
    /** Only these config entries (default: all that HA returns). */
    private readonly entryIds?: readonly string[],
  ) {}

  async forecast(grid: GridSpec): Promise<SolarForecast> {
    let raw: unknown;
    try {
      raw = await this.bridge.solarForecast();
    } catch (err) {
      throw new ForecastFetchError(
        'network',
        `HA energy/solar_forecast failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const parsed = haSolarForecastSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ForecastFetchError('invalid', `HA energy/solar_forecast: ${describeZodError(parsed.error)}`);
    }
    const entries = Object.entries(parsed.data).filter(([id]) => !this.entryIds || this.entryIds.includes(id));
    if (entries.length === 0) {
      throw new ForecastFetchError(
        'invalid',
        'HA energy/solar_forecast: no solar forecast is configured in the Energy dashboard',
      );
    }
    const perEntry: GridPoint[][] = entries.map(([, v]) =>
      resampleSegments(withZeroGaps(whHoursToSegments(v.wh_hours)), grid),
    );
    return { source: this.id, points: sumGridPoints(perEntry) };
  }
}
