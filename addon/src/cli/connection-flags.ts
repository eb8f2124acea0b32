import { z } from 'zod';
import type { DriverDefinition } from '../driver-types.js';
import { builtInDrivers } from '../drivers.js';
import type { DriverLookup } from '../driver-types.js';
import { CliError, EXIT_BAD_INPUT, stringFlag } from './command.js';

/** The option fields of a driver's device entry (its strict zod object's keys). */
export function driverFieldNames(driver: DriverDefinition): string[] {
  const fields: unknown = driver.fields;
  return fields instanceof z.ZodObject ? Object.keys(fields.shape) : [];
}

/**
 * Flags that describe how to reach a device, shared by `read` and `write`: the kebab-case of every
 * built-in driver's option fields (`unit_id` → `--unit-id`), so a new driver brings its flags along.
 * Which of them a driver accepts is its own schema's business.
 */
export const CONNECTION_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(
  builtInDrivers
    .names()
    .flatMap((name) => {
      const driver = builtInDrivers.get(name);
      return driver ? driverFieldNames(driver) : [];
    })
    .map((field) => [field.replaceAll('_', '-'), { type: 'string' as const }]),
);

export function findDriver(name: string | undefined, drivers: DriverLookup = builtInDrivers): DriverDefinition {
  if (!name) throw new CliError(`missing driver (known: ${drivers.names().join(', ')})`, EXIT_BAD_INPUT);
  const driver = drivers.get(name);
  if (!driver) throw new CliError(`unknown driver "${name}" (known: ${drivers.names().join(', ')})`, EXIT_BAD_INPUT);
  return driver;
}

/** Turn connection flags into the driver's validated device fields; errors name the flag. */
export function connectionFields(
  driver: DriverDefinition,
  values: Record<string, string | boolean | undefined>,
): unknown {
  const raw: Record<string, string | number> = {};
  for (const flag of Object.keys(CONNECTION_FLAGS)) {
    const text = stringFlag(values, flag);
    if (text === undefined) continue;
    // Flags arrive as text; the options schema expects numbers where YAML gives numbers.
    // Digits beyond 2^53 stay text (a Tesla energy site id would lose its last digits as a number).
    const digits = /^\d+$/.test(text.trim());
    raw[flag.replaceAll('-', '_')] = digits && Number.isSafeInteger(Number(text)) ? Number(text) : text;
  }
  const parsed = driver.fields.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : String(issue?.path[0] ?? '');
  const flag = `--${key.replaceAll('_', '-')}`;
  const message = issue?.code === 'unrecognized_keys' ? `not an option of driver ${driver.name}` : issue?.message;
  throw new CliError(`${flag}: ${message ?? 'invalid'}`, EXIT_BAD_INPUT);
}
