import ModbusRTU from 'modbus-serial';
import { DeviceError, type Availability } from '@sps/core';
import {
  EMS_MODE_CODE,
  FORCED_COMMAND_CODE,
  HOLDING,
  INPUT,
  ModbusExceptionError,
  SungrowModbusClient,
  SungrowShAdapter,
} from '@sps/device-sungrow';
import { num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

function watchAvailability(adapter: SungrowShAdapter): Availability[] {
  const seen: Availability[] = [];
  adapter.events.on('availability', (a) => seen.push(a));
  return seen;
}

describe('faults: the adapter reports them as DeviceError and recovers', () => {
  it('a slow simulator makes read() time out; it recovers when answers are prompt again', async () => {
    const { adapter, sim } = await startRig({ connection: { timeout_ms: 300 } });
    const seen = watchAvailability(adapter);
    sim.setFaults({ responseDelayMs: 1500 });
    const err = await adapter.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(seen.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^timeout: /) });
    sim.setFaults({ responseDelayMs: 0 });
    const r = await adapter.read();
    expect(num(r, 'battery_soc')).toBeCloseTo(sim.state.socPct, 1);
    expect(seen.at(-1)).toMatchObject({ available: true });
  });

  it('a simulator that drops connections gives connection_lost, then recovers', async () => {
    const { adapter, sim } = await startRig();
    sim.setFaults({ dropConnections: true });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    await expect(adapter.execute({ type: 'restore_normal' })).rejects.toMatchObject({ kind: 'connection_lost' });
    sim.setFaults({ dropConnections: false });
    await expect(adapter.read()).resolves.toMatchObject({
      values: expect.objectContaining({ running_state: 'running' }),
    });
  });

  it('a stopped simulator gives connection_refused; the same adapter reads again once it is back', async () => {
    const { adapter, sim, port } = await startRig();
    const seen = watchAvailability(adapter);
    await sim.stop();
    const err = await adapter.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toMatch(/^connection_(refused|lost)$/);
    expect(seen.at(-1)?.available).toBe(false);
    await sim.start({ port });
    await expect(adapter.read()).resolves.toBeDefined();
    expect(seen.at(-1)?.available).toBe(true);
  });

  it('connect() to a port nobody listens on is connection_refused', async () => {
    const { port, sim } = await startRig();
    await sim.stop();
    const adapter = new SungrowShAdapter({ id: 'nobody', connection: { host: '127.0.0.1', port, timeout_ms: 500 } });
    await expect(adapter.connect()).rejects.toMatchObject({ kind: 'connection_refused' });
    await adapter.close();
  });
});

describe('SungrowModbusClient', () => {
  it('takes doc register numbers and puts doc − 1 on the wire', async () => {
    const { sim, port } = await startRig();
    const client = new SungrowModbusClient({
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 1000,
      interMessageDelayMs: 5,
    });
    const [soc] = await client.readInputRegisters(INPUT.BATTERY_SOC, 1);
    expect(soc).toBe(sim.inputRegisters().get(INPUT.BATTERY_SOC));
    // A plain Modbus client asking for wire address 13022 gets the same word.
    const raw = new ModbusRTU();
    await raw.connectTCP('127.0.0.1', { port });
    raw.setID(1);
    const wire = await raw.readInputRegisters(INPUT.BATTERY_SOC - 1, 1);
    expect(wire.data[0]).toBe(soc);
    await new Promise<void>((resolve) => raw.close(() => resolve()));
    await client.close();
  });

  it('maps exception 02 to ModbusExceptionError (rejected) and keeps the connection', async () => {
    const { port } = await startRig();
    const client = new SungrowModbusClient({
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 1000,
      interMessageDelayMs: 0,
    });
    const err = await client.readInputRegisters(20000, 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusExceptionError);
    expect(err).toMatchObject({ kind: 'rejected', exceptionCode: 2 });
    const bad = await client.writeRegister(13050, 7).catch((e: unknown) => e);
    expect(bad).toMatchObject({ exceptionCode: 3 });
    expect(client.isConnected).toBe(true);
    await expect(client.readHoldingRegisters(13050, 10)).resolves.toHaveLength(10);
    await client.close();
    await expect(client.readHoldingRegisters(13050, 1)).rejects.toMatchObject({ kind: 'not_connected' });
  });

  it('serialises concurrent requests: one in flight at a time, all answered', async () => {
    const { port, sim } = await startRig();
    const client = new SungrowModbusClient({
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 1000,
      interMessageDelayMs: 1,
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.readHoldingRegisters(i % 2 === 0 ? 13050 : 33047, 2)),
    );
    results.forEach((words, i) => {
      const start = i % 2 === 0 ? 13050 : 33047;
      expect(words).toEqual([sim.holdingRegisters.get(start), sim.holdingRegisters.get(start + 1)]);
    });
    await client.close();
  });
});

describe('hand-back safety', () => {
  it('a restore cut off after its first write already leaves the inverter in its own mode', async () => {
    const { adapter, sim, clock } = await startRig({ connection: { timeout_ms: 300 } });
    await adapter.execute({ type: 'force_charge', power_w: 3000 });
    expect(num(await adapter.read(), 'battery_power')).toBe(-3000);
    sim.setFaults({ cutAfterWrites: 1 }); // only the first restore write reaches the registers
    await expect(adapter.execute({ type: 'restore_normal' })).rejects.toBeInstanceOf(DeviceError);
    expect(sim.holdingRegisters.get(HOLDING.EMS_MODE)).toBe(EMS_MODE_CODE.self_consumption);
    // Not charging from the grid any more: the battery follows the house again.
    await clock.advance(60_000);
    expect(sim.state.batteryPowerW).not.toBe(-3000);
    expect(sim.state.gridPowerW).toBeLessThan(3000);
    // The rest of the restore completes on the next attempt.
    sim.setFaults({ cutAfterWrites: null });
    await expect(adapter.execute({ type: 'restore_normal' })).resolves.toMatchObject({ writes: 1 });
    expect(sim.holdingRegisters.get(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.stop);
  });

  it.each([5, 6, 10, 11])('Modbus exception %i is busy: transient, and the device stays available', async (code) => {
    const { adapter, sim } = await startRig();
    const seen = watchAvailability(adapter);
    sim.setFaults({ writeException: code });
    const err = (await adapter
      .execute({ type: 'force_charge', power_w: 1000 })
      .catch((e: unknown) => e)) as DeviceError;
    expect(err).toBeInstanceOf(ModbusExceptionError);
    expect(err).toMatchObject({ kind: 'busy', exceptionCode: code, isRefusal: false, deviceAnswered: true });
    expect(seen.filter((a) => !a.available)).toEqual([]);
    sim.setFaults({ writeException: null });
    await expect(adapter.execute({ type: 'force_charge', power_w: 1000 })).resolves.toMatchObject({ writes: 3 });
  });

  it.each([1, 2, 3, 4])('Modbus exception %i is a refusal that can never succeed', async (code) => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'force_charge', power_w: 1000 }); // so the restore has writes to refuse
    sim.setFaults({ writeException: code });
    const refusal = (await adapter.execute({ type: 'restore_normal' }).catch((e: unknown) => e)) as DeviceError;
    expect(refusal).toBeInstanceOf(ModbusExceptionError);
    expect(refusal).toMatchObject({ kind: 'rejected', exceptionCode: code, isRefusal: true });
  });
});
