import fc from 'fast-check';
import { DeviceError, ManualClock } from '@sps/core';
import {
  Ina260Adapter,
  Ina260Chip,
  MemoryI2cBus,
  REGISTER,
  type I2cPeripheral,
  type Ina260ChipState,
} from '@sps/device-ina260';
import { num, rejectionOf, startRig } from './helpers';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function expectReadingsMatch(values: Record<string, unknown>, s: Ina260ChipState): void {
  expect(values.pv_voltage).toBeCloseTo(s.voltageV, 5);
  expect(values.pv_current).toBeCloseTo(s.currentA, 5);
  expect(values.pv_power).toBeCloseTo(s.powerW, 2);
}

describe('Ina260Adapter on an in-memory I2C bus', () => {
  it('connects, checks the chip and describes a PV sensor', async () => {
    const { adapter, availability } = await startRig();
    const d = adapter.describe();
    expect(d.info).toEqual({
      manufacturer: 'Texas Instruments',
      model: 'INA260',
      serial: 'memory-test@0x40',
      hardware: 'die 0x2270 (revision 0)',
    });
    expect(d.capabilities.commands).toEqual([]);
    expect(d.capabilities.minPollIntervalMs).toBe(500);
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('pv_power')).toMatchObject({ unit: 'W', deviceClass: 'power', stateClass: 'measurement' });
    expect(byKey.get('pv_energy')).toMatchObject({ unit: 'Wh', deviceClass: 'energy', stateClass: 'total_increasing' });
    expect(byKey.get('pv_voltage')).toMatchObject({ unit: 'V', deviceClass: 'voltage' });
    expect(byKey.get('pv_current')).toMatchObject({ unit: 'A', deviceClass: 'current' });
    expect(d.entities.every((e) => e.command === undefined)).toBe(true);
    expect(availability.map((a) => a.available)).toEqual([true]);
  });

  it('readings equal the chip through a simulated day, and pv_energy follows the panel', async () => {
    const { adapter, chip, clock } = await startRig({ start: '2026-01-15T00:00:00Z' });
    const startEnergy = chip.state.energyWh;
    let maxPower = 0;
    for (let minute = 0; minute < 24 * 60; minute += 1) {
      const r = await adapter.read();
      expect(r.timestamp).toBe(clock.now());
      expectReadingsMatch(r.values, chip.state);
      expect(num(r, 'pv_power')).toBeGreaterThanOrEqual(0);
      maxPower = Math.max(maxPower, num(r, 'pv_power'));
      await clock.advance(MINUTE);
    }
    const last = await adapter.read();
    const panelWh = chip.state.energyWh - startEnergy;
    // A sunny-ish day on a 200 W panel; readings at night are 0 and at noon near the peak.
    expect(panelWh).toBeGreaterThan(500);
    expect(maxPower).toBeGreaterThan(120);
    // Minute samples of a noisy signal against the panel's 5 s integral: within 2 %.
    expect(Math.abs(num(last, 'pv_energy') - panelWh) / panelWh).toBeLessThan(0.02);
  });

  it('pv_energy never decreases and does not bridge an outage', async () => {
    const { adapter, clock, bus } = await startRig();
    const first = await adapter.read();
    await clock.advance(10_000);
    const second = await adapter.read();
    expect(num(second, 'pv_energy')).toBeGreaterThan(num(first, 'pv_energy'));
    bus.detach(0x40);
    await expect(adapter.read()).rejects.toThrow(DeviceError);
    await clock.advance(HOUR);
    bus.attach(0x40, new Ina260Chip({ clock }));
    const afterOutage = await adapter.read();
    // The hour without readings adds nothing; the next stretch starts fresh.
    expect(num(afterOutage, 'pv_energy')).toBe(num(second, 'pv_energy'));
    await clock.advance(10_000);
    expect(num(await adapter.read(), 'pv_energy')).toBeGreaterThan(num(second, 'pv_energy'));
  });

  it('continues from a restored energy total', async () => {
    const { adapter } = await startRig({ adapter: { initialEnergyWh: 1234.5 } });
    expect(num(await adapter.read(), 'pv_energy')).toBe(1234.5);
    expect(adapter.energyWh).toBe(1234.5);
  });

  it('writes the configured averaging once, in continuous mode, and not again on reconnect', async () => {
    const { adapter, chip, bus } = await startRig({ connection: { averaging: 64 } });
    expect(chip.state.config).toMatchObject({ averaging: 64, mode: 'both_continuous', word: 0x6727 });
    expect(chip.configWrites).toBe(1);
    expect(num(await adapter.read(), 'averaging')).toBe(64);
    await adapter.close();
    await adapter.connect();
    await adapter.read();
    expect(chip.configWrites).toBe(1);
    expect(bus.writes).toBe(1);
  });

  it('leaves the averaging alone when none is configured', async () => {
    const clock = new ManualClock();
    const chip = new Ina260Chip({ clock });
    chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x6f, 0x27)); // AVG 1024 set by someone else
    const adapter = new Ina260Adapter({
      id: 'pv',
      clock,
      bus: new MemoryI2cBus().attach(0x40, chip),
      connection: { bus: 'memory' },
    });
    await adapter.connect();
    expect(chip.configWrites).toBe(1);
    expect(num(await adapter.read(), 'averaging')).toBe(1024);
    // 1024 × (1.1 + 1.1) ms per fresh reading: polling faster is pointless.
    expect(adapter.describe().capabilities.minPollIntervalMs).toBe(2253);
  });

  it('configures the chip again after it lost power', async () => {
    const { adapter, chip } = await startRig({ connection: { averaging: 16 } });
    chip.powerCycle();
    expect(chip.state.config.averaging).toBe(1);
    const r = await adapter.read();
    expect(num(r, 'averaging')).toBe(16);
    expect(chip.state.config.averaging).toBe(16);
    expect(chip.configWrites).toBe(2);
  });

  it('restarts a chip left in power-down mode', async () => {
    const clock = new ManualClock('2026-01-15T12:00:00Z');
    const chip = new Ina260Chip({ clock });
    chip.writeRegister(REGISTER.CONFIGURATION, Uint8Array.of(0x61, 0x20)); // MODE 000: power-down
    const adapter = new Ina260Adapter({
      id: 'pv',
      clock,
      bus: new MemoryI2cBus().attach(0x40, chip),
      connection: { bus: 'memory' },
    });
    await adapter.connect();
    expect(chip.state.config.mode).toBe('both_continuous');
    await clock.advance(MINUTE);
    expectReadingsMatch((await adapter.read()).values, chip.state);
  });

  it('reports a reversed sensor as negative current and positive power', async () => {
    const { adapter, chip } = await startRig();
    chip.setOverride({ voltageV: 18.5, currentA: -4.2 });
    const r = await adapter.read();
    expect(r.values).toMatchObject({ pv_voltage: 18.5, pv_current: -4.2, pv_power: 77.7 });
  });

  it('refuses commands: it is a sensor', async () => {
    const { adapter } = await startRig();
    const err = await rejectionOf(adapter.execute({ type: 'set_relay', on: true }));
    expect(err).toMatchObject({ kind: 'unsupported' });
    expect((err as DeviceError).message).toMatch(/sensor/);
    const bad = await rejectionOf(adapter.execute({ type: 'set_backup_reserve', percent: 300 }));
    expect(bad).toMatchObject({ kind: 'rejected' });
    expect((bad as DeviceError).message).toMatch(/^percent:/);
  });

  it('says not connected before connect() and after close()', async () => {
    const { adapter } = await startRig({ connect: false });
    expect(() => adapter.describe()).toThrow(/connect/);
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
    await adapter.connect();
    await adapter.close();
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
  });
});

describe('Ina260Adapter when things go wrong', () => {
  it('a different chip at the address is unsupported, with the reason in the availability event', async () => {
    const { adapter, availability } = await startRig({
      chip: { identity: { manufacturerId: 0x5449, dieId: 0x2260 } },
      connect: false,
    });
    const err = await rejectionOf(adapter.connect());
    expect(err).toMatchObject({ kind: 'unsupported' });
    expect((err as DeviceError).message).toMatch(/INA226, not an INA260/);
    expect(availability).toEqual([
      expect.objectContaining({ available: false, reason: expect.stringMatching(/^unsupported: .*INA226/) }),
    ]);
  });

  it('nothing at the address: connection refused, naming the address and bus', async () => {
    const { adapter } = await startRig({ connection: { address: '0x45' }, connect: false });
    const err = await rejectionOf(adapter.connect());
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as DeviceError).message).toMatch(/no device acknowledges address 0x45 on memory-test/);
  });

  it('a vanished sensor becomes unavailable with a reason and recovers when it answers again', async () => {
    const { adapter, bus, chip, clock, availability } = await startRig();
    await adapter.read();
    bus.detach(0x40);
    const err = await rejectionOf(adapter.read());
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect(availability.at(-1)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^connection refused: no device acknowledges address 0x40/),
      since: clock.now(),
    });
    await expect(adapter.read()).rejects.toThrow(DeviceError);
    expect(availability).toHaveLength(2); // one event per change, not per failed poll
    await clock.advance(MINUTE);
    bus.attach(0x40, chip);
    expectReadingsMatch((await adapter.read()).values, chip.state);
    expect(availability.map((a) => a.available)).toEqual([true, false, true]);
  });

  it('after an outage the identity is checked again: a swapped chip is refused', async () => {
    const { adapter, bus, clock } = await startRig();
    bus.detach(0x40);
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_refused' });
    bus.attach(0x40, new Ina260Chip({ clock, identity: { manufacturerId: 0x5449, dieId: 0x3220 } }));
    await expect(adapter.read()).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringMatching(/INA3221/),
    });
  });

  it('a bus error is connection_lost and a kernel timeout is timeout', async () => {
    const { adapter, bus } = await startRig();
    bus.injectFault({ kind: 'bus_error' }, { times: 1 });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    bus.injectFault({ kind: 'timeout' }, { times: 1 });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'timeout' });
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('a transfer that never completes times out on the clock', async () => {
    const { adapter, bus, clock, availability } = await startRig({ connection: { timeout_ms: 750 } });
    bus.injectFault({ kind: 'hang' }, { times: 1 });
    const pending = rejectionOf(adapter.read());
    await clock.advance(0); // lets the poll reach the bus and start its timer
    await clock.advance(750);
    const err = await pending;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect((err as DeviceError).message).toMatch(/no answer within 750 ms reading register 0x/);
    expect(availability.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^timeout: /) });
    await expect(adapter.read()).resolves.toBeDefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a short read is a bad response', async () => {
    const { adapter, bus } = await startRig();
    bus.injectFault({ kind: 'short' }, { times: 1, register: REGISTER.BUS_VOLTAGE });
    const err = await rejectionOf(adapter.read());
    expect(err).toMatchObject({ kind: 'bad_response' });
    expect((err as DeviceError).message).toMatch(/register 0x02 .*expected 2 bytes, got 1/);
  });

  it('one corrupted power word is re-read; corruption that persists is a bad response', async () => {
    const { adapter, bus, chip } = await startRig();
    bus.injectFault({ kind: 'flip', mask: 0x4000 }, { times: 1, register: REGISTER.POWER });
    expectReadingsMatch((await adapter.read()).values, chip.state);
    bus.injectFault({ kind: 'flip', mask: 0x4000 }, { register: REGISTER.POWER });
    const err = await rejectionOf(adapter.read());
    expect(err).toMatchObject({ kind: 'bad_response' });
    expect((err as DeviceError).message).toMatch(/power register .* disagrees with .*twice/);
    bus.clearFaults();
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('a voltage word with bit 15 set is a bad response', async () => {
    const { adapter, bus } = await startRig();
    bus.injectFault({ kind: 'flip', mask: 0x8000 }, { times: 1, register: REGISTER.BUS_VOLTAGE });
    await expect(adapter.read()).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/bit 15/),
    });
  });

  it('a chip that ignores the configuration write is rejected', async () => {
    const clock = new ManualClock();
    const chip = new Ina260Chip({ clock });
    const deaf: I2cPeripheral = {
      readRegister: (register, length) => chip.readRegister(register, length),
      writeRegister: () => undefined,
    };
    const adapter = new Ina260Adapter({
      id: 'pv',
      clock,
      bus: new MemoryI2cBus('deaf').attach(0x40, deaf),
      connection: { bus: 'memory', averaging: 4 },
    });
    await expect(adapter.connect()).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/configuration register reads 0x6127 after writing 0x6327/),
    });
  });

  it('random answers from the bus never crash the adapter: readings or a DeviceError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        async (answers) => {
          let n = 0;
          const chip = new Ina260Chip({ clock: new ManualClock() });
          const garbage: I2cPeripheral = {
            // The identity answers truthfully so the poll gets as far as the measurements.
            readRegister: (register, length) =>
              register >= 0xfe ? chip.readRegister(register, length) : (answers[n++ % answers.length] as Uint8Array),
            writeRegister: () => undefined,
          };
          const adapter = new Ina260Adapter({
            id: 'pv',
            bus: new MemoryI2cBus().attach(0x40, garbage),
            connection: { bus: 'memory' },
            clock: new ManualClock(),
          });
          try {
            await adapter.connect();
            const r = await adapter.read();
            return Object.values(r.values).every((v) => typeof v === 'number' && Number.isFinite(v));
          } catch (err) {
            return err instanceof DeviceError;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
