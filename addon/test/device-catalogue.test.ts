import { ManualClock, type DeviceDescription } from '@sps/core';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DeviceManager } from '../src/device-manager';
import { DeviceCatalogue } from '../src/ha/device-catalogue';
import { ReadingHub } from '../src/hub';
import { parseOptions } from '../src/options';
import { MemoryStateStore } from '../src/state-store';
import { SafetyGuard } from '@sps/control';
import { FakeDevice, fakeDrivers } from './support/fake-device';

/** Two entries that are one physical device: the same serial. */
class SameSerialDevice extends FakeDevice {
  override describe(): DeviceDescription {
    const base = super.describe();
    return { ...base, info: { ...base.info, serial: 'SN-SHARED' } };
  }
}

describe('the device catalogue HA is told about', () => {
  it('leaves out a second device with a serial already taken, and says why once', async () => {
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const { drivers } = fakeDrivers(clock);
    const fake = drivers.get('fake');
    if (!fake) throw new Error('no fake driver');
    const patched = {
      ...fake,
      create: (id: string) => (id === 'other' ? new FakeDevice(id, clock) : new SameSerialDevice(id, clock)),
    };
    const lookup = { get: (name: string) => (name === 'fake' ? patched : undefined), names: () => ['fake'] };
    const config = parseOptions(
      {
        devices: [{ name: 'Inverter' }, { name: 'Inverter again' }, { name: 'Other' }].map((d) => ({
          ...d,
          driver: 'fake',
        })),
      },
      lookup,
    );
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const manager = new DeviceManager(config.devices, {
      drivers: lookup,
      hub: new ReadingHub(),
      guard: new SafetyGuard({ limits: { backupReservePct: 10 } }),
      clock,
      logger,
    });
    manager.start();
    try {
      for (const runner of manager.list()) await runner.pollNow();
      const catalogue = new DeviceCatalogue(manager, new MemoryStateStore(), undefined, logger);
      expect(catalogue.refresh()).toBe(true);
      expect(catalogue.bridgeDevices().map((d) => [d.id, d.info.serial])).toEqual([
        ['inverter', 'SN-SHARED'],
        ['other', 'SN-other'],
      ]);
      catalogue.bridgeDevices();
      const errors = lines.filter((l) => l.includes('"level":50'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        'device inverter_again reports serial SN-SHARED, as inverter does: it is not shown in Home Assistant (is it configured twice?)',
      );
    } finally {
      await manager.stop();
    }
  });
});
