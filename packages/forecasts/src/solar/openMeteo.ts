import { z } from 'zod';
import type { GridPoint, GridSpec, PowerSegment } from '../grid.js';
import { HOUR, clipAt, resampleSegments, sumGridPoints } from '../grid.js';
import { ForecastFetchError, getJson, joinUrl } from '../http.js';
import type { PvArray, PvModelOptions } from './pvModel.js';
import { arrayPowerKw, planeOfArrayIrradiance, sunPosition } from './pvModel.js';
import type { SolarForecast, SolarForecastProvider } from './provider.js';

/*
 * Open-Meteo forecast API (open-meteo.com/en/docs): hourly radiation is the MEAN over
 * the PRECEDING hour in W/m²; `time` is local without offset, shifted by
 * `utc_offset_seconds` (we ask for GMT, offset 0). `global_tilted_irradiance` takes
 * `tilt` and `azimuth` (0 = south, −90 = east, 90 = west).
 */

export const OPEN_METEO_DEFAULT_BASE_URL = 'https://api.open-meteo.com';

export interface OpenMeteoPvOptions extends PvModelOptions {
  latitude: number;
  longitude: number;
  arrays: PvArray[];
  /** AC limit of the inverter(s), kW. */
  inverterKw?: number;
  /**
   * `gti`: one request per array for Open-Meteo's tilted irradiance (default);
   * `components`: one request for GHI/DNI/DHI transposed by our own model.
   */
  mode?: 'gti' | 'components';
  baseUrl?: string;
  timeoutMs?: number;
}

const column = z.array(z.number().nullable());
const responseSchema = z.object({
  utc_offset_seconds: z.number().default(0),
  hourly: z
    .object({
      time: z.array(z.string()),
      temperature_2m: column.optional(),
      global_tilted_irradiance: column.optional(),
      shortwave_radiation: column.optional(),
      direct_normal_irradiance: column.optional(),
      diffuse_radiation: column.optional(),
    })
    .refine(
      (h) => Object.values(h).every((c) => c === undefined || c.length === h.time.length),
      'columns must have equal lengths',
    ),
});
type OpenMeteoResponse = z.output<typeof responseSchema>;

/** Hour-ending local timestamps → UTC ms of the hour's end. */
export function openMeteoTimes(r: { utc_offset_seconds: number; hourly: { time: string[] } }): number[] {
  return r.hourly.time.map((t) => Date.parse(`${t.length === 16 ? `${t}:00` : t}Z`) - r.utc_offset_seconds * 1000);
}

export class OpenMeteoPvProvider implements SolarForecastProvider {
  readonly id = 'open_meteo';

  constructor(private readonly opts: OpenMeteoPvOptions) {}

  async forecast(grid: GridSpec): Promise<SolarForecast> {
    const o = this.opts;
    const days = Math.min(16, Math.ceil((grid.to - grid.from) / (24 * HOUR)) + 1);
    const params = (extra: Record<string, string>) =>
      new URLSearchParams({
        latitude: String(o.latitude),
        longitude: String(o.longitude),
        timezone: 'GMT',
        forecast_days: String(days),
        past_days: '1',
        ...extra,
      });
    const url = (p: URLSearchParams) => joinUrl(o.baseUrl ?? OPEN_METEO_DEFAULT_BASE_URL, `v1/forecast?${p}`);
    const perArray: GridPoint[][] = [];
    if ((o.mode ?? 'gti') === 'gti') {
      for (const a of o.arrays) {
        const r = await getJson(
          url(
            params({
              hourly: 'global_tilted_irradiance,temperature_2m',
              tilt: String(a.tilt),
              azimuth: String(a.azimuth),
            }),
          ),
          responseSchema,
          'Open-Meteo',
          o.timeoutMs ?? 15_000,
        );
        const gti = need(r, 'global_tilted_irradiance');
        perArray.push(
          resampleSegments(
            this.segments(r, (i) => arrayPowerKw(a, gti[i]!, temp(r, i), o)),
            grid,
          ),
        );
      }
    } else {
      const r = await getJson(
        url(params({ hourly: 'shortwave_radiation,direct_normal_irradiance,diffuse_radiation,temperature_2m' })),
        responseSchema,
        'Open-Meteo',
        o.timeoutMs ?? 15_000,
      );
      const ghi = need(r, 'shortwave_radiation');
      const dni = need(r, 'direct_normal_irradiance');
      const dhi = need(r, 'diffuse_radiation');
      const ends = openMeteoTimes(r);
      for (const a of o.arrays) {
        const segs = this.segments(r, (i) => {
          // The hour's mean irradiance, transposed with the sun at mid-hour.
          const sun = sunPosition(ends[i]! - HOUR / 2, o.latitude, o.longitude);
          return arrayPowerKw(
            a,
            planeOfArrayIrradiance(ghi[i]!, dni[i]!, dhi[i]!, sun, a.tilt, a.azimuth),
            temp(r, i),
            o,
          );
        });
        perArray.push(resampleSegments(segs, grid));
      }
    }
    return { source: this.id, points: clipAt(sumGridPoints(perArray), o.inverterKw) };
  }

  /** One segment per hour with data: [end − 1 h, end). Hours with a null value stay unknown. */
  private segments(r: OpenMeteoResponse, powerAt: (i: number) => number): PowerSegment[] {
    const ends = openMeteoTimes(r);
    const out: PowerSegment[] = [];
    ends.forEach((end, i) => {
      const kw = powerAt(i);
      if (Number.isFinite(kw)) out.push({ start: end - HOUR, end, kw });
    });
    return out;
  }
}

function need(r: OpenMeteoResponse, key: Exclude<keyof OpenMeteoResponse['hourly'], 'time'>): number[] {
  const col = r.hourly[key];
  if (!col) throw new ForecastFetchError('invalid', `Open-Meteo: hourly.${key} missing from the response`);
  // null (no data) becomes NaN so the hour is left unknown rather than zero.
  return col.map((v) => (v === null ? NaN : v));
}

function temp(r: OpenMeteoResponse, i: number): number {
  const t = r.hourly.temperature_2m?.[i];
  return t === null || t === undefined ? 25 : t;
}
