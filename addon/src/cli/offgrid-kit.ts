import { SocketcandServer, VirtualCanBus } from '@sps/can';
import { systemClock, type Clock } from '@sps/core';
import { PylontechSimulator } from '@sps/device-pylontech';
import { ShellySimulator } from '@sps/device-shelly';
import { StuderSimulator } from '@sps/device-studer';

/** Names of the off-grid house's device entries in the demo (and the tests that run it). */
export const OFFGRID_NAMES = {
  studer: 'Studer XTM 4000-48 (simulated)',
  battery: 'Pylontech US5000 x2 (simulated)',
  relays: 'Pump and heater relays (simulated)',
} as const;

/** The seed house's two deferrable loads, W, on channels 0 and 1 of the relay box. */
export const OFFGRID_PUMP_W = 2200;
export const OFFGRID_HEATER_W = 1500;
export const OFFGRID_PUMP_CHANNEL = 0;
export const OFFGRID_HEATER_CHANNEL = 1;

export interface OffGridKitOptions {
  /** Drives every simulator and the wiring (default the system clock; tests pass a ManualClock). */
  readonly clock?: Clock;
  /** Battery SOC at start, % (default 60). */
  readonly socPct?: number;
  /** The house's own load without pump and heater, W, by local hour (default 300 W, 900 W 18:00–22:00). */
  readonly baseLoadW?: (localHour: number) => number;
  /** Local time offset from UTC, hours, for the PV and the base load (default the system zone's now). */
  readonly utcOffsetHours?: number;
  /** How often the wiring is brought up to date, ms (default 1 s). */
  readonly wiringEveryMs?: number;
  /** A generator (or grid) behind the Studer's transfer relay at the start (default false: none running). */
  readonly acSourcePresent?: boolean;
  /** Studer poll interval for the device entry, s (default 10, the driver's own default). */
  readonly studerPollS?: number;
}

export interface OffGridKit {
  /** Device entries for the add-on options: the Studer, the Pylontech master, the relay box. */
  readonly devices: readonly Record<string, unknown>[];
  readonly studer: StuderSimulator;
  readonly pylontech: PylontechSimulator;
  /** The relay box: channel 0 the well pump, channel 1 the water heater. */
  readonly relays: ShellySimulator;
  /** The one CAN bus both the Xcom-CAN and the BMS are on, and its socketcand gateway. */
  readonly bus: VirtualCanBus;
  readonly gateway: { readonly host: string; readonly port: number; readonly interface: string };
  /** The house's offset from UTC, hours: its sun and evening load follow it. */
  readonly utcOffsetHours: number;
  /** What the Studer's AC output carries now, W (base + the loads whose relay is closed). */
  houseLoadW(): number;
  /** Recompute the wiring now (also done on a timer). */
  sync(): void;
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

function defaultBaseLoadW(hour: number): number {
  return 300 + (hour >= 18 && hour < 22 ? 600 : 0);
}

/**
 * The seed's off-grid house on simulators, in-process: a Studer Xtender XTM 4000-48 with a VarioTrack
 * VT-65 behind an Xcom-CAN, and a Pylontech master reporting two US5000, on ONE virtual CAN bus
 * behind ONE socketcand gateway on loopback (as the real house: the Xcom-CAN and the BMS share the
 * bus; the Studer speaks 29-bit frames, the BMS 11-bit ones, and each driver ignores the other's).
 * The well pump (2.2 kW) and the water heater (1.5 kW) hang on a simulated Shelly Pro 4PM over
 * loopback HTTP. The wiring, every second on the clock: the house load the Studer supplies is the
 * base load plus each load whose relay is closed; the relays meter their load while the Studer's
 * output is live; the BMS reports the Studer's battery (its SOC, and its current in the project's
 * sign: + discharging). The PV comes from the Studer simulator's sun by time of day.
 */
export async function startOffGridKit(options: OffGridKitOptions = {}): Promise<OffGridKit> {
  const clock = options.clock ?? systemClock;
  const utcOffsetHours = options.utcOffsetHours ?? -new Date(clock.now()).getTimezoneOffset() / 60;
  const baseLoadW = options.baseLoadW ?? defaultBaseLoadW;
  const iface = 'can0';
  const host = '127.0.0.1';
  const bus = new VirtualCanBus({ clock });
  const studer = new StuderSimulator({
    clock,
    initialSocPct: options.socPct ?? 60,
    // Two US5000: 2 × 100 Ah.
    capacityAh: 200,
    utcOffsetHours,
    acSourcePresent: options.acSourcePresent ?? false,
  });
  const pylontech = new PylontechSimulator({ bus, clock, modules: 2, socPct: options.socPct ?? 60 });
  const relays = new ShellySimulator({ profile: 'pro-4pm', mac: 'AABBCC0000F1', clock });
  const server = new SocketcandServer({ bus, interfaces: [iface], clock });
  const started: { stop(): Promise<void> }[] = [];
  try {
    await studer.attach(bus);
    started.push({ stop: () => studer.detach() });
    const relayOn = (channel: number): boolean => relays.state.relays[channel]?.on ?? false;
    const houseLoadW = (): number => {
      const hour = ((((clock.now() / HOUR_MS + utcOffsetHours) % 24) + 24) % 24) as number;
      return (
        baseLoadW(hour) +
        (relayOn(OFFGRID_PUMP_CHANNEL) ? OFFGRID_PUMP_W : 0) +
        (relayOn(OFFGRID_HEATER_CHANNEL) ? OFFGRID_HEATER_W : 0)
      );
    };
    const sync = (): void => {
      studer.setLoadW(houseLoadW());
      const s = studer.state;
      const live = s.acOutputVoltage > 0;
      relays.setLoad(OFFGRID_PUMP_CHANNEL, live && relayOn(OFFGRID_PUMP_CHANNEL) ? OFFGRID_PUMP_W : 0);
      relays.setLoad(OFFGRID_HEATER_CHANNEL, live && relayOn(OFFGRID_HEATER_CHANNEL) ? OFFGRID_HEATER_W : 0);
      // One battery: the BMS follows the Studer's integration (Studer counts + as charging, the BMS model + as discharging).
      pylontech.setSoc(s.socPct);
      pylontech.setCurrent(-s.batteryCurrentA);
    };
    sync();
    // Before the BMS starts its 1 s burst timer: on a ManualClock timers due together fire in creation
    // order, so the wiring hands the BMS the Studer's current before it steps and reports it.
    const timer = clock.setInterval(sync, options.wiringEveryMs ?? 1000);
    started.push({ stop: async () => timer.cancel() });
    await pylontech.start();
    started.push(pylontech);
    const port = await server.start(0, host);
    started.push(server);
    const relayPort = await relays.start({ host, port: 0 });
    started.push(relays);

    const connection = { transport: 'socketcand', host, port, interface: iface };
    const devices: Record<string, unknown>[] = [
      {
        name: OFFGRID_NAMES.studer,
        driver: 'studer',
        ...connection,
        poll_interval_s: options.studerPollS ?? 10,
      },
      // The BMS on the same gateway and bus: a second socketcand session, as python-can would open.
      { name: OFFGRID_NAMES.battery, driver: 'pylontech', ...connection, poll_interval_s: 5 },
      { name: OFFGRID_NAMES.relays, driver: 'shelly', host, port: relayPort, transport: 'http' },
    ];
    return {
      devices,
      studer,
      pylontech,
      relays,
      bus,
      gateway: { host, port, interface: iface },
      utcOffsetHours,
      houseLoadW,
      sync,
      async stop() {
        for (const s of started.splice(0).reverse()) await s.stop();
      },
    };
  } catch (err) {
    for (const s of started.splice(0).reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}
