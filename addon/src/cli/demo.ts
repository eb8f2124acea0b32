import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtInDrivers } from '../drivers.js';
import { createLogger } from '../logger.js';
import { LOG_LEVELS, parseOptions, type LogLevel } from '../options.js';
import { AddonRuntime } from '../runtime.js';
import { exitOnSignals } from '../shutdown.js';
import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { findDriver } from './connection-flags.js';
import { KIT_NAMES, startDemoKit, type DemoKit } from './demo-kit.js';
import { HA_FLAGS, HA_USAGE, haTargetFromFlags } from './ha-flags.js';
import { HTTP_FLAGS, HTTP_USAGE, describeWriteToken, httpOptionsFromFlags } from './http-flags.js';

const DEMO_DRIVER = 'sungrow-sh';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary:
    'the whole add-on against a simulated Sungrow inverter and a simulated power-station kit, web panel included',
  usage: `sps demo [--port 8099] [--data-dir DIR] ${HTTP_USAGE} [--log-level info] ${HA_USAGE}`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        ...HTTP_FLAGS,
        'log-level': { type: 'string' },
        ...HA_FLAGS,
      },
      false,
    );
    const warn = (line: string): void => void io.stderr.write(`${line}\n`);
    const ha = haTargetFromFlags(values, io.env, warn);
    const http = httpOptionsFromFlags(values, io.env, warn);
    const httpPort = intFlag(values, 'port', 0, 65535) ?? 8099;
    const logLevel = stringFlag(values, 'log-level') ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new CliError(`--log-level: expected one of ${LOG_LEVELS.join('|')}`, EXIT_BAD_INPUT);
    }
    const driver = findDriver(DEMO_DRIVER);
    if (!driver.createSimulator || !driver.simulatorFields) throw new CliError(`${DEMO_DRIVER} has no simulator`);

    const simulator = driver.createSimulator({ realTime: true });
    const simulatorPort = await simulator.start({ host: '127.0.0.1', port: 0 });
    let kit: DemoKit;
    try {
      kit = await startDemoKit();
    } catch (err) {
      await simulator.stop();
      throw new CliError(`cannot start the demo: ${err instanceof Error ? err.message : String(err)}`);
    }
    const givenDataDir = stringFlag(values, 'data-dir');
    const dataDir = givenDataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sps-demo-'));
    const cleanUp = async (): Promise<void> => {
      await kit.stop();
      await simulator.stop();
      if (givenDataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    };

    // The demo goes through the same options validation as a user's file.
    const config = parseOptions(
      {
        log_level: logLevel,
        devices: [
          {
            name: 'Sungrow SH10RT (simulated)',
            driver: DEMO_DRIVER,
            ...(driver.simulatorFields({ host: '127.0.0.1', port: simulatorPort }) as Record<string, unknown>),
            // Faster than the default so the page visibly moves.
            poll_interval_s: 2,
            position: 'P3',
          },
          // The power-station kit (issue 6): the optimiser drives it as one battery.
          ...kit.devices,
        ],
        // One controller drives one battery: the station. The Sungrow runs in its own self-consumption mode.
        optimizer: { battery_device: KIT_NAMES.composite },
        // A local time-of-use tariff (no internet needed) so the optimiser plans and the simulated
        // battery follows: cheap nights, an evening peak worth discharging into.
        tariff: {
          provider: 'tou',
          currency: 'AUD',
          periods:
            'peak all 17:00-21:00 0.45/0.12; shoulder all 07:00-17:00 0.25/0.05; offpeak all 21:00-07:00 0.12/0.03',
        },
      },
      builtInDrivers,
    );
    const logger = createLogger(logLevel as LogLevel, io.stdout);
    let runtime: AddonRuntime;
    try {
      runtime = await AddonRuntime.start({
        config,
        dataDir,
        supervised: false,
        drivers: builtInDrivers,
        logger,
        httpPort,
        ...http,
        ...(ha === undefined ? {} : { ha }),
      });
    } catch (err) {
      await cleanUp();
      throw new CliError(`cannot start the demo: ${err instanceof Error ? err.message : String(err)}`);
    }
    io.stdout.write(
      `Smart Power Station demo: open ${runtime.url}\n` +
        `  optimised: "${KIT_NAMES.composite}" (simulated Bluetti AC180, Shelly relays at P1–P3, INA260 at P4):\n` +
        '    it charges through P1 when the tou price is low and, through P3, carries the P2 loads at the peak\n' +
        '  not optimised: the simulated Sungrow SH10RT runs in its own self-consumption mode (one optimiser, one battery)\n' +
        describeWriteToken(runtime.writeToken),
    );
    return exitOnSignals(async () => {
      await runtime.stop();
      await cleanUp();
    }, logger);
  },
};
