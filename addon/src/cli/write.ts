import { Command, CommandRejectedError, COMMAND_TYPES } from '@sps/core';
import { addonOptionsSchema } from '../options.js';
import { CliError, EXIT_BAD_INPUT, EXIT_DEVICE_FAILED, type CliCommand, parseFlags, stringFlag } from './command.js';
import { CONNECTION_FLAGS } from './connection-flags.js';
import { deviceTarget, TARGET_FLAGS, TARGET_USAGE } from './device-target.js';
import { cliGuard, writeThroughGuard } from './guarded-write.js';
import { withConnectedDevice } from './one-shot-device.js';
import { formatTable, formatValue } from './table.js';

const COMMAND_FLAGS = {
  'power-w': { type: 'string' },
  percent: { type: 'string' },
  on: { type: 'string' },
  mode: { type: 'string' },
  until: { type: 'string' },
  channel: { type: 'string' },
} as const;

/** Build the typed command from flags; a bad flag is named in the error. */
export function commandFromFlags(
  type: string | undefined,
  values: Record<string, string | boolean | undefined>,
): Command {
  if (!type) throw new CliError(`missing command (one of ${COMMAND_TYPES.join(', ')})`, EXIT_BAD_INPUT);
  const raw: Record<string, unknown> = { type };
  for (const flag of Object.keys(COMMAND_FLAGS)) {
    const text = stringFlag(values, flag);
    if (text === undefined) continue;
    const field = flag.replaceAll('-', '_');
    if (flag === 'on') raw[field] = text === 'true' ? true : text === 'false' ? false : text;
    else if (flag === 'mode' || flag === 'until') raw[field] = text;
    else raw[field] = /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
  }
  const parsed = Command.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.path[0] === 'type') {
    throw new CliError(`unknown command "${type}" (one of ${COMMAND_TYPES.join(', ')})`, EXIT_BAD_INPUT);
  }
  const field = issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : String(issue?.path[0] ?? '');
  const message = issue?.code === 'unrecognized_keys' ? `not a field of ${type}` : issue?.message;
  throw new CliError(`--${field.replaceAll('_', '-')}: ${message ?? 'invalid'}`, EXIT_BAD_INPUT);
}

export const writeCommand: CliCommand = {
  name: 'write',
  summary: 'send one command to a device (through the safety guard) and print the outcome',
  usage:
    'sps write <driver> <command> [--power-w N] [--percent N] [--on true|false] [--mode M] [--until ISO] ' +
    `${TARGET_USAGE} [--data-dir DIR] [--backup-reserve-pct N] [--json]`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...CONNECTION_FLAGS,
        ...TARGET_FLAGS,
        ...COMMAND_FLAGS,
        'backup-reserve-pct': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const target = deviceTarget(positionals[0], values, io);
    const command = commandFromFlags(positionals[1], values);
    // The CLI obeys the same guard as the add-on, with the options' default reserve unless told otherwise.
    const safety = addonOptionsSchema.shape.safety.safeParse({
      backup_reserve_pct:
        stringFlag(values, 'backup-reserve-pct') === undefined ? undefined : Number(values['backup-reserve-pct']),
    });
    if (!safety.success)
      throw new CliError('--backup-reserve-pct: expected an integer between 0 and 100', EXIT_BAD_INPUT);
    const guard = cliGuard(target, safety.data.backup_reserve_pct);

    const outcome = await withConnectedDevice(
      () => target.create(guard),
      async (device) => {
        const capabilities = device.describe().capabilities;
        const soc = command.type === 'force_discharge' ? (await device.read()).values['battery_soc'] : undefined;
        try {
          const checked = guard.check(command, capabilities, typeof soc === 'number' ? { batterySocPct: soc } : {});
          return await writeThroughGuard(guard, target.id, checked, device);
        } catch (err) {
          if (err instanceof CommandRejectedError) throw new CliError(`rejected: ${err.message}`, EXIT_DEVICE_FAILED);
          throw err;
        }
      },
    );

    if (values['json'] === true) {
      io.stdout.write(JSON.stringify({ device: { id: target.id, driver: target.driver.name }, ...outcome }) + '\n');
      return 0;
    }
    io.stdout.write(`${outcome.command.type}: ${outcome.writes} write(s) to the device\n`);
    const rows = Object.entries(outcome.applied).map(([k, v]) => [k, formatValue(v)]);
    if (rows.length > 0) io.stdout.write(formatTable(['applied', 'value'], rows));
    return 0;
  },
};
