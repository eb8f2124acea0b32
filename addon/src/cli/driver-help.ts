import { z } from 'zod';
import type { DriverDefinition, DriverLookup } from '../driver-types.js';
import { formatTable } from './table.js';

/** One connection flag as `--help` shows it: taken from the driver's own zod fields, so help cannot drift. */
export interface DriverFlag {
  readonly field: string;
  readonly flag: string;
  /** What to type: the choices of an enum, N for a number, else the field's name (`HOST`). */
  readonly value: string;
  readonly required: boolean;
  readonly defaultValue?: unknown;
  readonly help: string;
}

function shapeOf(driver: DriverDefinition): Record<string, z.ZodType> {
  const fields: unknown = driver.fields;
  return fields instanceof z.ZodObject ? (fields.shape as Record<string, z.ZodType>) : {};
}

/** Through `.optional()` / `.default()` to the schema that says what the value is. */
function innerOf(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.def.innerType as z.ZodType;
  }
  return current;
}

export function driverFlags(driver: DriverDefinition): DriverFlag[] {
  return Object.entries(shapeOf(driver)).map(([field, schema]) => {
    const inner = innerOf(schema);
    return {
      field,
      flag: `--${field.replaceAll('_', '-')}`,
      value:
        inner instanceof z.ZodEnum ? inner.options.join('|') : inner instanceof z.ZodNumber ? 'N' : field.toUpperCase(),
      required: !schema.isOptional(),
      ...(schema instanceof z.ZodDefault ? { defaultValue: schema.def.defaultValue as unknown } : {}),
      help: schema.description ?? '',
    };
  });
}

/**
 * Device fields as the flags that give them (`{host, port}` → `--host H --port N`), leaving out
 * values equal to the driver's defaults so the line is what a person would type.
 */
export function flagsFor(driver: DriverDefinition, fields: Readonly<Record<string, unknown>>): string {
  const known = new Map(driverFlags(driver).map((f) => [f.field, f]));
  return Object.entries(fields)
    .filter(([field, value]) => {
      const flag = known.get(field);
      return flag !== undefined && value !== undefined && flag.defaultValue !== value;
    })
    .map(([field, value]) => `--${field.replaceAll('_', '-')} ${shellWord(String(value))}`)
    .join(' ');
}

/** The `sps read …` line that reaches a device with these fields (e.g. a simulator the demo started). */
export function readLine(driver: DriverDefinition, fields: Readonly<Record<string, unknown>>): string {
  return `sps read ${driver.name} ${flagsFor(driver, fields)}`;
}

function shellWord(text: string): string {
  return /^[\w.:/@,+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** `sps read --help` without a driver: every driver, one line each. */
export function driverList(drivers: DriverLookup): string {
  const rows = drivers.names().flatMap((name) => {
    const driver = drivers.get(name);
    return driver ? [[`  ${name}`, driver.title]] : [];
  });
  return 'drivers:\n' + formatTable(['', ''], rows).split('\n').slice(1).join('\n');
}

/**
 * The flags table of one driver (`--host HOST  required  the inverter's …`), or with `options`
 * the same as option names of a device entry (a composite is configured only in a file).
 */
export function driverFlagTable(driver: DriverDefinition, as: 'flags' | 'options' = 'flags'): string {
  const rows = driverFlags(driver).map((f) => [
    as === 'flags' ? `  ${f.flag} ${f.value}` : `  ${f.field}`,
    f.required ? 'required' : f.defaultValue === undefined ? '' : `default ${String(f.defaultValue)}`,
    f.help,
  ]);
  return formatTable(['', '', ''], rows).split('\n').slice(1).join('\n');
}

/** Example lines for a driver: a real device (its exampleFields) and its simulator on loopback. */
export function driverExamples(verb: 'read' | 'write', driver: DriverDefinition): string[] {
  const lines: string[] = [];
  if (verb === 'write' && driver.exampleCommand === undefined) return [];
  const tail = verb === 'write' ? (driver.exampleCommand ?? '') : '';
  const suffix = tail === '' ? '' : ` ${tail}`;
  if (driver.memberReferences !== undefined) {
    lines.push(`sps ${verb} ${driver.name}${suffix} --config options.yaml [--device NAME]`);
    return lines;
  }
  if (driver.exampleFields !== undefined) {
    lines.push(`sps ${verb} ${driver.name}${suffix} ${flagsFor(driver, driver.exampleFields)}`);
  }
  const simulated = simulatorExample(driver);
  if (simulated !== undefined) {
    lines.push(`sps ${verb} ${driver.name}${suffix} ${simulated}   (after: sps simulate ${driver.name} --port 5020)`);
  }
  return lines;
}

/** The flags that reach `sps simulate <driver> --port 5020`. */
export function simulatorExample(driver: DriverDefinition): string | undefined {
  if (driver.simulatorFields === undefined) return undefined;
  const fields = driver.simulatorFields({ host: '127.0.0.1', port: 5020 }) as Record<string, unknown>;
  return flagsFor(driver, fields);
}
