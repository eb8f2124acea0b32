import type { DeviceError } from '@sps/core';
import { type Availability } from '@sps/core';
import { ModbusExceptionError, SigenergyAdapter, SigenergyModbusClient } from '@sps/device-sigenergy';
import { num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

function watchAvailability(adapter: SigenergyAdapter): Availability[] {
  const seen: Availability[] = [];
  adapter.events.on('availability', (a) => seen.push(a));
  return seen;
}

describe('faults: reported as DeviceError, and the adapter recovers', () => {
  it('a hung reply times out; prompt answers bring the plant back', async () => {
    const { adapter, sim } = await startRig({ connection: { timeout_ms: 300 } });
    const seen = watchAvailability(adapter);
    sim.setFaults({ responseDelayMs: 1500 });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'timeout' });
    expect(seen.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^timeout: /) });
    sim.setFaults({ responseDelayMs: 0 });
    expect(num(await adapter.read(), 'battery_soc')).toBeCloseTo(sim.state.socPct, 1);
    expect(seen.at(-1)).toMatchObject({ available: true });
  });

  it('dropped connections give connection_lost, then recover', async () => {
    const { adapter, sim } = await startRig();
    sim.setFaults({ dropConnections: true });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    sim.setFaults({ dropConnections: false });
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('connect() to a port nobody listens on is connection_refused', async () => {
    const { port, sim } = await startRig();
    await sim.stop();
    const adapter = new SigenergyAdapter({ id: 'nobody', connection: { host: '127.0.0.1', port, timeout_ms: 500 } });
    await expect(adapter.connect()).rejects.toMatchObject({ kind: 'connection_refused' });
    await adapter.close();
  });

  it('a wrong inverter unit id fails connect() with the unit named (gateway exception 11)', async () => {
    const { port } = await startRig();
    const adapter = new SigenergyAdapter({
      id: 'wrong',
      connection: { host: '127.0.0.1', port, inverter_unit_id: 5, timeout_ms: 500 },
    });
    const err = (await adapter.connect().catch((e: unknown) => e)) as DeviceError;
    expect(err).toMatchObject({ exceptionCode: 11, message: expect.stringContaining('unit 5') });
    await adapter.close();
  });

  it.each([5, 6, 10, 11])('Modbus exception %i is busy: transient, and the plant stays available', async (code) => {
    const { adapter, sim } = await startRig();
    const seen = watchAvailability(adapter);
    sim.setFaults({ writeException: code });
    const err = (await adapter
      .execute({ type: 'force_charge', power_w: 1000 })
      .catch((e: unknown) => e)) as DeviceError;
    expect(err).toBeInstanceOf(ModbusExceptionError);
    expect(err).toMatchObject({ kind: 'busy', exceptionCode: code, isRefusal: false, deviceAnswered: true });
    sim.setFaults({ writeException: null, readException: code });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'busy' });
    expect(seen.filter((a) => !a.available)).toEqual([]);
    sim.setFaults({ readException: null });
    await expect(adapter.execute({ type: 'force_charge', power_w: 1000 })).resolves.toMatchObject({ writes: 3 });
  });

  it.each([1, 2, 3, 4])('Modbus exception %i is a refusal that can never succeed', async (code) => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'force_charge', power_w: 1000 });
    sim.setFaults({ writeException: code });
    const refusal = (await adapter.execute({ type: 'restore_normal' }).catch((e: unknown) => e)) as DeviceError;
    expect(refusal).toBeInstanceOf(ModbusExceptionError);
    expect(refusal).toMatchObject({ kind: 'rejected', exceptionCode: code, isRefusal: true });
  });

  it('a firmware without 40046 answers set_backup_reserve as unsupported', async () => {
    const { adapter, sim } = await startRig({ sim: { firmware: { withoutBackupSoc: true } } });
    const r = await adapter.read();
    expect(r.values).not.toHaveProperty('backup_reserve');
    expect(num(r, 'battery_soc')).toBeGreaterThan(0);
    const writes = sim.writeCount;
    await expect(adapter.execute({ type: 'set_backup_reserve', percent: 20 })).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringContaining('40046'),
    });
    expect(sim.writeCount).toBe(writes);
  });

  it('two commands at once run one after the other: the last one asked wins', async () => {
    const { adapter, sim } = await startRig();
    const [forced, restored] = await Promise.all([
      adapter.execute({ type: 'force_discharge', power_w: 3000 }),
      adapter.execute({ type: 'restore_normal' }),
    ]);
    expect(forced.writes).toBe(3);
    expect(restored.writes).toBe(1);
    expect(sim.holdingRegisters.get(40029)).toBe(0);
    expect(sim.appliedWrites.map((w) => w.register)).toEqual([40034, 40031, 40029, 40029]);
  });
});

describe('hand-back: a restore cut short still leaves the plant in its own mode', () => {
  it('the link is cut right after the restore: the plant is already out of remote EMS', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T02:00:00Z', connection: { timeout_ms: 300 } });
    await adapter.execute({ type: 'force_charge', power_w: 3000 });
    expect(num(await adapter.read(), 'battery_power')).toBe(-3000);
    sim.setFaults({ cutAfterWrites: 1 }); // the restore's write lands, nothing after it does
    await adapter.execute({ type: 'restore_normal' }).catch(() => undefined);
    expect(sim.holdingRegisters.get(40029)).toBe(0);
    await clock.advance(60_000);
    // Not charging from the grid any more: the plant follows the house (night: discharging or idle).
    expect(sim.state.batteryPowerW).toBeGreaterThanOrEqual(0);
    sim.setFaults({ cutAfterWrites: null });
    await expect(adapter.execute({ type: 'restore_normal' })).resolves.toMatchObject({ writes: 0 });
  });
});

describe('the PV-reads-0 firmware quirk', () => {
  it('is detected, pv_power comes from the inverters, and one notice each way is given', async () => {
    const { adapter, sim, notices } = await startRig({ start: '2026-01-15T12:00:00Z' });
    const normal = await adapter.read();
    expect(normal.values).toMatchObject({ firmware_quirk: 'none', pv_power_source: 'plant' });
    sim.setFirmware({ plantPvReadsZero: true });
    const quirky = await adapter.read();
    const pv = sim.state.pvPowerW;
    expect(pv).toBeGreaterThan(1000);
    expect(quirky.values).toMatchObject({
      firmware_quirk: 'plant_pv_reads_zero',
      pv_power_source: 'inverters',
      plant_pv_power: 0,
      pv_power: pv,
      inverter_pv_power: pv,
    });
    await adapter.read();
    expect(notices).toEqual([
      expect.objectContaining({
        level: 'warn',
        code: 'plant_pv_reads_zero',
        details: { plant_pv_power: 0, inverter_pv_power: pv },
      }),
    ]);
    sim.setFirmware({ plantPvReadsZero: false });
    expect((await adapter.read()).values.firmware_quirk).toBe('none');
    expect(notices.map((n) => n.code)).toEqual(['plant_pv_reads_zero', 'plant_pv_reads_zero_cleared']);
  });

  it('is not claimed at night, when both read 0', async () => {
    const { adapter, sim, notices } = await startRig({
      start: '2026-01-15T23:00:00Z',
      sim: { firmware: { plantPvReadsZero: true } },
    });
    const r = await adapter.read();
    expect(sim.state.pvPowerW).toBe(0);
    expect(r.values).toMatchObject({ firmware_quirk: 'none', pv_power: 0 });
    expect(notices).toEqual([]);
  });
});

describe('SigenergyModbusClient', () => {
  it('one connection, the unit chosen per request; concurrent requests serialised and all answered', async () => {
    const { port, sim } = await startRig();
    const client = new SigenergyModbusClient({ host: '127.0.0.1', port, timeoutMs: 1000, interMessageDelayMs: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? client.readHoldingRegisters(247, 40029, 3) : client.readInputRegisters(1, 30515, 10),
      ),
    );
    results.forEach((words, i) => {
      if (i % 2 === 0) expect(words).toEqual([0, 0, 2]);
      else
        expect(words).toEqual(
          [...sim.inverterInputRegisters(0).entries()].filter(([r]) => r >= 30515 && r < 30525).map(([, w]) => w),
        );
    });
    const err = await client.readInputRegisters(247, 20000, 4).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', exceptionCode: 2 });
    expect(client.isConnected).toBe(true);
    await client.close();
    await expect(client.readHoldingRegisters(247, 40029, 1)).rejects.toMatchObject({ kind: 'not_connected' });
  });
});
