import type { DeviceError } from '@sps/core';
import {
  COMMAND_TYPES,
  TypedEmitter,
  canonicalSensor,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
} from '@sps/core';
import { z } from 'zod';
import { DriverRegistry } from '../../src/drivers';
import { defineDriver } from '../../src/driver-types';

/**
 * A scriptable in-memory Device for unit tests of the manager and HTTP layer. `failWith`
 * makes every connect/read/execute fail with that DeviceError until cleared.
 */
export class FakeDevice implements Device {
  readonly driver = 'fake';
  readonly events = new TypedEmitter<DeviceEvents>();
  failWith: DeviceError | undefined;
  /** Error thrown by execute only (the device refuses a command but still reads). */
  refuseWith: DeviceError | undefined;
  soc = 50;
  connects = 0;
  reads = 0;
  closes = 0;
  readonly executed: Command[] = [];

  constructor(
    readonly id: string,
    private readonly clock: Clock,
  ) {}

  async connect(): Promise<void> {
    this.connects++;
    if (this.failWith) throw this.failWith;
  }

  describe(): DeviceDescription {
    return {
      info: { manufacturer: 'Fake', model: 'FK-1', serial: `SN-${this.id}` },
      entities: [
        canonicalSensor('battery_soc'),
        canonicalSensor('pv_power'),
        { key: 'mode', platform: 'sensor', translationKey: 'battery_soc', name: 'Mode' },
      ],
      capabilities: {
        commands: COMMAND_TYPES.filter((t) => t !== 'set_relay' && t !== 'device_command'),
        limits: { maxChargeW: 5000, maxDischargeW: 5000 },
        operatingModes: ['self_consumption', 'forced'],
      },
    };
  }

  async read(): Promise<ReadingSet> {
    this.reads++;
    if (this.failWith) throw this.failWith;
    return { timestamp: this.clock.now(), values: { battery_soc: this.soc, pv_power: 1234, mode: 'auto' } };
  }

  async execute(command: Command): Promise<CommandOutcome> {
    if (this.failWith) throw this.failWith;
    if (this.refuseWith) throw this.refuseWith;
    this.executed.push(command);
    return { command, applied: { ...command }, writes: 1 };
  }

  async close(): Promise<void> {
    this.closes++;
  }
}

/** A registry with one "fake" driver whose devices the test can reach by id. */
export function fakeDrivers(clock: Clock): { drivers: DriverRegistry; devices: Map<string, FakeDevice> } {
  const devices = new Map<string, FakeDevice>();
  const drivers = new DriverRegistry([
    defineDriver({
      name: 'fake',
      title: 'Fake device',
      fields: z.strictObject({ host: z.string().optional() }),
      pollIntervals: () => ({ defaultMs: 5000, minMs: 2000 }),
      create: (id) => {
        const device = new FakeDevice(id, clock);
        devices.set(id, device);
        return device;
      },
    }),
  ]);
  return { drivers, devices };
}
