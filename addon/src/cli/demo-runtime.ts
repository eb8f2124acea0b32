import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MosquittoMissingError,
  publishOnce,
  startMosquitto,
  startTelemetryReceiver,
  type RunningMosquitto,
  type TelemetryReceiver,
} from '@sps/aggregator';
import { systemClock, type Clock } from '@sps/core';
import type { HaTarget } from '@sps/ha';
import type { SimulatorHandle } from '../driver-types.js';
import { builtInDrivers } from '../drivers.js';
import type { Logger } from '../logger.js';
import { parseOptions, type AddonConfig, type LogLevel } from '../options.js';
import { AddonRuntime } from '../runtime.js';
import { findDriver } from './connection-flags.js';
import { KIT_NAMES, startDemoKit, type DemoKit } from './demo-kit.js';
import {
  OFFGRID_HEATER_CHANNEL,
  OFFGRID_HEATER_W,
  OFFGRID_NAMES,
  OFFGRID_PUMP_CHANNEL,
  OFFGRID_PUMP_W,
  startOffGridKit,
  type OffGridKit,
} from './offgrid-kit.js';
import { startOffGridSun, type OffGridSun } from './offgrid-sun.js';
import { DEMO_HISTORY_DAYS, seedDemoGridHistory } from './demo-history.js';
import { deviceSlug } from '../options.js';
import type { HttpRuntimeOptions } from './http-flags.js';

export const DEMO_DRIVER = 'sungrow-sh';
export const DEMO_SUNGROW_NAME = 'Sungrow SH10RT (simulated)';

/**
 * The demo's local time-of-use tariff (no internet needed) so the optimiser plans and the simulated
 * battery follows: cheap nights, an evening peak worth discharging into.
 */
export const DEMO_TARIFF = {
  provider: 'tou',
  currency: 'AUD',
  periods: 'peak all 17:00-21:00 0.45/0.12; shoulder all 07:00-17:00 0.25/0.05; offpeak all 21:00-07:00 0.12/0.03',
} as const;

export interface DemoOptions {
  readonly logger: Logger;
  readonly logLevel?: LogLevel;
  /** Absent = a fresh temporary folder, removed by `stop()`. */
  readonly dataDir?: string;
  readonly httpPort: number;
  /** Bind address, accepted host names and write token (`--http-host`, `--http-names`, `--http-token-file`). */
  readonly http?: HttpRuntimeOptions;
  readonly ha?: HaTarget;
  /** Default the system clock; the soak test runs the whole demo on a ManualClock. */
  readonly clock?: Clock;
  /** The household's zone for the tariff and the load profile (default the system's). */
  readonly timeZone?: string;
  /**
   * Demand response on a local broker (`sps demo` turns it on): Mosquitto on a free loopback port,
   * the aggregator section pointed at it, and one event published a few minutes ahead.
   */
  readonly demandResponse?: boolean;
  /** The Mosquitto binary (default Debian's, then PATH); tests name a missing one. */
  readonly mosquittoBinary?: string;
  /**
   * The seed's off-grid house (issue 13) beside the on-grid station: `monitor` (default) shows its
   * devices, readings and alarms while the optimiser keeps driving the on-grid station; `optimise`
   * (`sps demo --off-grid`) makes it the optimised site (`optimizer.grid: none`, the Studer as the
   * battery, pump and heater as deferrable loads, telemetry to a loopback receiver) and leaves the
   * on-grid devices unoptimised; `none` leaves it out.
   */
  readonly offGridHouse?: OffGridHouseMode;
}

export type OffGridHouseMode = 'monitor' | 'optimise' | 'none';

/** The demo's DR event: it starts this long after the demo, and lasts this long. */
export const DEMO_EVENT_LEAD_MS = 4 * 60_000;
export const DEMO_EVENT_MINUTES = 20;
export const DEMO_DR_NETWORK = 'demo';

/** What the demo's demand response is doing, for the banner. */
export interface DemoDr {
  /** Null when DR is off in this demo (with the reason in `note`). */
  readonly brokerUrl: string | null;
  readonly eventId: string | null;
  readonly eventStartMs: number | null;
  readonly note: string;
}

export interface Demo {
  readonly runtime: AddonRuntime;
  /** The options the demo runs with (its simulators' addresses among them). */
  readonly config: AddonConfig;
  readonly kit: DemoKit;
  readonly sungrowPort: number;
  readonly dataDir: string;
  readonly dr: DemoDr;
  /** The off-grid house's simulators (absent with `offGridHouse: 'none'`). */
  readonly offGrid?: OffGridKit;
  readonly offGridMode: OffGridHouseMode;
  /** The loopback telemetry receiver the off-grid site reports to (`optimise` only). */
  readonly telemetryReceiver?: TelemetryReceiver;
  /** Stops the add-on, then the simulators; removes a temporary data folder. */
  stop(): Promise<void>;
}

/**
 * What `sps demo` (and `pnpm start`) runs: the whole add-on against a simulated Sungrow inverter and
 * the simulated power-station kit, configured through the same options validation as a user's file.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const driver = findDriver(DEMO_DRIVER);
  if (!driver.createSimulator || !driver.simulatorFields) throw new Error(`${DEMO_DRIVER} has no simulator`);
  const clock = options.clock;
  const simulator: SimulatorHandle = driver.createSimulator({
    realTime: true,
    ...(clock === undefined ? {} : { clock }),
  });
  const sungrowPort = await simulator.start({ host: '127.0.0.1', port: 0 });
  let kit: DemoKit;
  try {
    kit = await startDemoKit(clock === undefined ? {} : { clock });
  } catch (err) {
    await simulator.stop();
    throw err;
  }
  const offGridMode = options.offGridHouse ?? 'monitor';
  const optimiseOffGrid = offGridMode === 'optimise';
  let offGrid: OffGridKit | undefined;
  let receiver: TelemetryReceiver | undefined;
  let broker: RunningMosquitto | undefined;
  let drNote = optimiseOffGrid
    ? 'demand response off: the optimised site is off-grid'
    : 'demand response off in this demo';
  let sun: OffGridSun | undefined;
  const stopSimulators = async (): Promise<void> => {
    await sun?.close();
    await receiver?.close();
    await offGrid?.stop();
    await kit.stop();
    await simulator.stop();
  };
  try {
    if (offGridMode !== 'none') {
      offGrid = await startOffGridKit({
        ...(clock === undefined ? {} : { clock }),
        // The house's sun and evening load in the demo's zone (default: the system's, as the add-on's).
        ...(options.timeZone === undefined
          ? {}
          : { utcOffsetHours: zoneOffsetHours(options.timeZone, (clock ?? systemClock).now()) }),
      });
    }
    if (optimiseOffGrid && offGrid) {
      receiver = await startTelemetryReceiver();
      sun = await startOffGridSun(clock ?? systemClock, offGrid.utcOffsetHours);
    }
  } catch (err) {
    await stopSimulators();
    throw err;
  }
  if (options.demandResponse && !optimiseOffGrid) {
    try {
      broker = await startMosquitto(options.mosquittoBinary === undefined ? {} : { binary: options.mosquittoBinary });
    } catch (err) {
      if (!(err instanceof MosquittoMissingError)) {
        await stopSimulators();
        throw err;
      }
      drNote = `demand response off: ${err.message}`;
    }
  }
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sps-demo-'));
  const cleanUp = async (): Promise<void> => {
    await stopSimulators();
    await broker?.stop();
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  let runtime: AddonRuntime;
  let config: AddonConfig;
  try {
    const zone = options.timeZone === undefined ? {} : { time_zone: options.timeZone };
    config = parseOptions(
      {
        log_level: options.logLevel ?? 'info',
        devices: [
          {
            name: DEMO_SUNGROW_NAME,
            driver: DEMO_DRIVER,
            ...(driver.simulatorFields({ host: '127.0.0.1', port: sungrowPort }) as Record<string, unknown>),
            // Faster than the default so the page visibly moves.
            poll_interval_s: 2,
            position: 'P3',
          },
          // The power-station kit (issue 6): the optimiser drives it as one battery.
          ...kit.devices,
          // The off-grid house (issue 13): Studer + Pylontech on one socketcand gateway, pump and heater relays.
          ...(offGrid?.devices ?? []),
        ],
        ...(offGrid === undefined ? {} : offGridOptions(receiver, sun, zone)),
        // On the grid the optimiser drives both batteries in one plan: the station (planned as the scheduler's
        // `station`) and the Sungrow. The default would pick the same two; named here so the demo says what it drives.
        ...(optimiseOffGrid
          ? {}
          : {
              optimizer: { battery_devices: [KIT_NAMES.composite, DEMO_SUNGROW_NAME] },
              tariff: { ...DEMO_TARIFF, ...zone },
            }),
        ...(options.timeZone === undefined || optimiseOffGrid ? {} : { forecast: zone }),
        ...(broker === undefined
          ? {}
          : {
              aggregator: {
                broker_url: broker.url,
                network: DEMO_DR_NETWORK,
                participant: 'demo_station',
                // The kit is a small station: a goal it can hold from its battery.
                goal_kw: 0.2,
                ...zone,
              },
            }),
      },
      builtInDrivers,
    );
    // A baseline needs like days to average: a demo with DR gets simulated ones (the banner says so).
    if (broker) seedDemoGridHistory(dataDir, deviceSlug(KIT_NAMES.composite), clock ?? systemClock);
    runtime = await AddonRuntime.start({
      config,
      dataDir,
      supervised: false,
      drivers: builtInDrivers,
      logger: options.logger,
      httpPort: options.httpPort,
      ...options.http,
      ...(options.ha === undefined ? {} : { ha: options.ha }),
      ...(clock === undefined ? {} : { clock }),
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  let dr: DemoDr = { brokerUrl: null, eventId: null, eventStartMs: null, note: drNote };
  if (broker) {
    dr = await publishDemoEvent(broker, clock ?? systemClock).catch((err: unknown) => ({
      brokerUrl: broker.url,
      eventId: null,
      eventStartMs: null,
      note: `the demo's event could not be published: ${err instanceof Error ? err.message : String(err)}`,
    }));
  }
  return {
    runtime,
    config,
    kit,
    sungrowPort,
    dataDir,
    dr,
    offGridMode,
    ...(offGrid === undefined ? {} : { offGrid }),
    ...(receiver === undefined ? {} : { telemetryReceiver: receiver }),
    async stop() {
      await runtime.stop();
      await cleanUp();
    },
  };
}

/** The zone's offset from UTC at `atMs`, hours (e.g. +10 for Australia/Brisbane). */
export function zoneOffsetHours(zone: string, atMs: number): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(atMs)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!m) return 0; // "GMT": UTC itself
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3]) / 60);
}

/**
 * The off-grid house's part of the options. Always: a heavy-load alarm for the pump left on (the
 * default alarm rules cover the BMS bits, the low SOC, the transfer relay and unreachable devices).
 * As the optimised site (`sun` given): no grid (`optimizer.grid: none`, no tariff), the Studer as the
 * battery (with the capacity and discharge rating it does not report), the pump and the heater as
 * deferrable loads in the day's sun, the PV forecast from the loopback stand-in, and the battery's
 * readings sent to the loopback telemetry receiver.
 */
function offGridOptions(
  receiver: TelemetryReceiver | undefined,
  sun: OffGridSun | undefined,
  zone: { time_zone?: string },
): Record<string, unknown> {
  const alarms = {
    heavy_load_alarms: [
      {
        name: 'Well pump left on',
        device: OFFGRID_NAMES.relays,
        reading: `power_${OFFGRID_PUMP_CHANNEL}`,
        above_w: OFFGRID_PUMP_W / 2,
        minutes: 180,
      },
    ],
  };
  if (sun === undefined) return alarms;
  return {
    ...alarms,
    // The PV forecast from the loopback Forecast.Solar stand-in (offgrid-sun.ts): the simulated sun itself.
    // Latitude and longitude are the add-on's required fields; the stand-in does not use them.
    forecast: {
      solar: 'forecast_solar',
      latitude: 46.2,
      longitude: 7.4,
      declination: 30,
      azimuth: 0,
      kwp: 3.4,
      solar_base_url: sun.url,
      solar_refresh_min: 15,
      ...zone,
    },
    // The Studer reports no capacity: two US5000, 2 × 4.8 kWh (Pylontech's datasheet).
    optimizer: { grid: 'none', battery_devices: [OFFGRID_NAMES.studer], capacity_kwh: 9.6 },
    // The Studer driver reports no discharge limit (the Xtender has no such parameter): the XTM 4000-48's
    // continuous rating, 3.5 kVA at 25 °C (Studer's datasheet), so the plan knows what the battery can carry.
    safety: { max_discharge_w: 3500 },
    deferrable_loads: [
      {
        name: 'well_pump',
        device: OFFGRID_NAMES.relays,
        channel: OFFGRID_PUMP_CHANNEL,
        power_w: OFFGRID_PUMP_W,
        run_minutes: 120,
        earliest: '08:00',
        latest: '18:00',
        min_on_minutes: 15,
      },
      {
        name: 'water_heater',
        device: OFFGRID_NAMES.relays,
        channel: OFFGRID_HEATER_CHANNEL,
        power_w: OFFGRID_HEATER_W,
        run_minutes: 180,
        earliest: '08:00',
        latest: '18:00',
        min_on_minutes: 15,
      },
    ],
    ...(receiver === undefined
      ? {}
      : {
          telemetry: {
            enabled: true,
            url: receiver.url,
            site: 'demo_off_grid_house',
            // The house's battery only (the on-grid station's batteries are in the demo too).
            devices: `${OFFGRID_NAMES.studer}, ${OFFGRID_NAMES.battery}`,
            include_alarms: true,
          },
        }),
  };
}

/**
 * Plays the aggregator: one JSON event on the demo's broker, a few minutes ahead, as a real one
 * would arrive (the add-on cannot tell the difference).
 */
async function publishDemoEvent(broker: RunningMosquitto, clock: Clock): Promise<DemoDr> {
  const now = clock.now();
  // On a whole minute, so the countdown reads well.
  const startMs = Math.ceil((now + DEMO_EVENT_LEAD_MS) / 60_000) * 60_000;
  const id = `demo-${new Date(startMs).toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const payload = JSON.stringify({
    id,
    program: 'DLRP',
    type: 'contingency',
    start: new Date(startMs).toISOString(),
    duration_minutes: DEMO_EVENT_MINUTES,
    goal_kw: 0.2,
    status: 'active',
  });
  await publishOnce(
    { url: broker.url, clientId: 'sps-demo-aggregator' },
    `OpenDemandResponse/Event/${DEMO_DR_NETWORK}`,
    payload,
    clock,
  );
  return {
    brokerUrl: broker.url,
    eventId: id,
    eventStartMs: startMs,
    note: `the baseline averages ${DEMO_HISTORY_DAYS} days of simulated grid import written into the demo's store`,
  };
}
