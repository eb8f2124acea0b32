import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { builtInDrivers } from '../drivers.js';
import { findDriver } from './connection-flags.js';
import { readLine, simulatorExample } from './driver-help.js';
import { untilSignal } from './signals.js';

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a device simulator on loopback in real time until SIGINT',
  usage: 'sps simulate <driver> [--port N] [--host 127.0.0.1] [--json]',
  help([driverName]) {
    if (driverName === undefined) {
      const withSimulator = builtInDrivers.names().filter((n) => builtInDrivers.get(n)?.createSimulator);
      return `usage: ${simulateCommand.usage}\n\ndrivers with a simulator: ${withSimulator.join(', ')}\n`;
    }
    const driver = findDriver(driverName);
    const reach = simulatorExample(driver);
    if (!driver.createSimulator || reach === undefined) return `${driver.name} has no simulator\n`;
    return (
      `usage: sps simulate ${driver.name} [--port N] [--host 127.0.0.1] [--json]\n` +
      `a simulated ${driver.title} on this machine, in real time, until Ctrl-C (--port 0 or none: any free port)\n\n` +
      `example:\n  sps simulate ${driver.name} --port 5020\n  sps read ${driver.name} ${reach}\n`
    );
  },
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { port: { type: 'string' }, host: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    const driver = findDriver(positionals[0]);
    if (!driver.createSimulator) throw new CliError(`driver ${driver.name} has no simulator`, EXIT_BAD_INPUT);
    const host = stringFlag(values, 'host') ?? '127.0.0.1';
    const simulator = driver.createSimulator({ realTime: true });
    let port: number;
    try {
      port = await simulator.start({ host, port: intFlag(values, 'port', 0, 65535) ?? 0 });
    } catch (err) {
      throw new CliError(`cannot listen on ${host}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const fields = driver.simulatorFields?.({ host, port }) as Record<string, unknown> | undefined;
    const read = fields === undefined ? undefined : readLine(driver, fields);
    // CAN simulators sit behind a socketcand gateway: the bus name is part of the address.
    const canInterface = typeof fields?.['interface'] === 'string' ? fields['interface'] : undefined;
    io.stdout.write(
      values['json'] === true
        ? JSON.stringify({
            driver: driver.name,
            host,
            port,
            ...(canInterface === undefined ? {} : { interface: canInterface }),
            ...(read === undefined ? {} : { read }),
          }) + '\n'
        : `${driver.name} simulator listening on ${host}:${port}${canInterface === undefined ? '' : ` (socketcand, interface ${canInterface})`} (Ctrl-C to stop)\n` +
            (read === undefined ? '' : `  read it with: ${read}\n`),
    );
    await untilSignal();
    await simulator.stop();
    return 0;
  },
};
