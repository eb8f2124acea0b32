import { unitOf } from '../http/presenters.js';
import { type CliCommand, parseFlags } from './command.js';
import { CONNECTION_FLAGS } from './connection-flags.js';
import { deviceTarget, TARGET_FLAGS, TARGET_USAGE } from './device-target.js';
import { withConnectedDevice } from './one-shot-device.js';
import { formatTable, formatValue } from './table.js';

export const readCommand: CliCommand = {
  name: 'read',
  summary: 'read a device once and print its canonical readings',
  usage: `sps read <driver> ${TARGET_USAGE} [--json]   (e.g. --host HOST [--port N] [--unit-id N]; sps read station --config FILE)`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { ...CONNECTION_FLAGS, ...TARGET_FLAGS, json: { type: 'boolean' } },
      true,
    );
    const target = deviceTarget(positionals[0], values, io);
    const { description, readings } = await withConnectedDevice(target.create, async (device) => ({
      description: device.describe(),
      readings: await device.read(),
    }));

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
