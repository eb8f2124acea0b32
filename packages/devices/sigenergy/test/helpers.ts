import { ManualClock, type ReadingSet } from '@sps/core';
import {
  SigenergyAdapter,
  SigenergySimulator,
  type SigenergyConnectionInput,
  type SigenergyNotice,
  type SigenergySimulatorOptions,
} from '@sps/device-sigenergy';

export interface Rig {
  readonly clock: ManualClock;
  readonly sim: SigenergySimulator;
  readonly adapter: SigenergyAdapter;
  readonly port: number;
  readonly notices: SigenergyNotice[];
}

const open: Rig[] = [];

/** A simulator on a free loopback port and a connected adapter, both on one ManualClock. */
export async function startRig(
  options: {
    start?: string;
    sim?: Omit<SigenergySimulatorOptions, 'clock'>;
    connection?: Partial<SigenergyConnectionInput>;
  } = {},
): Promise<Rig> {
  const clock = new ManualClock(options.start ?? '2026-01-15T12:00:00Z');
  const sim = new SigenergySimulator({ ...options.sim, clock });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const notices: SigenergyNotice[] = [];
  const adapter = new SigenergyAdapter({
    id: 'sigenstor',
    clock,
    connection: { host: '127.0.0.1', port, timeout_ms: 1000, ...options.connection },
    onNotice: (n) => notices.push(n),
  });
  const rig = { clock, sim, adapter, port, notices };
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
