import { unitOf } from '../http/presenters.js';
import { type CliCommand, parseFlags } from './command.js';
import { CONNECTION_FLAGS, connectionFields, findDriver } from './connection-flags.js';
import { withConnectedDevice } from './one-shot-device.js';
import { formatTable, formatValue } from './table.js';

export const readCommand: CliCommand = {
  name: 'read',
  summary: 'read a device once and print its canonical readings',
  usage: 'sps read <driver> --host HOST [--port N] [--unit-id N] [--transport lan|winet] [--timeout-ms N] [--json]',
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } }, true);
    const driver = findDriver(positionals[0]);
    const fields = connectionFields(driver, values);
    const { description, readings } = await withConnectedDevice(driver, fields, async (device) => ({
      description: device.describe(),
      readings: await device.read(),
    }));

    if (values['json'] === true) {
      const output = {
        device: { id: driver.name, driver: driver.name, ...description.info },
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
