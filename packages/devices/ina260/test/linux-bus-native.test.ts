import { existsSync } from 'node:fs';
import { DeviceError, ManualClock, type Availability } from '@sps/core';
import { Ina260Adapter, openLinuxI2cBus } from '@sps/device-ina260';
import { rejectionOf } from './helpers';

/**
 * The REAL native `i2c-bus` (built by scripts/setup.sh against Node 22's headers), no fake
 * loader: it must load, and a bus that does not exist on this machine must be refused by name
 * with what to do, not reported as "unsupported". Fails if the module is missing or unbuilt.
 */
const busNumber = [250, 249, 248, 247].find((n) => !existsSync(`/dev/i2c-${n}`)) ?? 246;
const reason = new RegExp(
  `^/dev/i2c-${busNumber}: the I2C bus device does not exist \\(map /dev/i2c-N into the add-on\\) \\(ENOENT`,
);

describe('the Linux I2C bus with the real i2c-bus module', () => {
  it('loads under the Node that runs the tests', async () => {
    // A variable specifier, as in src/bus/linux-bus.ts: the package has no type declarations.
    const specifier = 'i2c-bus';
    const loaded: unknown = await import(specifier);
    expect(loaded).toMatchObject({ openPromisified: expect.any(Function) });
    expect(process.versions.node).toMatch(/^22\./);
  });

  it('refuses a bus device that does not exist, saying to map it', async () => {
    const err = await rejectionOf(openLinuxI2cBus(busNumber));
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as Error).message).toMatch(reason);
  });

  it('the adapter on that bus is unavailable with that reason', async () => {
    const adapter = new Ina260Adapter({ id: 'pv', clock: new ManualClock(), connection: { bus: busNumber } });
    const availability: Availability[] = [];
    adapter.events.on('availability', (a) => availability.push(a));
    await expect(adapter.connect()).rejects.toMatchObject({ kind: 'connection_refused' });
    expect(availability).toHaveLength(1);
    expect(availability[0]).toMatchObject({ available: false });
    expect(availability[0]?.reason).toMatch(/^connection refused: \/dev\/i2c-\d+: the I2C bus device does not exist/);
    expect(availability[0]?.reason).not.toMatch(/unsupported|i2c-bus/);
    await adapter.close();
  });
});
