import { ManualClock, type Availability, type ReadingSet } from '@sps/core';
import {
  Ina260Adapter,
  Ina260Chip,
  MemoryI2cBus,
  type Ina260AdapterOptions,
  type Ina260ChipOptions,
  type Ina260ConnectionInput,
} from '@sps/device-ina260';

export interface Rig {
  readonly clock: ManualClock;
  readonly bus: MemoryI2cBus;
  readonly chip: Ina260Chip;
  readonly adapter: Ina260Adapter;
  readonly availability: Availability[];
}

/** A simulated INA260 at 0x40 on an in-memory bus and an adapter on it, all on one ManualClock. */
export async function startRig(
  options: {
    start?: string;
    chip?: Omit<Ina260ChipOptions, 'clock'>;
    connection?: Partial<Ina260ConnectionInput>;
    adapter?: Partial<Omit<Ina260AdapterOptions, 'id' | 'connection' | 'clock' | 'bus'>>;
    connect?: boolean;
  } = {},
): Promise<Rig> {
  const clock = new ManualClock(options.start ?? '2026-01-15T12:00:00Z');
  const chip = new Ina260Chip({ ...options.chip, clock });
  const bus = new MemoryI2cBus('memory-test').attach(0x40, chip);
  const adapter = new Ina260Adapter({
    id: 'pv',
    clock,
    bus,
    connection: { bus: 'memory', timeout_ms: 500, ...options.connection },
    ...options.adapter,
  });
  const availability: Availability[] = [];
  adapter.events.on('availability', (a) => availability.push(a));
  if (options.connect ?? true) await adapter.connect();
  return { clock, bus, chip, adapter, availability };
}

export function num(readings: ReadingSet, key: string): number {
  const v = readings.values[key];
  if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}, not a number`);
  return v;
}

/** The rejection of a promise, for asserting on DeviceError fields. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
