import { ManualClock, type Availability, type ReadingSet } from '@sps/core';
import {
  KasaKlapSimulator,
  KasaPlugAdapter,
  KasaXorSimulator,
  type KasaConnectionInput,
  type KasaKlapSimulatorOptions,
  type KasaXorSimulatorOptions,
} from '@sps/device-kasa';

type Simulator = KasaXorSimulator | KasaKlapSimulator;

const openAdapters: KasaPlugAdapter[] = [];
const openSimulators: Simulator[] = [];

export const clockAt = (iso = '2026-01-15T10:00:00Z'): ManualClock => new ManualClock(iso);

export async function startXor(options: Omit<KasaXorSimulatorOptions, 'clock'> & { clock?: ManualClock } = {}) {
  const clock = options.clock ?? clockAt();
  const sim = new KasaXorSimulator({ ...options, clock });
  openSimulators.push(sim);
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  return { sim, clock, port };
}

export async function startKlap(options: Omit<KasaKlapSimulatorOptions, 'clock'> & { clock?: ManualClock } = {}) {
  const clock = options.clock ?? clockAt();
  const sim = new KasaKlapSimulator({ ...options, clock });
  openSimulators.push(sim);
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  return { sim, clock, port };
}

export function adapterFor(
  port: number,
  clock: ManualClock,
  connection: Partial<KasaConnectionInput> = {},
): KasaPlugAdapter {
  const adapter = new KasaPlugAdapter({
    id: 'plug',
    clock,
    connection: { host: '127.0.0.1', port, timeout_ms: 1000, ...connection },
  });
  openAdapters.push(adapter);
  return adapter;
}

export async function cleanUp(): Promise<void> {
  for (const adapter of openAdapters.splice(0)) await adapter.close();
  for (const sim of openSimulators.splice(0)) await sim.stop();
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}

export function watchAvailability(adapter: KasaPlugAdapter): Availability[] {
  const seen: Availability[] = [];
  adapter.events.on('availability', (a) => seen.push(a));
  return seen;
}

export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
