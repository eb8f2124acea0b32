import type { Device, ReadingSet } from '@sps/core';
import type { DriverDefinition } from '../driver-types.js';
import { unitOf } from '../http/presenters.js';
import { type CliCommand, parseFlags } from './command.js';
import { builtInDrivers } from '../drivers.js';
import { CONNECTION_FLAGS, findDriver } from './connection-flags.js';
import { driverExamples, driverFlagTable, driverList } from './driver-help.js';
import { deviceTarget, TARGET_FLAGS, TARGET_USAGE } from './device-target.js';
import { withConnectedDevice } from './one-shot-device.js';
import { openCliHaEntities } from './cli-ha-entities.js';
import { HA_FLAGS } from './ha-flags.js';
import { formatTable, formatValue } from './table.js';

export const readCommand: CliCommand = {
  name: 'read',
  summary: 'read a device once and print its canonical readings',
  usage: `sps read <driver> ${TARGET_USAGE} [--json]   (e.g. --host HOST [--port N] [--unit-id N]; sps read station --config FILE)`,
  help([driverName]) {
    if (driverName === undefined) {
      return (
        `usage: sps read <driver> [connection flags] [--json]\n` +
        `       sps read <driver> --config FILE [--device NAME] [--json]\n\n` +
        `${driverList(builtInDrivers)}\n` +
        "sps read <driver> --help lists that driver's flags, with examples.\n"
      );
    }
    return deviceHelp('read', findDriver(driverName), '');
  },
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { ...CONNECTION_FLAGS, ...TARGET_FLAGS, ...HA_FLAGS, json: { type: 'boolean' } },
      true,
    );
    const target = deviceTarget(positionals[0], values, io);
    const ha = await openCliHaEntities(target.driver, values, io);
    let result: { description: ReturnType<Device['describe']>; readings: ReadingSet };
    try {
      result = await withConnectedDevice(
        () => target.create(undefined, ha?.port),
        async (device) => ({ description: device.describe(), readings: await device.read() }),
        ha?.settled,
      );
    } finally {
      ha?.close();
    }
    const { description, readings } = result;

    if (values['json'] === true) {
      const output = {
        device: { id: target.id, driver: target.driver.name, ...description.info },
        readings: readings.values,
      };
      io.stdout.write(JSON.stringify(output) + '\n');
      return 0;
    }
    const { info } = description;
    io.stdout.write(
      `${info.manufacturer} ${info.model}  serial ${info.serial}${info.firmware ? `  firmware ${info.firmware}` : ''}\n` +
        `read at ${new Date(readings.timestamp).toISOString()}\n\n`,
    );
    const rows = Object.entries(readings.values).map(([key, value]) => [
      key,
      formatValue(value),
      unitOf(key, description) ?? '',
    ]);
    io.stdout.write(formatTable(['reading', 'value', 'unit'], rows));
    return 0;
  },
};

/**
 * `sps read|write <driver> --help`: the driver's connection flags (from its option schema, the
 * same one the parser checks against), then `extra` (write's command flags), then examples.
 */
export function deviceHelp(verb: 'read' | 'write', driver: DriverDefinition, extra: string): string {
  const head = `usage: sps ${verb} ${driver.name}${verb === 'write' ? ' <command>' : ''}`;
  const lines = [`${driver.title}\n`];
  if (driver.memberReferences !== undefined) {
    lines.unshift(`${head} --config FILE [--device NAME] [--json]`);
    lines.push(
      `${driver.name} is built from other configured devices, so it is read from an options file. Its options there:`,
      driverFlagTable(driver, 'options'),
    );
  } else {
    lines.unshift(`${head} [connection flags] [--json]   (or --config FILE [--device NAME])`);
    lines.push('connection flags (the same names as the options of a device entry):', driverFlagTable(driver));
  }
  if (extra !== '') lines.push(extra);
  const examples = driverExamples(verb, driver);
  if (examples.length > 0) lines.push('examples:', ...examples.map((l) => `  ${l}`), '');
  else lines.push(`(${driver.name} devices take no commands)`, '');
  return lines.join('\n');
}
