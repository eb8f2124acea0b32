import { createLogger } from '../logger.js';
import { LOG_LEVELS, type LogLevel } from '../options.js';
import { exitOnSignals } from '../shutdown.js';
import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { KIT_NAMES } from './demo-kit.js';
import { startDemo, type Demo } from './demo-runtime.js';
import { HA_FLAGS, HA_USAGE, haTargetFromFlags } from './ha-flags.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary:
    'the whole add-on against a simulated Sungrow inverter and a simulated power-station kit, web panel included',
  usage: `sps demo [--port 8099] [--data-dir DIR] [--http-host 127.0.0.1] [--log-level info] ${HA_USAGE}`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'http-host': { type: 'string' },
        'log-level': { type: 'string' },
        ...HA_FLAGS,
      },
      false,
    );
    const ha = haTargetFromFlags(values, io.env);
    const httpPort = intFlag(values, 'port', 0, 65535) ?? 8099;
    const logLevel = stringFlag(values, 'log-level') ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new CliError(`--log-level: expected one of ${LOG_LEVELS.join('|')}`, EXIT_BAD_INPUT);
    }
    const logger = createLogger(logLevel as LogLevel, io.stdout);
    const httpHost = stringFlag(values, 'http-host');
    const givenDataDir = stringFlag(values, 'data-dir');
    let demo: Demo;
    try {
      demo = await startDemo({
        logger,
        logLevel: logLevel as LogLevel,
        httpPort,
        ...(givenDataDir === undefined ? {} : { dataDir: givenDataDir }),
        ...(httpHost === undefined ? {} : { httpHost }),
        ...(ha === undefined ? {} : { ha }),
      });
    } catch (err) {
      throw new CliError(`cannot start the demo: ${err instanceof Error ? err.message : String(err)}`);
    }
    const { runtime } = demo;
    io.stdout.write(
      `Smart Power Station demo: open ${runtime.url}\n` +
        `  optimised: "${KIT_NAMES.composite}" (simulated Bluetti AC180, Shelly relays at P1–P3, INA260 at P4):\n` +
        '    it charges through P1 when the tou price is low and, through P3, carries the P2 loads at the peak\n' +
        '  not optimised: the simulated Sungrow SH10RT runs in its own self-consumption mode (one optimiser, one battery)\n',
    );
    return exitOnSignals(() => demo.stop(), logger);
  },
};
