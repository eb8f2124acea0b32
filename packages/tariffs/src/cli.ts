import { TariffConfigError } from './errors.js';
import { createPriceProvider, parseTariffConfig } from './config.js';
import type { WirePriceSeries } from './series.js';
import { toWireSeries, upcoming } from './series.js';

/**
 * Arguments of `sps prices <provider> …` after the CLI has parsed its flags.
 * `config` carries any other provider option (e.g. a TOU schedule read from --config FILE);
 * the named flags win over it.
 */
export interface PricesCliArgs {
  provider: string;
  product?: string;
  region?: string;
  token?: string;
  site?: string;
  exportProduct?: string;
  baseUrl?: string;
  timeoutMs?: number;
  config?: Record<string, unknown>;
  /** For tests; defaults to the system time. */
  now?: number;
}

export interface PricesCliOutput extends WirePriceSeries {
  warnings?: string[];
}

/**
 * One fetch of the normalised series for the CLI. Throws TariffConfigError (bad
 * flags, naming the field) or PriceFetchError (the provider failed); the CLI prints
 * the message on one line and exits non-zero.
 */
export async function fetchPricesForCli(args: PricesCliArgs): Promise<PricesCliOutput> {
  if (!args.provider)
    throw new TariffConfigError('missing provider (amber, octopus, aemo, flowpower, globird, tou, flat)', 'provider');
  const raw: Record<string, unknown> = { ...args.config, provider: args.provider.toLowerCase() };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) raw[key] = value;
  };
  set('product', args.product);
  set('region', args.region);
  set('token', args.token);
  set('siteId', args.site);
  set('exportProduct', args.exportProduct);
  set('baseUrl', args.baseUrl);
  set('timeoutMs', args.timeoutMs);
  const config = parseTariffConfig(raw);
  const provider = createPriceProvider(config);
  const now = args.now ?? Date.now();
  const series = await provider.fetch(now);
  const wire = toWireSeries({ ...series, intervals: upcoming(series, now - 60 * 60_000) });
  return series.warnings?.length ? { ...wire, warnings: series.warnings } : wire;
}
