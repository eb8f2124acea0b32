import { ManualClock, type DeviceDescription } from '@sps/core';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DeviceManager } from '../src/device-manager';
import { CATALOGUE_KEY, CATALOGUE_NAMESPACE, DeviceCatalogue } from '../src/ha/device-catalogue';
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

  it('gives a description stored before translation keys existed its entity keys as translation keys', async () => {
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const { drivers } = fakeDrivers(clock);
    const config = parseOptions({ devices: [{ name: 'Inverter', driver: 'fake' }] }, drivers);
    const logger = pino({ level: 'silent' });
    const manager = new DeviceManager(config.devices, {
      drivers,
      hub: new ReadingHub(),
      guard: new SafetyGuard({ limits: { backupReservePct: 10 } }),
      clock,
      logger,
    });
    const store = new MemoryStateStore();
    // What an add-on before 0.2.0 kept: no translationKey on its entities.
    store.putState(CATALOGUE_NAMESPACE, CATALOGUE_KEY, {
      inverter: {
        info: { manufacturer: 'Fake', model: 'F1', serial: 'SN-old' },
        entities: [{ key: 'battery_soc', platform: 'sensor', name: 'Battery state of charge', unit: '%' }],
      },
    });
    const catalogue = new DeviceCatalogue(manager, store, undefined, logger);
    expect(catalogue.bridgeDevices()[0]?.entities[0]).toMatchObject({
      key: 'battery_soc',
      translationKey: 'battery_soc',
    });
  });
});
