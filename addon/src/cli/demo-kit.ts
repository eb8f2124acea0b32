import { BluettiSimulator, DEFAULT_SIMULATOR_ADDRESS } from '@sps/device-bluetti';
import { ShellySimulator } from '@sps/device-shelly';
import { systemClock, type Clock } from '@sps/core';

/** Names of the kit's device entries in the demo (and the tests that run it). */
export const KIT_NAMES = {
  station: 'Bluetti AC180 (simulated)',
  p1: 'Station charger (simulated)',
  p2: 'House loads (simulated)',
  p3: 'Station output relay (simulated)',
  p4: 'PV sensor (simulated)',
  composite: 'Power station',
} as const;

export interface DemoKitOptions {
  /** What the loads behind the transfer switch draw, W. */
  readonly loadW?: number;
  /** Station SOC at start, %. */
  readonly socPct?: number;
  /** How often the wiring is brought up to date, ms (default 1 s). */
  readonly wiringEveryMs?: number;
  readonly minOnOffS?: number;
  /** Drives the simulators' physics and the wiring (default the system clock; the soak test passes a ManualClock). */
  readonly clock?: Clock;
}

export interface DemoKit {
  /** Device entries for the add-on options: the members and the `station` entry naming them. */
  readonly devices: readonly Record<string, unknown>[];
  readonly bluetti: BluettiSimulator;
  readonly p1: ShellySimulator;
  readonly p2: ShellySimulator;
  readonly p3: ShellySimulator;
  /** Recompute the wiring now (also done on a timer). */
  sync(): void;
  stop(): Promise<void>;
}

/**
 * The power-station kit on simulators, in-process: a Bluetti AC180 reached through its loopback
 * GATT tunnel (`transport: tcp-sim`), Shelly Plus Plug S relays over loopback HTTP at P1 (grid → the
 * station's AC input), P2 (meters the loads behind the transfer switch) and P3 (the station's AC
 * output → the transfer switch), and an INA260 on the memory I2C bus at P4 (its simulated panel
 * lives inside the adapter). The wiring is what the real installation does: P1 closed → the station
 * sees the grid and P1 meters what it draws; P3 closed with the station's output live → the transfer
 * switch puts P2's loads on the station, and P3 meters them.
 */
export async function startDemoKit(options: DemoKitOptions = {}): Promise<DemoKit> {
  const loadW = options.loadW ?? 400;
  const clock = options.clock ?? systemClock;
  const bluetti = new BluettiSimulator({
    model: 'AC180',
    clock,
    // The station's inverter is live; P3 decides whether its output reaches the transfer switch.
    initial: { socPct: options.socPct ?? 50, acOutputOn: true, gridConnected: false, acLoadW: 0, dcLoadW: 0 },
  });
  const p1 = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC000001', clock });
  const p2 = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC000002', clock });
  const p3 = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC000003', clock });
  const started: { stop(): Promise<void> }[] = [];
  try {
    const bluettiPort = await bluetti.start({ host: '127.0.0.1', port: 0 });
    started.push(bluetti);
    const p1Port = await p1.start({ host: '127.0.0.1', port: 0 });
    started.push(p1);
    const p2Port = await p2.start({ host: '127.0.0.1', port: 0 });
    started.push(p2);
    const p3Port = await p3.start({ host: '127.0.0.1', port: 0 });
    started.push(p3);
    // The loads hang on P2, always closed: the transfer switch before it picks grid or station.
    p2.setRelay(0, true);
    const sync = (): void => {
      const gridToStation = p1.state.relays[0]?.on ?? false;
      const loadsOnStation = (p3.state.relays[0]?.on ?? false) && bluetti.state.acOutputOn;
      bluetti.setEnvironment({
        gridConnected: gridToStation,
        acLoadW: loadsOnStation ? loadW : 0,
        dcLoadW: 0,
      });
      p1.setLoad(0, bluetti.state.acInputW);
      p2.setLoad(0, loadW);
      p3.setLoad(0, loadsOnStation ? loadW : 0);
    };
    sync();
    const timer = clock.setInterval(sync, options.wiringEveryMs ?? 1000);
    const devices: Record<string, unknown>[] = [
      {
        name: KIT_NAMES.station,
        driver: 'bluetti',
        transport: 'tcp-sim',
        host: '127.0.0.1',
        port: bluettiPort,
        address: DEFAULT_SIMULATOR_ADDRESS,
        poll_interval_s: 5,
      },
      { name: KIT_NAMES.p1, driver: 'shelly', host: '127.0.0.1', port: p1Port, transport: 'http', position: 'P1' },
      { name: KIT_NAMES.p2, driver: 'shelly', host: '127.0.0.1', port: p2Port, transport: 'http', position: 'P2' },
      { name: KIT_NAMES.p3, driver: 'shelly', host: '127.0.0.1', port: p3Port, transport: 'http', position: 'P3' },
      { name: KIT_NAMES.p4, driver: 'ina260', bus: 'memory', position: 'P4' },
      {
        name: KIT_NAMES.composite,
        driver: 'station',
        station: KIT_NAMES.station,
        p1: KIT_NAMES.p1,
        p2: KIT_NAMES.p2,
        p3: KIT_NAMES.p3,
        p4: KIT_NAMES.p4,
        // The AC180's "standard" charging rate.
        charge_power_w: 950,
        p2_load_cap_w: 1500,
        min_on_off_s: options.minOnOffS ?? 60,
        poll_interval_s: 5,
      },
    ];
    return {
      devices,
      bluetti,
      p1,
      p2,
      p3,
      sync,
      async stop() {
        timer.cancel();
        for (const s of started.splice(0).reverse()) await s.stop();
      },
    };
  } catch (err) {
    for (const s of started.splice(0).reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}
