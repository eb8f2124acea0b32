import { Command, CommandRejectedError, DeviceCommand } from '@sps/core';
import type { DriverDefinition } from './driver-types.js';

/**
 * A `device_command` checked against its driver's own schema (DriverDefinition.commands), before
 * the SafetyGuard: the core Command only knows the envelope (a name and scalar arguments), the driver
 * knows which names exist and what each argument is. Other commands pass unchanged. Throws
 * CommandRejectedError naming the field (HTTP 422, a CLI exit code, an HA service error).
 */
export function checkDriverCommand(driver: DriverDefinition | undefined, command: Command): Command {
  if (command.type !== 'device_command') return command;
  const commands = driver?.commands;
  if (commands === undefined) {
    throw new CommandRejectedError(`type: the ${driver?.name ?? 'device'} driver has no commands of its own`, 'type');
  }
  const { type: _type, ...body } = command;
  const parsed = commands.schema.safeParse(body);
  if (parsed.success) {
    // The driver's output goes back into the envelope (scalars only), so a schema that transforms
    // cannot hand the guard and the device something the core command does not allow.
    const again = DeviceCommand.safeParse({ ...parsed.data, type: 'device_command' });
    if (again.success) return again.data;
    const field = again.error.issues[0]?.path.join('.') || 'name';
    throw new CommandRejectedError(`${field}: ${again.error.issues[0]?.message ?? 'not a valid command'}`, field);
  }
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'name';
  throw new CommandRejectedError(`${field}: ${issue?.message ?? 'not a valid command'}`, field);
}

/** Untrusted input → a Command with a driver's own command checked too; the guard's own refusal otherwise. */
export function parseDriverCommand(driver: DriverDefinition | undefined, input: unknown): unknown {
  const parsed = Command.safeParse(input);
  // Not a command at all: the guard names the field, as for every other command.
  return parsed.success ? checkDriverCommand(driver, parsed.data) : input;
}
