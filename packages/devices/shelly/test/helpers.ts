import { ManualClock, type Availability, type DeviceEvents, type ReadingSet } from '@sps/core';
import {
  ShellyAdapter,
  ShellySimulator,
  type ShellyConnectionInput,
  type ShellySimulatorOptions,
} from '@sps/device-shelly';

export interface Rig {
  readonly clock: ManualClock;
  readonly sim: ShellySimulator;
  readonly adapter: ShellyAdapter;
  readonly port: number;
  readonly availability: Availability[];
}

const open: { sim: ShellySimulator; adapters: ShellyAdapter[] }[] = [];

/** A simulator on a free loopback port and an adapter for it, both on one ManualClock. */
export async function startRig(
  options: {
    sim?: Omit<ShellySimulatorOptions, 'clock'>;
    connection?: Partial<ShellyConnectionInput>;
    connect?: boolean;
  } = {},
): Promise<Rig> {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const sim = new ShellySimulator({ ...options.sim, clock });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const adapter = newAdapter(sim, port, clock, options.connection);
  const availability: Availability[] = [];
  adapter.events.on('availability', (a) => availability.push(a));
  if (options.connect !== false) await adapter.connect();
  return { clock, sim, adapter, port, availability };
}

/** Another adapter for a running simulator (closed with the rig). */
export function newAdapter(
  sim: ShellySimulator,
  port: number,
  clock: ManualClock,
  connection: Partial<ShellyConnectionInput> = {},
): ShellyAdapter {
  const adapter = new ShellyAdapter({
    id: 'shelly',
    clock,
    connection: { host: '127.0.0.1', port, timeout_ms: 1000, ...connection },
  });
  let entry = open.find((o) => o.sim === sim);
  if (!entry) {
    entry = { sim, adapters: [] };
    open.push(entry);
  }
  entry.adapters.push(adapter);
  return adapter;
}

export async function stopRigs(): Promise<void> {
  for (const { sim, adapters } of open.splice(0)) {
    for (const adapter of adapters) await adapter.close();
    await sim.stop();
  }
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}

/** Resolves with the adapter's next event of that kind the predicate accepts; rejects after `ms` of real time. */
export function nextEvent<K extends keyof DeviceEvents>(
  adapter: ShellyAdapter,
  event: K,
  accept: (value: DeviceEvents[K]) => boolean,
  ms = 3000,
): Promise<DeviceEvents[K]> {
  return new Promise<DeviceEvents[K]>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${String(event)} event within ${ms} ms`));
    }, ms);
    const off = adapter.events.on(event, (value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}
