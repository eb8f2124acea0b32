import { readFileSync } from 'node:fs';
import {
  ForecastFetchError,
  ForecastInputError,
  forecastLoadForCli,
  forecastSolarForCli,
  parseLoadCsv,
  type ForecastCliOutput,
} from '@sps/forecasts';
import { type CliCommand, CliError, EXIT_BAD_INPUT, parseFlags, stringFlag } from './command.js';
import { formatTable } from './table.js';

/** Package field ↔ CLI flag (`inverterKw` ↔ `--inverter-kw`). */
const flagFor = (field: string): string => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const SOLAR_FLAGS = [
  'source',
  'latitude',
  'longitude',
  'tilt',
  'azimuth',
  'kwp',
  'inverter-kw',
  'losses-pct',
  'api-key',
  'base-url',
];
const LOAD_FLAGS = ['history', 'history-step-minutes', 'time-zone', 'history-days'];
const GRID_FLAGS = ['hours', 'step-minutes'];
const TEXT_FIELDS = new Set(['source', 'api-key', 'base-url', 'history', 'time-zone']);

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function collect(
  values: Record<string, string | boolean | undefined>,
  flags: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const text = stringFlag(values, flag);
    if (text === undefined) continue;
    if (TEXT_FIELDS.has(flag)) {
      out[camel(flag)] = text;
      continue;
    }
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value))
      throw new CliError(`--${flag}: expected a number`, EXIT_BAD_INPUT);
    out[camel(flag)] = value;
  }
  return out;
}

function readHistory(file: string, stepMinutes: number): ReturnType<typeof parseLoadCsv> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `--history: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      EXIT_BAD_INPUT,
    );
  }
  return parseLoadCsv(text, stepMinutes);
}

export const forecastCommand: CliCommand = {
  name: 'forecast',
  summary: 'solar forecast (Forecast.Solar or Open-Meteo) or load forecast from a recorded history, in kW',
  usage:
    'sps forecast solar --source forecast.solar|open-meteo --latitude N --longitude N --kwp N [--tilt N] [--azimuth N] ' +
    '[--inverter-kw N] [--losses-pct N] [--api-key K] [--base-url URL] [--hours N] [--step-minutes 5|15|30|60] [--json]\n' +
    '       sps forecast load --history FILE.csv --time-zone TZ [--history-step-minutes 30] [--history-days N] [--hours N] [--step-minutes N] [--json]',
  async run(args, io) {
    const all = [...SOLAR_FLAGS, ...LOAD_FLAGS, ...GRID_FLAGS];
    const options = Object.fromEntries(all.map((f) => [f, { type: 'string' as const }]));
    const { values, positionals } = parseFlags(args, { ...options, json: { type: 'boolean' } }, true);
    const kind = positionals[0];
    if (kind !== 'solar' && kind !== 'load') throw new CliError('kind: expected solar or load', EXIT_BAD_INPUT);
    const wrong = (kind === 'solar' ? LOAD_FLAGS : SOLAR_FLAGS).find((f) => values[f] !== undefined);
    if (wrong !== undefined) throw new CliError(`--${wrong}: not an option of "forecast ${kind}"`, EXIT_BAD_INPUT);
    const grid = collect(values, GRID_FLAGS);
    let output: ForecastCliOutput;
    try {
      if (kind === 'solar') {
        output = await forecastSolarForCli({ ...collect(values, SOLAR_FLAGS), ...grid } as Parameters<
          typeof forecastSolarForCli
        >[0]);
      } else {
        const load = collect(values, LOAD_FLAGS);
        const file = load['history'];
        if (typeof file !== 'string')
          throw new CliError('--history: a CSV file of "timestamp,kW" lines is required', EXIT_BAD_INPUT);
        const history = readHistory(
          file,
          typeof load['historyStepMinutes'] === 'number' ? load['historyStepMinutes'] : 30,
        );
        const { history: _file, historyStepMinutes: _step, ...rest } = load;
        output = await forecastLoadForCli({ ...rest, ...grid, history } as Parameters<typeof forecastLoadForCli>[0]);
      }
    } catch (err) {
      if (err instanceof ForecastInputError) {
        const [field, ...rest] = err.message.split(': ');
        const named =
          field && /^[a-zA-Z.]+$/.test(field)
            ? flagFor(field.split('.')[0]!)
            : err.field
              ? flagFor(err.field)
              : 'input';
        throw new CliError(`${named}: ${rest.length ? rest.join(': ') : err.message}`, EXIT_BAD_INPUT);
      }
      if (err instanceof ForecastFetchError) throw new CliError(err.reason, 1);
      throw err;
    }
    if (values['json'] === true) {
      io.stdout.write(JSON.stringify(output) + '\n');
      return 0;
    }
    io.stdout.write(
      `${output.kind} forecast from ${output.source}: ${output.points.length} intervals of ${output.stepMinutes} min, kW\n`,
    );
    for (const warning of output.warnings ?? []) io.stdout.write(`warning: ${warning}\n`);
    io.stdout.write('\n');
    io.stdout.write(
      formatTable(
        ['start', 'end', 'kW'],
        output.points.map((p) => [p.start, p.end, p.kw.toFixed(3)]),
      ),
    );
    return 0;
  },
};
