import { ManualClock, DeviceError } from '@sps/core';
import {
  Ina260Adapter,
  Ina260Chip,
  MemoryI2cBus,
  openI2cBus,
  openLinuxI2cBus,
  REGISTER,
  type I2cPeripheral,
} from '@sps/device-ina260';
import { num, rejectionOf } from './helpers';

describe('MemoryI2cBus', () => {
  const echo: I2cPeripheral = {
    readRegister: (register, length) => new Uint8Array(length).fill(register),
    writeRegister: () => undefined,
  };

  it('NACKs an absent address with the kernel errno', async () => {
    const bus = new MemoryI2cBus();
    await expect(bus.readRegister(0x40, 0, 2)).rejects.toMatchObject({ code: 'ENXIO' });
    await expect(bus.writeRegister(0x40, 0, Uint8Array.of(1, 2))).rejects.toMatchObject({ code: 'ENXIO' });
  });

  it('injects faults a given number of times, for one register if asked', async () => {
    const bus = new MemoryI2cBus().attach(0x41, echo);
    bus.injectFault({ kind: 'bus_error' }, { times: 2, register: 7 });
    await expect(bus.readRegister(0x41, 1, 2)).resolves.toEqual(Uint8Array.of(1, 1));
    await expect(bus.readRegister(0x41, 7, 2)).rejects.toMatchObject({ code: 'EIO' });
    await expect(bus.readRegister(0x41, 7, 2)).rejects.toMatchObject({ code: 'EIO' });
    await expect(bus.readRegister(0x41, 7, 2)).resolves.toEqual(Uint8Array.of(7, 7));
    bus.injectFault({ kind: 'flip', mask: 0x0101 });
    await expect(bus.readRegister(0x41, 2, 2)).resolves.toEqual(Uint8Array.of(3, 3));
    bus.clearFaults();
    await expect(bus.readRegister(0x41, 2, 2)).resolves.toEqual(Uint8Array.of(2, 2));
    expect(bus.transfers).toBe(6);
  });
});

describe('bus: "memory" (the demo path)', () => {
  it('opens an in-memory bus with a simulated INA260 at the configured address', async () => {
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const adapter = new Ina260Adapter({ id: 'pv', clock, connection: { bus: 'memory', address: 0x44, averaging: 4 } });
    await adapter.connect();
    expect(adapter.describe().info.serial).toBe('memory@0x44');
    const r = await adapter.read();
    expect(num(r, 'pv_voltage')).toBeGreaterThanOrEqual(0);
    expect(num(r, 'averaging')).toBe(4);
    await adapter.close();
    const bus = await openI2cBus('memory', { address: 0x40, clock });
    await expect(bus.readRegister(0x40, REGISTER.DIE_ID, 2)).resolves.toEqual(Uint8Array.of(0x22, 0x70));
  });
});

/** A stand-in for the native `i2c-bus` module: its promise API over a simulated chip. */
function fakeI2cBusModule(chip: I2cPeripheral, opened: number[], failWith?: { code: string; message: string }) {
  return {
    openPromisified: async (busNumber: number) => {
      opened.push(busNumber);
      return {
        readI2cBlock: async (address: number, register: number, length: number, buffer: Buffer) => {
          if (failWith) throw Object.assign(new Error(failWith.message), { code: failWith.code });
          if (address !== 0x40) throw Object.assign(new Error('Remote I/O error'), { code: 'EREMOTEIO' });
          const bytes = chip.readRegister(register, length);
          buffer.set(bytes);
          return { bytesRead: bytes.length, buffer };
        },
        writeI2cBlock: async (_address: number, register: number, length: number, buffer: Buffer) => {
          chip.writeRegister(register, buffer.subarray(0, length));
          return { bytesWritten: length, buffer };
        },
        close: async () => undefined,
      };
    },
  };
}

describe('the Linux bus through i2c-bus (lazily loaded)', () => {
  it('reads the chip through the package promise API, CommonJS or ESM-wrapped', async () => {
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const chip = new Ina260Chip({ clock });
    const opened: number[] = [];
    for (const wrap of [(m: unknown) => m, (m: unknown) => ({ default: m })]) {
      const adapter = new Ina260Adapter({
        id: 'pv',
        clock,
        connection: { bus: '/dev/i2c-1' },
        openBus: async (bus) => openLinuxI2cBus(bus as number, async () => wrap(fakeI2cBusModule(chip, opened))),
      });
      await adapter.connect();
      expect(adapter.describe().info.serial).toBe('/dev/i2c-1@0x40');
      expect(num(await adapter.read(), 'pv_power')).toBeCloseTo(chip.state.powerW, 2);
      await adapter.close();
    }
    expect(opened).toEqual([1, 1]);
  });

  it('a missing native package is unsupported with what to do', async () => {
    const err = await rejectionOf(
      openLinuxI2cBus(1, async () => {
        throw new Error("Cannot find module 'i2c-bus'");
      }),
    );
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'unsupported' });
    expect((err as DeviceError).message).toMatch(
      /\/dev\/i2c-1: I2C access needs the optional native package "i2c-bus"/,
    );
    await expect(openLinuxI2cBus(1, async () => ({ nothing: true }))).rejects.toMatchObject({ kind: 'unsupported' });
  });

  it('maps the kernel errors of a real bus', async () => {
    const chip = new Ina260Chip({ clock: new ManualClock() });
    const cases = [
      ['EREMOTEIO', 'connection_refused'],
      ['EIO', 'connection_lost'],
      ['ETIMEDOUT', 'timeout'],
      ['ENOENT', 'connection_refused'],
      ['EACCES', 'connection_refused'],
      ['EWHATEVER', 'bad_response'],
    ] as const;
    for (const [code, kind] of cases) {
      const adapter = new Ina260Adapter({
        id: 'pv',
        clock: new ManualClock(),
        connection: { bus: 1 },
        openBus: async () => openLinuxI2cBus(1, async () => fakeI2cBusModule(chip, [], { code, message: code })),
      });
      const err = await rejectionOf(adapter.connect());
      expect(err).toMatchObject({ kind });
      expect((err as DeviceError).message).toContain('address 0x40 on /dev/i2c-1');
    }
    // An address nobody answers at on the real bus.
    const absent = new Ina260Adapter({
      id: 'pv',
      clock: new ManualClock(),
      connection: { bus: 1, address: 0x41 },
      openBus: async () => openLinuxI2cBus(1, async () => fakeI2cBusModule(chip, [])),
    });
    await expect(absent.connect()).rejects.toMatchObject({ kind: 'connection_refused' });
  });
});
