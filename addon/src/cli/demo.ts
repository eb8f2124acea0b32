import { builtInDrivers } from '../drivers.js';
import { createLogger } from '../logger.js';
import { LOG_LEVELS, type DeviceConfig, type LogLevel } from '../options.js';
import { exitOnSignals } from '../shutdown.js';
import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { readLine } from './driver-help.js';
import { KIT_NAMES } from './demo-kit.js';
import { DEMO_EVENT_MINUTES, startDemo, type Demo } from './demo-runtime.js';
import { OFFGRID_NAMES } from './offgrid-kit.js';
import { HA_FLAGS, HA_USAGE, haTargetFromFlags } from './ha-flags.js';
import { HTTP_FLAGS, HTTP_USAGE, describeWriteToken, httpOptionsFromFlags } from './http-flags.js';
import { startErrorLine } from './start-error.js';

/** Drivers whose device (and simulator) serves one client at a time. */
const ONE_CONNECTION_DRIVERS = new Set(['bluetti']);

/** Entry fields that place a device in the add-on, not how to reach it. */
const PLACEMENT_FIELDS = new Set(['poll_interval_s', 'position']);

/**
 * Where each simulator listens and the `sps read` line that reaches it, so a user can poke the
 * demo's devices from another terminal. A device with no address (the INA260 on the in-memory bus,
 * the station made of the others) says so instead.
 */
function simulatorLines(devices: readonly DeviceConfig[]): string {
  const lines = devices.map((device) => {
    const driver = builtInDrivers.get(device.driver);
    const all = (device.fields ?? {}) as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(all).filter(([k]) => !PLACEMENT_FIELDS.has(k)));
    if (driver === undefined || typeof fields['port'] !== 'number') {
      const why = driver?.memberReferences ? 'made of the devices above' : 'inside the add-on, no address';
      return `    ${device.name}: ${why}`;
    }
    const where = `    ${device.name} on ${String(fields['host'])}:${fields['port']}`;
    // Like the real station, the simulated Bluetti takes one connection, and the demo holds it:
    // a second reader would cut the demo off and fail itself.
    if (ONE_CONNECTION_DRIVERS.has(driver.name)) {
      return `${where}: one connection at a time, held by the demo (sps simulate ${driver.name} runs one to read)`;
    }
    return `${where}:\n      ${readLine(driver, fields)}`;
  });
  return `  simulators (read them from another terminal, prefix pnpm in a checkout):\n${lines.join('\n')}\n`;
}

/** What the demo's demand response shows, in real time (the clock is not accelerated). */
function drLines(dr: Demo['dr']): string {
  if (dr.brokerUrl === null || dr.eventStartMs === null) return `  ${dr.note}\n`;
  const at = new Date(dr.eventStartMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    `  demand response: a local Mosquitto at ${dr.brokerUrl} plays the aggregator; event ${dr.eventId} starts at ${at}\n` +
    `    (real time, ${DEMO_EVENT_MINUTES} min): the station charges for it, then holds the goal from its battery;\n` +
    '    the Demand response card counts down and shows the avoided energy (pnpm exec sps dr send … publishes more);\n' +
    `    ${dr.note}\n`
  );
}

/** The banner with the on-grid station optimised (`sps demo`): the off-grid house is watched only. */
function onGridOptimisedLines(): string {
  return (
    `  optimised: "${KIT_NAMES.composite}" (simulated Bluetti AC180, Shelly relays at P1–P3, INA260 at P4):\n` +
    '    it charges through P1 when the tou price is low and, through P3, carries the P2 loads at the peak\n' +
    '  not optimised: the simulated Sungrow SH10RT runs in its own self-consumption mode\n' +
    `  monitored: the off-grid house ("${OFFGRID_NAMES.studer}", "${OFFGRID_NAMES.battery}" on one CAN bus\n` +
    `    behind one socketcand gateway, pump and heater on "${OFFGRID_NAMES.relays}"): readings and alarms,\n` +
    '    not optimised (sps demo --off-grid optimises it instead)\n'
  );
}

/** The banner with the off-grid house optimised (`sps demo --off-grid`). */
function offGridOptimisedLines(demo: Demo): string {
  const telemetry = demo.telemetryReceiver
    ? `  telemetry: the battery's readings once a minute, in 15-minute batches, to ${demo.telemetryReceiver.url}\n`
    : '';
  return (
    `  optimised, off-grid (optimizer.grid: none, no tariff): the battery "${OFFGRID_NAMES.studer}"\n` +
    `    (Studer XTM 4000-48 + VarioTrack 65 A, "${OFFGRID_NAMES.battery}" on the same CAN bus behind one\n` +
    `    socketcand gateway); the well pump (2.2 kW) and the water heater (1.5 kW) on "${OFFGRID_NAMES.relays}"\n` +
    '    run as deferrable loads in the PV surplus, never taking the battery below its reserve\n' +
    `  not optimised: "${KIT_NAMES.composite}" and the Sungrow SH10RT are only watched (sps demo without\n` +
    '    --off-grid optimises the on-grid station)\n' +
    telemetry
  );
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary:
    'the whole add-on against a simulated Sungrow inverter and a simulated power-station kit, web panel included',
  usage:
    `sps demo [--port 8099] [--data-dir DIR] ${HTTP_USAGE} [--log-level info] ${HA_USAGE}\n` +
    '  --port N        the web panel port, 0 = any free one (pnpm start --port N, or pnpm start -- --port N)\n' +
    "  --data-dir DIR  keep the demo's store there (default: a temporary folder removed at exit)\n" +
    '  --off-grid      optimise the off-grid house (Studer, Pylontech, pump, heater) instead of the on-grid station',
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        ...HTTP_FLAGS,
        'log-level': { type: 'string' },
        ...HA_FLAGS,
        'off-grid': { type: 'boolean' },
      },
      false,
    );
    const offGrid = values['off-grid'] === true;
    const warn = (line: string): void => void io.stderr.write(`${line}\n`);
    const ha = haTargetFromFlags(values, io.env, warn);
    const http = httpOptionsFromFlags(values, io.env, warn);
    const httpPort = intFlag(values, 'port', 0, 65535) ?? 8099;
    const logLevel = stringFlag(values, 'log-level') ?? 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new CliError(`--log-level: expected one of ${LOG_LEVELS.join('|')}`, EXIT_BAD_INPUT);
    }
    const logger = createLogger(logLevel as LogLevel, io.stdout);
    const givenDataDir = stringFlag(values, 'data-dir');
    let demo: Demo;
    try {
      demo = await startDemo({
        logger,
        logLevel: logLevel as LogLevel,
        httpPort,
        http,
        demandResponse: true,
        offGridHouse: offGrid ? 'optimise' : 'monitor',
        ...(givenDataDir === undefined ? {} : { dataDir: givenDataDir }),
        ...(ha === undefined ? {} : { ha }),
      });
    } catch (err) {
      throw new CliError(`cannot start the demo: ${startErrorLine(err, httpPort)}`);
    }
    const { runtime, config, dataDir, dr } = demo;
    // Handlers first: whoever reads the banner may send SIGTERM at once, and must get a clean stop.
    const stopped = exitOnSignals(() => demo.stop(), logger);
    io.stdout.write(
      `Smart Power Station demo: open ${runtime.url}\n` +
        (offGrid ? offGridOptimisedLines(demo) : onGridOptimisedLines()) +
        (demo.offGrid
          ? '  alarms: the default rules (battery alarm/protection bits, low SOC, transfer relay open, a device\n' +
            '    unavailable) and "Well pump left on"; each a binary_sensor in HA, the list at api/alarms\n'
          : '') +
        simulatorLines(config.devices) +
        drLines(dr) +
        `  data: ${givenDataDir === undefined ? `${dataDir} (temporary, removed at exit; --data-dir DIR keeps it)` : dataDir}\n` +
        describeWriteToken(runtime.writeToken),
    );
    return stopped;
  },
};
