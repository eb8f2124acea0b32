import { PriceFetchError, createPriceProvider, toWireSeries, upcoming } from '@sps/tariffs';
import { describeFirstIssue } from '../zod-fields.js';
import { TariffOptionError, tariffOptionsSchema, toTariffConfig } from '../pricing/tariff-options.js';
import { type CliCommand, CliError, EXIT_BAD_INPUT, parseFlags, stringFlag } from './command.js';
import { formatTable } from './table.js';

/** CLI flag ↔ the add-on's `tariff` option, so both are checked by the same rules. */
const FLAG_TO_OPTION = {
  token: 'api_token',
  site: 'site_id',
  product: 'product',
  'export-product': 'export_product',
  region: 'region',
  currency: 'currency',
  'time-zone': 'time_zone',
  'import-rate': 'import_rate',
  'export-rate': 'export_rate',
  periods: 'periods',
  seasons: 'seasons',
  holidays: 'holidays',
  'spike-threshold': 'spike_threshold',
  'base-url': 'base_url',
} as const;
const NUMERIC = new Set<string>(['import-rate', 'export-rate', 'spike-threshold']);

function flagOf(option: string): string {
  const flag = Object.entries(FLAG_TO_OPTION).find(([, o]) => o === option)?.[0];
  return flag === undefined ? option : `--${flag}`;
}

/** Intervals that ended more than an hour ago are history, not prices to act on. */
const PAST_MS = 60 * 60_000;

export const pricesCommand: CliCommand = {
  name: 'prices',
  summary: 'fetch the normalised price series from a provider (amber, octopus, aemo, flowpower, globird, tou, flat)',
  usage:
    'sps prices <provider> [--product P --region R [--export-product P] | --token T --site S | --region NSW1] ' +
    '[--currency C --time-zone TZ --import-rate N --export-rate N --periods TEXT] [--base-url URL] [--json]',
  async run(args, io) {
    const flags = Object.fromEntries(Object.keys(FLAG_TO_OPTION).map((f) => [f, { type: 'string' as const }]));
    const { values, positionals } = parseFlags(args, { ...flags, json: { type: 'boolean' } }, true);
    const [provider, extra] = positionals;
    if (provider === undefined) {
      throw new CliError('provider: missing (amber, octopus, aemo, flowpower, globird, tou, flat)', EXIT_BAD_INPUT);
    }
    if (extra !== undefined) throw new CliError(`unexpected argument "${extra}"`, EXIT_BAD_INPUT);
    const section: Record<string, unknown> = { provider: provider.toLowerCase() };
    for (const [flag, option] of Object.entries(FLAG_TO_OPTION)) {
      const text = stringFlag(values, flag);
      if (text === undefined) continue;
      if (NUMERIC.has(flag)) {
        const value = Number(text);
        if (text.trim() === '' || !Number.isFinite(value))
          throw new CliError(`--${flag}: expected a number`, EXIT_BAD_INPUT);
        section[option] = value;
      } else section[option] = text;
    }
    const parsed = tariffOptionsSchema.safeParse(section);
    if (!parsed.success) {
      const line = describeFirstIssue(parsed.error);
      const [field, ...rest] = line.split(': ');
      throw new CliError(
        `${field === 'provider' ? 'provider' : flagOf(field ?? '')}: ${rest.join(': ')}`,
        EXIT_BAD_INPUT,
      );
    }
    let config;
    try {
      config = toTariffConfig(parsed.data);
    } catch (err) {
      if (err instanceof TariffOptionError) {
        const name = err.field === 'provider' ? 'provider' : flagOf(err.field);
        throw new CliError(`${name}: ${err.problem}`, EXIT_BAD_INPUT);
      }
      throw err;
    }
    if (!config) throw new CliError('provider: missing', EXIT_BAD_INPUT);
    const now = Date.now();
    let series;
    try {
      series = await createPriceProvider(config).fetch(now);
    } catch (err) {
      // Unreachable, refused or malformed: the provider's one-line reason, exit 1.
      if (err instanceof PriceFetchError) throw new CliError(`${config.provider}: ${err.reason}`, 1);
      throw err;
    }
    const wire = toWireSeries({ ...series, intervals: upcoming(series, now - PAST_MS) });
    const output = series.warnings?.length ? { ...wire, warnings: series.warnings } : wire;
    if (values['json'] === true) {
      io.stdout.write(JSON.stringify(output) + '\n');
      return 0;
    }
    io.stdout.write(`${output.provider}: ${output.intervals.length} intervals, ${output.currency}/kWh\n`);
    for (const warning of series.warnings ?? []) io.stdout.write(`warning: ${warning}\n`);
    io.stdout.write('\n');
    const rows = output.intervals.map((i) => [
      i.start,
      i.end,
      i.import.toFixed(4),
      i.export.toFixed(4),
      i.kind,
      i.spike ?? '',
    ]);
    io.stdout.write(formatTable(['start', 'end', 'import', 'export', 'kind', 'spike'], rows));
    return 0;
  },
};
