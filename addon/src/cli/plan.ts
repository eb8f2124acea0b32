import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatPlanTable, planScenario, ScenarioError } from '@sps/scheduler';
import { type CliCommand, CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag } from './command.js';

/** A whole scenario file is small; anything bigger is a mistake (a log, a binary), not a plan. */
const MAX_SCENARIO_BYTES = 20 * 1024 * 1024;

/** JSON is YAML too, but JSON.parse gives better messages for the common case. */
function parseScenarioText(file: string, text: string): unknown {
  const looksJson = file.toLowerCase().endsWith('.json') || /^\s*[{[]/.test(text);
  try {
    return looksJson ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new CliError(`--scenario: ${file} is not valid ${looksJson ? 'JSON' : 'YAML'}: ${detail}`, EXIT_BAD_INPUT);
  }
}

function readScenario(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`--scenario: cannot read ${file} (${code})`, EXIT_BAD_INPUT);
  }
  if (Buffer.byteLength(text) > MAX_SCENARIO_BYTES) {
    throw new CliError(`--scenario: ${file} is larger than ${MAX_SCENARIO_BYTES} bytes`, EXIT_BAD_INPUT);
  }
  return parseScenarioText(file, text);
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'solve one planning problem (scenario file, JSON or YAML) and print the battery plan',
  usage:
    'sps plan --scenario FILE [--json] [--time-limit-ms N] [--time-zone IANA]   ' +
    '(an example: sps plan --scenario docs/examples/scenario.json; the format: packages/scheduler/README.md)',
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        scenario: { type: 'string' },
        json: { type: 'boolean' },
        'time-limit-ms': { type: 'string' },
        'time-zone': { type: 'string' },
      },
      false,
    );
    const file = stringFlag(values, 'scenario');
    if (file === undefined) throw new CliError('--scenario: a scenario file is required', EXIT_BAD_INPUT);
    const timeLimitMs = intFlag(values, 'time-limit-ms', 1, 3_600_000);
    const timeZone = stringFlag(values, 'time-zone');
    if (timeZone !== undefined && !isTimeZone(timeZone)) {
      throw new CliError(`--time-zone: "${timeZone}" is not an IANA time zone`, EXIT_BAD_INPUT);
    }
    const scenario = readScenario(file);
    let plan;
    try {
      plan = await planScenario(scenario, {
        ...(timeLimitMs === undefined ? {} : { timeLimitMs }),
        ...(timeZone === undefined ? {} : { timeZone }),
      });
    } catch (err) {
      // The contract: a bad scenario is one line naming the field (ScenarioError's message starts with it).
      if (err instanceof ScenarioError) throw new CliError(err.message, EXIT_BAD_INPUT);
      throw err;
    }
    // An infeasible problem is a valid answer (status + reason), so it exits 0 like any plan.
    io.stdout.write(values['json'] === true ? JSON.stringify(plan) + '\n' : formatPlanTable(plan));
    return 0;
  },
};

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
