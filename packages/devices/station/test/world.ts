import { ManualClock, type Availability, type ReadingSet } from '@sps/core';
import { BluettiAdapter, BluettiSimulator, InMemoryBleTransport } from '@sps/device-bluetti';
import { Ina260Adapter, Ina260Chip, MemoryI2cBus } from '@sps/device-ina260';
import { ShellyAdapter, ShellySimulator } from '@sps/device-shelly';
import { createPowerStation, type PowerStationComposite, type PowerStationOptions } from '@sps/device-station';

/**
 * The simulated installation: a Bluetti over the in-memory BLE transport, Shelly plugs over
 * loopback HTTP at P1 (grid → station AC input) and P2 (the loads behind the transfer switch),
 * P3 either the station's own AC output or a third Shelly after it, and an INA260 at P4 on the
 * memory I2C bus. `sync()` is the wiring: what each relay's state means for the others' world.
 */
export interface World {
  readonly clock: ManualClock;
  readonly bluetti: BluettiSimulator;
  readonly p1Sim: ShellySimulator;
  readonly p2Sim: ShellySimulator;
  readonly p3Sim: ShellySimulator | null;
  readonly chip: Ina260Chip;
  readonly composite: PowerStationComposite;
  readonly availability: Availability[];
  readonly ports: Map<ShellySimulator, number>;
  /** Household load behind the transfer switch, W; PV at P4, W. */
  loadW: number;
  pvW: number;
  sync(): void;
  /** Let time pass with the wiring kept consistent (1-minute steps). */
  run(ms: number): Promise<void>;
  read(): Promise<ReadingSet>;
}

const worlds: World[] = [];

export async function startWorld(
  options: {
    p3?: 'station' | 'relay';
    socPct?: number;
    model?: string;
    p1?: 'relay' | 'station';
    composite?: Partial<Omit<PowerStationOptions, 'station' | 'p1' | 'p2' | 'p3' | 'p4' | 'clock'>>;
  } = {},
): Promise<World> {
  const clock = new ManualClock('2026-01-15T12:00:00Z');
  const bluetti = new BluettiSimulator({
    clock,
    model: options.model ?? 'AC180',
    initial: { socPct: options.socPct ?? 50, acLoadW: 0, dcLoadW: 0 },
  });
  const station = new BluettiAdapter({
    id: 'bluetti',
    clock,
    transport: new InMemoryBleTransport(bluetti),
    connection: { address: bluetti.address, timeout_ms: 250 },
    requestGapMs: 0,
  });
  const ports = new Map<ShellySimulator, number>();
  const shelly = async (name: string): Promise<{ sim: ShellySimulator; adapter: ShellyAdapter }> => {
    const sim = new ShellySimulator({ profile: 'plus-plug-s', clock, mac: `AABBCC00000${name.length}` });
    const port = await sim.start({ host: '127.0.0.1', port: 0 });
    ports.set(sim, port);
    const adapter = new ShellyAdapter({
      id: name,
      clock,
      connection: { host: '127.0.0.1', port, transport: 'http', timeout_ms: 1000 },
    });
    return { sim, adapter };
  };
  const p1 = await shelly('p1');
  const p2 = await shelly('p2');
  const p3 = options.p3 === 'relay' ? await shelly('p3') : null;
  const chip = new Ina260Chip({ clock, noise: false });
  const bus = new MemoryI2cBus('memory-test').attach(0x40, chip);
  const p4 = new Ina260Adapter({ id: 'pv', clock, bus, connection: { bus: 'memory', timeout_ms: 500 } });

  // P2 is the metering relay the loads hang on: always closed; the transfer switch is before it.
  p2.sim.setRelay(0, true);
  if (p3) bluetti.state.acOutputOn = true;

  let composite: PowerStationComposite;
  try {
    composite = createPowerStation({
      id: 'station',
      station,
      p1: options.p1 === 'station' ? 'station' : p1.adapter,
      p2: p2.adapter,
      p3: p3 ? p3.adapter : 'station',
      p4,
      clock,
      chargePowerW: 950,
      ...options.composite,
    });
  } catch (err) {
    // Bad settings: nothing to close but the servers already listening.
    for (const sim of ports.keys()) await sim.stop();
    throw err;
  }
  const availability: Availability[] = [];
  composite.events.on('availability', (a) => availability.push(a));

  const world: World = {
    clock,
    bluetti,
    p1Sim: p1.sim,
    p2Sim: p2.sim,
    p3Sim: p3?.sim ?? null,
    chip,
    composite,
    availability,
    ports,
    loadW: 400,
    pvW: 0,
    sync() {
      const gridToStation = options.p1 === 'station' ? true : (p1.sim.state.relays[0]?.on ?? false);
      const p3Closed = p3 ? (p3.sim.state.relays[0]?.on ?? false) : true;
      const loadsOnStation = bluetti.state.acOutputOn && p3Closed;
      bluetti.setEnvironment({
        gridConnected: gridToStation,
        acLoadW: loadsOnStation ? world.loadW : 0,
        dcLoadW: 0,
        pvAvailableW: world.pvW,
      });
      p1.sim.setLoad(0, bluetti.state.acInputW);
      p2.sim.setLoad(0, world.loadW);
      p3?.sim.setLoad(0, world.loadW);
      chip.setOverride(world.pvW > 0 ? { voltageV: 20, currentA: world.pvW / 20 } : { voltageV: 0.5, currentA: 0 });
    },
    async run(ms) {
      for (let left = ms; left > 0; left -= 60_000) {
        world.sync();
        await clock.advance(Math.min(60_000, left));
      }
      world.sync();
    },
    async read() {
      world.sync();
      return composite.read();
    },
  };
  world.sync();
  worlds.push(world);
  await composite.connect();
  return world;
}

export async function stopWorlds(): Promise<void> {
  for (const world of worlds.splice(0)) {
    await world.composite.close();
    for (const sim of world.ports.keys()) await sim.stop();
    await world.bluetti.stop();
  }
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
