import { tariffConfigSchema, type TariffConfig } from '@sps/tariffs';
import { z } from 'zod';
import { expecting, intBetween, numberBetween, oneOf } from '../zod-fields.js';
import { parseHolidays, parseTouPeriods, parseTouSeasons, TouTextError } from './tou-text.js';

/**
 * The add-on's `tariff` option: one flat dict (HA's schema language cannot nest dicts in
 * dicts), translated into @sps/tariffs' per-provider config. An empty dict (or no
 * `provider`) means no prices. Which fields a provider takes is checked here, so an error
 * names the option the user typed (`tariff.api_token: …`), never an internal name.
 */
export const TARIFF_PROVIDERS = ['amber', 'octopus', 'aemo', 'flowpower', 'globird', 'tou', 'flat'] as const;
export type TariffProvider = (typeof TARIFF_PROVIDERS)[number];

const text = (what: string) => z.string({ error: expecting(`expected ${what}`) }).trim();

export const tariffOptionsSchema = z.strictObject(
  {
    provider: oneOf(TARIFF_PROVIDERS).optional(),
    api_token: text('the API token as text').optional(),
    site_id: text('the site id as text').optional(),
    product: text('a product name or code').optional(),
    export_product: text('an export product name or code').optional(),
    region: text('a region (Octopus A–P, AEMO NSW1, QLD1, VIC1, SA1, TAS1)').optional(),
    currency: z
      .string({ error: expecting('expected an ISO 4217 code such as AUD, GBP, EUR') })
      .regex(/^[A-Z]{3}$/, { error: 'expected an ISO 4217 code such as AUD, GBP, EUR' })
      .optional(),
    time_zone: text('an IANA time zone such as Australia/Sydney').optional(),
    import_rate: numberBetween(-100, 100).optional(),
    export_rate: numberBetween(-100, 100).optional(),
    periods: text('periods as text').optional(),
    seasons: text('seasons as text').optional(),
    holidays: text('dates as text').optional(),
    spike_threshold: numberBetween(0, 100_000).optional(),
    poll_interval_s: intBetween(10, 86_400).optional(),
    base_url: z.url({ protocol: /^https?$/, error: expecting('expected an http(s) URL') }).optional(),
  },
  { error: expecting('expected a mapping of tariff fields') },
);
export type TariffOptions = z.output<typeof tariffOptionsSchema>;
type TariffField = Exclude<keyof TariffOptions, 'provider'>;

/** Which option feeds which @sps/tariffs field, per provider. */
const FIELD_MAP: Record<TariffProvider, Partial<Record<TariffField, string>>> = {
  amber: { api_token: 'token', site_id: 'siteId', base_url: 'baseUrl', poll_interval_s: 'pollIntervalMs' },
  octopus: {
    product: 'product',
    export_product: 'exportProduct',
    region: 'region',
    export_rate: 'exportRate',
    base_url: 'baseUrl',
  },
  aemo: {
    region: 'region',
    spike_threshold: 'spikeThresholdPerMWh',
    base_url: 'baseUrl',
    poll_interval_s: 'pollIntervalMs',
  },
  flowpower: {
    region: 'region',
    time_zone: 'timeZone',
    spike_threshold: 'spikeThresholdPerMWh',
    base_url: 'baseUrl',
    poll_interval_s: 'pollIntervalMs',
  },
  globird: {
    region: 'region',
    time_zone: 'timeZone',
    spike_threshold: 'spikeThresholdPerMWh',
    base_url: 'baseUrl',
    poll_interval_s: 'pollIntervalMs',
  },
  tou: {
    currency: 'currency',
    time_zone: 'timeZone',
    import_rate: 'defaultImport',
    export_rate: 'defaultExport',
    periods: 'periods',
    seasons: 'seasons',
    holidays: 'holidays',
    poll_interval_s: 'pollIntervalMs',
  },
  flat: { currency: 'currency', time_zone: 'timeZone', import_rate: 'import', export_rate: 'export' },
};

/** A tariff option that is wrong; `field` is the option's name (`api_token`), `message` says what is wrong. */
export class TariffOptionError extends Error {
  override readonly name = 'TariffOptionError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

function convert(field: TariffField, value: string | number): unknown {
  try {
    switch (field) {
      case 'poll_interval_s':
        return Number(value) * 1000;
      case 'periods':
        return parseTouPeriods(String(value));
      case 'seasons':
        return parseTouSeasons(String(value));
      case 'holidays':
        return parseHolidays(String(value));
      default:
        return value;
    }
  } catch (err) {
    if (err instanceof TouTextError) throw new TariffOptionError(field, err.message);
    throw err;
  }
}

/**
 * The validated section → @sps/tariffs' config, or undefined when no provider is chosen.
 * Throws TariffOptionError naming the option.
 */
export function toTariffConfig(options: TariffOptions): TariffConfig | undefined {
  const provider = options.provider;
  if (provider === undefined) {
    const stray = Object.keys(options)[0];
    if (stray !== undefined) throw new TariffOptionError(stray, `needs a provider (${TARIFF_PROVIDERS.join('|')})`);
    return undefined;
  }
  const map = FIELD_MAP[provider];
  const raw: Record<string, unknown> = { provider };
  for (const [key, value] of Object.entries(options) as [TariffField | 'provider', string | number | undefined][]) {
    if (key === 'provider' || value === undefined) continue;
    const target = map[key];
    if (target === undefined) throw new TariffOptionError(key, `is not used by provider ${provider}`);
    raw[target] = convert(key, value);
  }
  // The add-on runs in the household's time zone (the Supervisor sets TZ); TOU needs one.
  if ((provider === 'tou' || provider === 'flat') && raw['timeZone'] === undefined) raw['timeZone'] = localTimeZone();
  const parsed = tariffConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const [head, ...rest] = issue?.path ?? [];
  const option = Object.entries(map).find(([, target]) => target === head)?.[0] ?? 'provider';
  const detail = rest.length > 0 ? `${describeInner(rest)}: ` : '';
  const missing = issue?.code === 'invalid_type' && issue.input === undefined;
  throw new TariffOptionError(
    option,
    missing ? `is required for provider ${provider}` : `${detail}${issue?.message ?? 'invalid'}`,
  );
}

/** `[1, 'import']` → `period 2: import` (periods are numbered from 1 for users). */
function describeInner(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `entry ${p + 1}` : String(p))).join(': ');
}

export function localTimeZone(): string {
  const tz = process.env['TZ'];
  if (tz && isTimeZone(tz)) return tz;
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
