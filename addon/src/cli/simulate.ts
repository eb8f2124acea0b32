import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { findDriver } from './connection-flags.js';
import { untilSignal } from './signals.js';

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a device simulator on loopback in real time until SIGINT',
  usage: 'sps simulate <driver> [--port N] [--host 127.0.0.1] [--json]',
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
    io.stdout.write(
      values['json'] === true
        ? JSON.stringify({ driver: driver.name, host, port }) + '\n'
        : `${driver.name} simulator listening on ${host}:${port} (Ctrl-C to stop)\n`,
    );
    await untilSignal();
    await simulator.stop();
    return 0;
  },
};
