import { Command, CommandRejectedError, COMMAND_TYPES } from '@sps/core';
import { checkDriverCommand } from '../driver-commands.js';
import type { DriverDefinition } from '../driver-types.js';
import type { z } from 'zod';
import { addonOptionsSchema } from '../options.js';
import { CliError, EXIT_BAD_INPUT, EXIT_DEVICE_FAILED, type CliCommand, parseFlags, stringFlag } from './command.js';
import { builtInDrivers } from '../drivers.js';
import { CONNECTION_FLAGS, findDriver } from './connection-flags.js';
import { driverList } from './driver-help.js';
import { deviceHelp } from './read.js';
import { deviceTarget, TARGET_FLAGS, TARGET_USAGE } from './device-target.js';
import { cliGuard, writeThroughGuard } from './guarded-write.js';
import { withConnectedDevice } from './one-shot-device.js';
import { openCliHaEntities } from './cli-ha-entities.js';
import { HA_FLAGS } from './ha-flags.js';
import { formatTable, formatValue } from './table.js';

const COMMAND_FLAGS = {
  'power-w': { type: 'string' },
  percent: { type: 'string' },
  on: { type: 'string' },
  mode: { type: 'string' },
  until: { type: 'string' },
  channel: { type: 'string' },
} as const;

/** What each command flag takes, for `--help` and for "force_charge needs --power-w W". */
export const COMMAND_FLAG_HELP: Record<keyof typeof COMMAND_FLAGS, { value: string; help: string }> = {
  'power-w': { value: 'W', help: 'power in W (force_charge, force_discharge, set_charge/discharge/export_limit)' },
  percent: { value: 'N', help: 'backup reserve in % (set_backup_reserve)' },
  on: { value: 'true|false', help: 'relay state (set_relay)' },
  channel: { value: 'N', help: 'relay channel, default 0 (set_relay)' },
  mode: { value: 'M', help: "the device's operating mode (set_operating_mode)" },
  until: { value: 'ISO', help: 'not accepted: a timed override needs the running add-on (see the error)' },
};
/** The core commands by name; a driver's own (`device_command`) are its flags. */
const CORE_COMMANDS = COMMAND_TYPES.filter((t) => t !== 'device_command');
const NUMERIC_FLAGS = new Set(['power-w', 'percent', 'channel']);

/** Every driver's own command flags (`--ac-input-current-limit A`); which driver owns one is checked per run. */
const DRIVER_COMMAND_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(
  builtInDrivers
    .names()
    .flatMap((name) => Object.keys(builtInDrivers.get(name)?.commands?.flags ?? {}))
    .map((flag) => [flag, { type: 'string' as const }]),
);

/**
 * `sps write <driver> --ac-input-current-limit 16`: a driver's own command, one flag = one command
 * (a `device_command`, checked by the driver's schema); undefined when no such flag was given.
 */
export function driverCommandFromFlags(
  driver: DriverDefinition,
  type: string | undefined,
  values: Record<string, string | boolean | undefined>,
): Command | undefined {
  const given = Object.keys(DRIVER_COMMAND_FLAGS).filter((flag) => stringFlag(values, flag) !== undefined);
  const [flag, second] = given;
  if (flag === undefined) return undefined;
  const spec = driver.commands?.flags[flag];
  if (spec === undefined) throw new CliError(`--${flag}: not an option of ${driver.name}`, EXIT_BAD_INPUT);
  if (second !== undefined) throw new CliError(`--${flag} and --${second}: one command at a time`, EXIT_BAD_INPUT);
  if (type !== undefined) throw new CliError(`--${flag} is a command of its own; drop "${type}"`, EXIT_BAD_INPUT);
  const text = (stringFlag(values, flag) ?? '').trim();
  let value: number | boolean;
  if (spec.value === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new CliError(`--${flag}: expected true or false`, EXIT_BAD_INPUT);
    value = text === 'true';
  } else {
    if (!/^-?\d+(\.\d+)?$/.test(text))
      throw new CliError(`--${flag}: expected a number, got "${text}"`, EXIT_BAD_INPUT);
    value = Number(text);
  }
  try {
    return checkDriverCommand(driver, { type: 'device_command', name: spec.name, [spec.field]: value });
  } catch (err) {
    if (err instanceof CommandRejectedError) throw new CliError(`--${flag}: ${err.message}`, EXIT_BAD_INPUT);
    throw err;
  }
}

/** `--help`: a driver's own command flags. */
function driverFlagRows(driver: DriverDefinition | undefined): string[][] {
  return Object.entries(driver?.commands?.flags ?? {}).map(([flag, spec]) => [
    `  --${flag} ${spec.value === 'boolean' ? 'true|false' : 'N'}`,
    `${spec.help} (${spec.name})`,
  ]);
}

/**
 * `sps write` sends one command and exits, and no device has a timer of its own, so an end time
 * given here would never be kept: the device would stay forced. Timed overrides live in the add-on,
 * which stores the pending end and sends restore_normal at it.
 */
const UNTIL_REFUSED =
  '--until: sps write sends one command and exits, so nothing would end the override; for a timed override use ' +
  'the running add-on (the HA service with an end time, or POST api/devices/ID/commands with "until"), or end ' +
  'it yourself with sps write … restore_normal';

/** Build the typed command from flags; a bad or missing flag is named in the error. */
export function commandFromFlags(
  type: string | undefined,
  values: Record<string, string | boolean | undefined>,
): Command {
  if (type === 'device_command') {
    throw new CliError(
      "device_command: give the driver's own flag instead (sps write <driver> --help)",
      EXIT_BAD_INPUT,
    );
  }
  if (!type) throw new CliError(`missing command (one of ${CORE_COMMANDS.join(', ')})`, EXIT_BAD_INPUT);
  if (!(CORE_COMMANDS as readonly string[]).includes(type)) {
    throw new CliError(`unknown command "${type}" (one of ${CORE_COMMANDS.join(', ')})`, EXIT_BAD_INPUT);
  }
  if (stringFlag(values, 'until') !== undefined) throw new CliError(UNTIL_REFUSED, EXIT_BAD_INPUT);
  const raw: Record<string, unknown> = { type };
  for (const flag of Object.keys(COMMAND_FLAGS) as (keyof typeof COMMAND_FLAGS)[]) {
    const text = stringFlag(values, flag);
    if (text === undefined) continue;
    const field = flag.replaceAll('-', '_');
    if (flag === 'on') {
      if (text !== 'true' && text !== 'false') throw new CliError('--on: expected true or false', EXIT_BAD_INPUT);
      raw[field] = text === 'true';
    } else if (NUMERIC_FLAGS.has(flag)) {
      if (!/^-?\d+(\.\d+)?$/.test(text.trim())) {
        throw new CliError(
          `--${flag}: expected a number (${COMMAND_FLAG_HELP[flag].value}), got "${text}"`,
          EXIT_BAD_INPUT,
        );
      }
      raw[field] = Number(text);
    } else raw[field] = text;
  }
  const parsed = Command.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    throw new CliError(`--${(issue.keys[0] ?? '').replaceAll('_', '-')}: not an option of ${type}`, EXIT_BAD_INPUT);
  }
  const field = String(issue?.path[0] ?? '');
  const flag = field.replaceAll('_', '-') as keyof typeof COMMAND_FLAGS;
  if (raw[field] === undefined) {
    throw new CliError(`${type} needs --${flag} ${COMMAND_FLAG_HELP[flag]?.value ?? 'VALUE'}`, EXIT_BAD_INPUT);
  }
  throw new CliError(`--${flag}: ${describeIssue(issue)}`, EXIT_BAD_INPUT);
}

/** zod's range messages in plain words. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue?.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue?.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  return issue?.message ?? 'invalid';
}

/** `sps write --help`: the commands and their flags; with a driver, its connection flags too. */
function writeHelp([driverName]: readonly string[]): string {
  const commandFlags =
    `commands: ${CORE_COMMANDS.join(', ')}\n` +
    'command flags:\n' +
    formatTable(
      ['', ''],
      [
        ...Object.entries(COMMAND_FLAG_HELP).map(([flag, h]) => [`  --${flag} ${h.value}`, h.help]),
        ['  --backup-reserve-pct N', "the reserve force_discharge keeps, % (default: the add-on's default)"],
        ...driverFlagRows(driverName === undefined ? undefined : builtInDrivers.get(driverName)),
      ],
    )
      .split('\n')
      .slice(1)
      .join('\n');
  if (driverName === undefined) {
    return (
      `usage: ${writeCommand.usage}\n\n${commandFlags}\n${driverList(builtInDrivers)}\n` +
      "sps write <driver> --help lists that driver's connection flags, with an example.\n"
    );
  }
  return deviceHelp('write', findDriver(driverName), commandFlags);
}

export const writeCommand: CliCommand = {
  name: 'write',
  summary: 'send one command to a device (through the safety guard) and print the outcome',
  usage:
    'sps write <driver> (<command> [--power-w W] [--percent N] [--on true|false] [--channel N] [--mode M] | ' +
    "--<the driver's own command> VALUE) " +
    `${TARGET_USAGE} [--data-dir DIR] [--backup-reserve-pct N] [--json]`,
  help: writeHelp,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...CONNECTION_FLAGS,
        ...TARGET_FLAGS,
        ...HA_FLAGS,
        ...COMMAND_FLAGS,
        ...DRIVER_COMMAND_FLAGS,
        'backup-reserve-pct': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const target = deviceTarget(positionals[0], values, io);
    const command =
      driverCommandFromFlags(target.driver, positionals[1], values) ?? commandFromFlags(positionals[1], values);
    // The CLI obeys the same guard as the add-on, with the options' default reserve unless told otherwise.
    const safety = addonOptionsSchema.shape.safety.safeParse({
      backup_reserve_pct:
        stringFlag(values, 'backup-reserve-pct') === undefined ? undefined : Number(values['backup-reserve-pct']),
    });
    if (!safety.success)
      throw new CliError('--backup-reserve-pct: expected an integer between 0 and 100', EXIT_BAD_INPUT);
    const guard = cliGuard(target, safety.data.backup_reserve_pct);

    const ha = await openCliHaEntities(target.driver, values, io);
    const outcome = await withConnectedDevice(
      () => target.create(guard, ha?.port),
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
      ha?.settled,
    ).finally(() => ha?.close());

    if (values['json'] === true) {
      io.stdout.write(JSON.stringify({ device: { id: target.id, driver: target.driver.name }, ...outcome }) + '\n');
      return 0;
    }
    const what = outcome.command.type === 'device_command' ? outcome.command.name : outcome.command.type;
    io.stdout.write(`${what}: ${outcome.writes} write(s) to the device\n`);
    const rows = Object.entries(outcome.applied).map(([k, v]) => [k, formatValue(v)]);
    if (rows.length > 0) io.stdout.write(formatTable(['applied', 'value'], rows));
    return 0;
  },
};
