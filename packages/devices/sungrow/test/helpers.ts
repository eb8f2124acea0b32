import { ManualClock, type ReadingSet } from '@sps/core';
import {
  SungrowShAdapter,
  SungrowSimulator,
  type SungrowConnectionInput,
  type SungrowSimulatorOptions,
} from '@sps/device-sungrow';

export interface Rig {
  readonly clock: ManualClock;
  readonly sim: SungrowSimulator;
  readonly adapter: SungrowShAdapter;
  readonly port: number;
}

const open: Rig[] = [];

/** A simulator on a free loopback port and a connected adapter, both on one ManualClock. */
export async function startRig(
  options: {
    start?: string;
    sim?: Omit<SungrowSimulatorOptions, 'clock'>;
    connection?: Partial<SungrowConnectionInput>;
  } = {},
): Promise<Rig> {
  const clock = new ManualClock(options.start ?? '2026-01-15T12:00:00Z');
  const sim = new SungrowSimulator({ ...options.sim, clock });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const adapter = new SungrowShAdapter({
    id: 'inverter',
    clock,
    connection: { host: '127.0.0.1', port, timeout_ms: 1000, ...options.connection },
  });
  const rig = { clock, sim, adapter, port };
  open.push(rig);
  await adapter.connect();
  return rig;
}

export async function stopRigs(): Promise<void> {
  for (const rig of open.splice(0)) {
    await rig.adapter.close();
    await rig.sim.stop();
  }
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}
