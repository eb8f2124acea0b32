import { z } from 'zod';
import { expecting, intBetween, numberBetween, oneOf } from '../zod-fields.js';
import { isTimeZone, localTimeZone } from './tariff-options.js';

/**
 * The add-on's `forecast` option: one flat dict. Solar from Home Assistant's Energy
 * dashboard forecast (`ha`), Forecast.Solar or Open-Meteo (one array from declination/azimuth/kwp,
 * or several as `arrays` text; azimuth 0 = south, −90 = east, 90 = west, as both services count
 * it), or none; load from the store's
 * `load_power` history (optionally topped up from an HA sensor's long-term statistics).
 */
export const SOLAR_SOURCES = ['ha', 'forecast_solar', 'open_meteo', 'none'] as const;
export const LOAD_SOURCES = ['store', 'none'] as const;

const MINUTE = 60_000;

export const forecastOptionsSchema = z.strictObject(
  {
    solar: oneOf(SOLAR_SOURCES).optional(),
    latitude: numberBetween(-90, 90).optional(),
    longitude: numberBetween(-180, 180).optional(),
    declination: numberBetween(0, 90).optional(),
    azimuth: numberBetween(-180, 180).optional(),
    kwp: numberBetween(0.01, 1000).optional(),
    arrays: z
      .string({ error: expecting('expected arrays as text, e.g. "30/0/5.2; 15/-90/3.1"') })
      .trim()
      .min(1)
      .optional(),
    inverter_limit_w: intBetween(0, 1_000_000).optional(),
    losses_pct: numberBetween(0, 100).optional(),
    api_key: z
      .string({ error: expecting('expected the API key as text') })
      .trim()
      .optional(),
    solar_base_url: z.url({ protocol: /^https?$/, error: expecting('expected an http(s) URL') }).optional(),
    solar_refresh_min: intBetween(5, 1440).optional(),
    load: oneOf(LOAD_SOURCES).optional(),
    load_device: z
      .string({ error: expecting('expected a device name') })
      .trim()
      .min(1)
      .optional(),
    load_daily_kwh: numberBetween(0.1, 1000).optional(),
    load_sensor: z
      .string({ error: expecting('expected an entity id such as sensor.house_load') })
      .trim()
      .regex(/^sensor\.[a-z0-9_]+$/, { error: 'expected an entity id such as sensor.house_load' })
      .optional(),
    time_zone: z
      .string({ error: expecting('expected an IANA time zone') })
      .trim()
      .refine(isTimeZone, { error: 'expected an IANA time zone such as Europe/London' })
      .optional(),
  },
  { error: expecting('expected a mapping of forecast fields') },
);
export type ForecastOptions = z.output<typeof forecastOptionsSchema>;

/** One PV array: tilt from horizontal, azimuth (0 south, −90 east, 90 west), peak power. */
export interface PvArraySettings {
  readonly declination: number;
  readonly azimuth: number;
  readonly kwp: number;
}

export interface PvSiteSettings {
  readonly latitude: number;
  readonly longitude: number;
  readonly arrays: readonly PvArraySettings[];
  readonly inverterKw?: number;
  readonly lossesPct?: number;
  readonly apiKey?: string;
  readonly baseUrl?: string;
}

export type SolarSettings =
  | { readonly source: 'none' }
  | { readonly source: 'ha'; readonly refreshMs: number }
  | ({ readonly source: 'forecast_solar' | 'open_meteo'; readonly refreshMs: number } & PvSiteSettings);

export type LoadSettings =
  | { readonly source: 'none' }
  | {
      readonly source: 'store';
      /** Device id (slug) whose load_power is the household load; default the first that has one. */
      readonly device?: string;
      readonly haSensor?: string;
      /** The household's daily energy, kWh: the level of the typical-day profile a young history is blended with. */
      readonly dailyKwh?: number;
      readonly timeZone: string;
      readonly refreshMs: number;
    };

export interface ForecastSettings {
  readonly solar: SolarSettings;
  readonly load: LoadSettings;
}

export class ForecastOptionError extends Error {
  override readonly name = 'ForecastOptionError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * Default refreshes: HA's forecast is local (15 min); Forecast.Solar's free tier allows 12
 * calls an hour per IP and HA's own integration may share it (30 min); Open-Meteo's model
 * updates hourly (60 min).
 */
const DEFAULT_REFRESH_MIN = { ha: 15, forecast_solar: 30, open_meteo: 60 } as const;
/** The load profile changes slowly; rebuilding it from 28 days of history twice an hour is plenty. */
const LOAD_REFRESH_MS = 30 * MINUTE;

const PV_FIELDS = [
  'latitude',
  'longitude',
  'declination',
  'azimuth',
  'kwp',
  'arrays',
  'inverter_limit_w',
  'losses_pct',
  'api_key',
  'solar_base_url',
] as const;

/**
 * `optimising`: a tariff is configured. The load forecast then defaults to `store`; without a
 * tariff or a solar forecast nothing is planned, so it defaults to `none` and an install that
 * configures neither gets no extra device in HA.
 */
export function toForecastSettings(
  options: ForecastOptions,
  deviceIds: (name: string) => string,
  optimising: boolean,
): ForecastSettings {
  const solarSource = options.solar ?? 'none';
  const usedPv = PV_FIELDS.filter((f) => options[f] !== undefined);
  if (solarSource === 'none' || solarSource === 'ha') {
    const stray =
      usedPv[0] ??
      (solarSource === 'none'
        ? options.solar_refresh_min === undefined
          ? undefined
          : 'solar_refresh_min'
        : undefined);
    if (stray !== undefined) throw new ForecastOptionError(stray, `is not used when solar is ${solarSource}`);
  }
  if (solarSource === 'open_meteo' && options.api_key !== undefined) {
    throw new ForecastOptionError('api_key', 'is only used by forecast_solar');
  }
  const refreshMs =
    (options.solar_refresh_min ?? (solarSource === 'none' ? 0 : DEFAULT_REFRESH_MIN[solarSource])) * MINUTE;
  let solar: SolarSettings;
  if (solarSource === 'none') solar = { source: 'none' };
  else if (solarSource === 'ha') solar = { source: 'ha', refreshMs };
  else {
    for (const field of ['latitude', 'longitude'] as const) {
      if (options[field] === undefined)
        throw new ForecastOptionError(field, `is required when solar is ${solarSource}`);
    }
    const arrays = pvArrays(options, solarSource);
    if (solarSource === 'forecast_solar' && refreshMs < 15 * MINUTE) {
      throw new ForecastOptionError(
        'solar_refresh_min',
        'must be at least 15 for forecast_solar (free tier: 12 calls/hour)',
      );
    }
    solar = {
      source: solarSource,
      refreshMs,
      latitude: options.latitude!,
      longitude: options.longitude!,
      arrays,
      ...(options.inverter_limit_w === undefined ? {} : { inverterKw: options.inverter_limit_w / 1000 }),
      ...(options.losses_pct === undefined ? {} : { lossesPct: options.losses_pct }),
      ...(options.api_key === undefined || options.api_key === '' ? {} : { apiKey: options.api_key }),
      ...(options.solar_base_url === undefined ? {} : { baseUrl: options.solar_base_url }),
    };
  }

  const wantsLoad =
    optimising ||
    solarSource !== 'none' ||
    options.load_device !== undefined ||
    options.load_sensor !== undefined ||
    options.load_daily_kwh !== undefined;
  const loadSource = options.load ?? (wantsLoad ? 'store' : 'none');
  let load: LoadSettings;
  if (loadSource === 'none') {
    const stray = (['load_device', 'load_sensor', 'load_daily_kwh'] as const).find((f) => options[f] !== undefined);
    if (stray !== undefined) throw new ForecastOptionError(stray, 'is not used when load is none');
    load = { source: 'none' };
  } else {
    load = {
      source: 'store',
      ...(options.load_device === undefined ? {} : { device: deviceIds(options.load_device) }),
      ...(options.load_sensor === undefined ? {} : { haSensor: options.load_sensor }),
      ...(options.load_daily_kwh === undefined ? {} : { dailyKwh: options.load_daily_kwh }),
      timeZone: options.time_zone ?? localTimeZone(),
      refreshMs: LOAD_REFRESH_MS,
    };
  }
  return { solar, load };
}

/** Azimuth from south as Forecast.Solar and Open-Meteo count it; tilt 0–90°; peak power in kWp. */
const ARRAY_PATTERN = /^(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/;

/**
 * The PV arrays: either one from `declination`/`azimuth`/`kwp`, or several from `arrays`, a line a
 * person can type in the add-on's form: `declination/azimuth/kwp` per array, `;` between arrays
 * ("30/0/5.2; 15/-90/3.1" = 5.2 kWp facing south at 30°, 3.1 kWp facing east at 15°).
 */
function pvArrays(options: ForecastOptions, source: string): PvArraySettings[] {
  if (options.arrays === undefined) {
    if (options.kwp === undefined)
      throw new ForecastOptionError('kwp', `is required when solar is ${source} (or give arrays)`);
    return [{ declination: options.declination ?? 30, azimuth: options.azimuth ?? 0, kwp: options.kwp }];
  }
  const single = (['declination', 'azimuth', 'kwp'] as const).find((f) => options[f] !== undefined);
  if (single !== undefined) throw new ForecastOptionError(single, 'give either arrays or declination/azimuth/kwp');
  return options.arrays.split(';').map((part, index) => {
    const text = part.trim();
    const match = ARRAY_PATTERN.exec(text);
    const problem = (why: string): ForecastOptionError =>
      new ForecastOptionError('arrays', `array ${index + 1} ("${text}") ${why}`);
    if (!match) throw problem('is not declination/azimuth/kwp, e.g. 30/0/5.2');
    const [declination, azimuth, kwp] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (declination > 90) throw problem('has a declination above 90°');
    if (azimuth < -180 || azimuth > 180) throw problem('has an azimuth outside −180…180°');
    if (!(kwp > 0) || kwp > 1000) throw problem('has a peak power outside 0–1000 kWp');
    return { declination, azimuth, kwp };
  });
}
