import { ManualClock, type ReadingSet } from '@sps/core';
import {
  BluettiAdapter,
  BluettiSimulator,
  InMemoryBleTransport,
  type BluettiAdapterOptions,
  type BluettiConnectionInput,
  type BluettiSimulatorOptions,
} from '@sps/device-bluetti';

export interface Rig {
  readonly clock: ManualClock;
  readonly sim: BluettiSimulator;
  readonly adapter: BluettiAdapter;
}

const open: BluettiAdapter[] = [];
const sims: BluettiSimulator[] = [];

/** A simulated station and an adapter joined by the in-memory BLE transport, on one ManualClock. */
export function makeRig(
  options: {
    sim?: Omit<BluettiSimulatorOptions, 'clock'>;
    connection?: Partial<BluettiConnectionInput>;
    adapter?: Partial<Omit<BluettiAdapterOptions, 'connection' | 'clock' | 'transport'>>;
  } = {},
): Rig {
  const clock = new ManualClock('2026-01-15T12:00:00Z');
  const sim = new BluettiSimulator({ ...options.sim, clock });
  const adapter = new BluettiAdapter({
    id: options.adapter?.id ?? 'station',
    clock,
    transport: new InMemoryBleTransport(sim),
    // Short timeouts keep the fault tests quick; nothing asserts on timing.
    connection: { address: sim.address, timeout_ms: 250, ...options.connection },
    requestGapMs: 0,
    ...options.adapter,
  });
  open.push(adapter);
  sims.push(sim);
  return { clock, sim, adapter };
}

export async function startRig(options: Parameters<typeof makeRig>[0] = {}): Promise<Rig> {
  const rig = makeRig(options);
  await rig.adapter.connect();
  return rig;
}

export async function stopRigs(): Promise<void> {
  for (const adapter of open.splice(0)) await adapter.close().catch(() => undefined);
  for (const sim of sims.splice(0)) await sim.stop();
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
