import { DeviceError, type ReadingSet } from '@sps/core';
import { HOLDING, type SungrowPhysicalState } from '@sps/device-sungrow';
import { num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

const HOUR = 3_600_000;

/** Every reading against the simulator's physical state, within the register's resolution. */
function expectReadingsMatch(readings: ReadingSet, s: SungrowPhysicalState): void {
  const close = (key: string, expected: number, tolerance: number): void => {
    const actual = num(readings, key);
    if (Math.abs(actual - expected) > tolerance) {
      throw new Error(`${key}: read ${actual}, simulator has ${expected} (±${tolerance})`);
    }
  };
  close('battery_soc', s.socPct, 0.051);
  close('battery_soh', s.sohPct, 0.05);
  close('battery_power', s.batteryPowerW, 0);
  close('battery_voltage', s.batteryVoltageV, 0.051);
  close('battery_current', s.batteryCurrentA, 0.051);
  close('battery_temperature', s.batteryTemperatureC, 0.051);
  close('inverter_temperature', s.inverterTemperatureC, 0.051);
  close('pv_power', s.pvPowerW, 0);
  close('load_power', s.loadPowerW, 0);
  close('grid_power', s.gridPowerW, 0);
  close('export_power', -s.gridPowerW, 0);
  close('battery_capacity', s.capacityWh, 0);
  // Counters are 0.1 kWh registers: at most 100 Wh behind.
  const counters = [
    ['pv_energy', 'pvWh'],
    ['grid_import_energy', 'gridImportWh'],
    ['grid_export_energy', 'gridExportWh'],
    ['battery_charge_energy', 'batteryChargeWh'],
    ['battery_discharge_energy', 'batteryDischargeWh'],
    ['inverter_output_energy', 'inverterOutputWh'],
  ] as const;
  for (const [key, field] of counters) {
    close(key, s.total[field] - 50, 50);
    close(`${key}_today`, s.today[field] - 50, 50);
  }
  // Derived from five truncated counters.
  close('load_energy', s.total.loadWh, 300);
  close('load_energy_today', s.today.loadWh, 300);
}

describe('SungrowShAdapter against the simulator over Modbus TCP', () => {
  it('connects and describes the inverter', async () => {
    const { adapter } = await startRig({ sim: { deviceTypeCode: 0x0e02, serial: 'TEST123456' } });
    const d = adapter.describe();
    expect(d.info).toMatchObject({ manufacturer: 'Sungrow', model: 'SH8.0RT', serial: 'TEST123456' });
    expect(d.info.firmware).toContain('SIM-ARM');
    expect(d.capabilities.limits).toMatchObject({ maxChargeW: 10000, maxDischargeW: 10000, maxExportW: 10000 });
    expect(d.capabilities.commands).toContain('force_charge');
    expect(d.capabilities.commands).not.toContain('set_relay');
    expect(d.capabilities.minPollIntervalMs).toBe(1000);
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('pv_energy')).toMatchObject({ unit: 'Wh', deviceClass: 'energy', stateClass: 'total_increasing' });
    expect(byKey.get('load_energy_today')).toMatchObject({ unit: 'Wh', stateClass: 'total_increasing' });
    expect(byKey.get('backup_reserve')).toMatchObject({
      platform: 'number',
      min: 0,
      max: 100,
      command: { command: 'set_backup_reserve', field: 'percent' },
    });
    expect(byKey.get('max_charge_power')).toMatchObject({ platform: 'number', max: 10000, step: 10 });
    expect(byKey.get('ems_mode')).toMatchObject({ platform: 'select', options: ['self_consumption', 'forced'] });
    expect(byKey.get('restore_normal')).toMatchObject({ platform: 'button', command: { command: 'restore_normal' } });
  });

  it('every reading matches the physical state through a simulated day', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T00:00:00Z' });
    for (let hour = 0; hour < 24; hour += 3) {
      const readings = await adapter.read();
      expect(readings.timestamp).toBe(clock.now());
      expectReadingsMatch(readings, sim.state);
      await clock.advance(3 * HOUR);
    }
    // The day really happened: PV was produced and the battery both charged and discharged.
    expect(sim.state.total.pvWh).toBeGreaterThan(10_000);
    expect(sim.state.total.batteryChargeWh).toBeGreaterThan(0);
    expect(sim.state.total.batteryDischargeWh).toBeGreaterThan(0);
  });

  it('reports the control states held in the holding registers', async () => {
    const { adapter, sim } = await startRig();
    sim.setHoldingRegister(HOLDING.MIN_SOC, 155);
    sim.setHoldingRegister(HOLDING.MAX_CHARGE_POWER, 420);
    const r = await adapter.read();
    expect(r.values).toMatchObject({
      ems_mode: 'self_consumption',
      forced_command: 'stop',
      backup_reserve: 15.5,
      max_charge_power: 4200,
      max_discharge_power: 10000,
      export_limit: 10000,
      export_limit_enabled: false,
    });
  });

  it.each(['signed', 'unsigned'] as const)('decodes battery power right with %s 13022 firmware', async (sign) => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T12:00:00Z', sim: { batteryPowerSign: sign } });
    await adapter.execute({ type: 'force_discharge', power_w: 2500 });
    let r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(2500);
    expect(num(r, 'battery_current')).toBeGreaterThan(0);
    expectReadingsMatch(r, sim.state);
    await adapter.execute({ type: 'force_charge', power_w: 1800 });
    await clock.advance(60_000);
    r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(-1800);
    expect(num(r, 'battery_current')).toBeLessThan(0);
    expectReadingsMatch(r, sim.state);
    // The raw register really differs between the firmware generations.
    expect(sim.inputRegisters().get(13022)).toBe(1800);
    await adapter.execute({ type: 'force_discharge', power_w: 1800 });
    expect(sim.inputRegisters().get(13022)).toBe(sign === 'signed' ? 0x10000 - 1800 : 1800);
  });

  it('through a WiNet-S: missing blocks leave their readings absent, the poll still succeeds', async () => {
    const { adapter, sim } = await startRig({ sim: { transport: 'winet' }, connection: { transport: 'winet' } });
    const d = adapter.describe();
    expect(d.capabilities.minPollIntervalMs).toBe(10_000);
    expect(d.info.firmware).toBeUndefined();
    const r = await adapter.read();
    expect(r.values).not.toHaveProperty('bms_max_charge_current');
    expect(r.values).not.toHaveProperty('bms_max_discharge_current');
    // Grid power falls back to the inverter's own export figure.
    expect(num(r, 'grid_power')).toBe(sim.state.gridPowerW);
    expectReadingsMatch(r, sim.state);
    // A second poll skips the blocks it already knows are missing and still works.
    const before = sim.requestCount;
    await adapter.read();
    expect(sim.requestCount - before).toBe(5);
  });

  it('a LAN-configured adapter also copes with a WiNet-S that lacks registers', async () => {
    const { adapter, sim } = await startRig({ sim: { transport: 'winet' } });
    const r = await adapter.read();
    expectReadingsMatch(r, sim.state);
    expect(r.values).not.toHaveProperty('bms_max_charge_current');
  });
});

describe('commands change the holding registers as the vendor map says', () => {
  it('force_charge: 13050←2, 13051←0xAA, 13052←W; repeating costs no writes', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T02:00:00Z' });
    const socBefore = sim.state.socPct;
    const outcome = await adapter.execute({ type: 'force_charge', power_w: 3000 });
    expect(outcome.writes).toBe(3);
    expect(outcome.applied).toMatchObject({ power_w: 3000 });
    const h = sim.holdingRegisters;
    expect([h.get(13050), h.get(13051), h.get(13052)]).toEqual([2, 0xaa, 3000]);
    const writes = sim.writeCount;
    expect((await adapter.execute({ type: 'force_charge', power_w: 3000 })).writes).toBe(0);
    expect(sim.writeCount).toBe(writes);
    // Only the power changes: one write.
    expect((await adapter.execute({ type: 'force_charge', power_w: 2000 })).writes).toBe(1);
    // The battery follows: charging at 2 kW at night means importing, and SOC rises.
    await clock.advance(HOUR);
    const r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(-2000);
    expect(num(r, 'grid_power')).toBeGreaterThan(2000);
    expect(sim.state.socPct).toBeCloseTo(socBefore + (2000 * 0.96 * 100) / 9600, 0);
  });

  it('force_discharge and restore_normal (13051←0xCC, 13050←0)', async () => {
    const { adapter, sim } = await startRig();
    expect((await adapter.execute({ type: 'force_discharge', power_w: 4000 })).writes).toBe(3);
    expect([sim.holdingRegisters.get(13050), sim.holdingRegisters.get(13051)]).toEqual([2, 0xbb]);
    expect(num(await adapter.read(), 'battery_power')).toBe(4000);
    const restore = await adapter.execute({ type: 'restore_normal' });
    expect(restore.writes).toBe(2);
    expect([sim.holdingRegisters.get(13050), sim.holdingRegisters.get(13051)]).toEqual([0, 0xcc]);
    expect((await adapter.execute({ type: 'restore_normal' })).writes).toBe(0);
    expect((await adapter.read()).values.ems_mode).toBe('self_consumption');
  });

  it('set_backup_reserve writes 13059 in 0.1 % and the battery stops at it', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T20:00:00Z' });
    const outcome = await adapter.execute({ type: 'set_backup_reserve', percent: 42.5 });
    expect(outcome).toMatchObject({ writes: 1, applied: { percent: 42.5 } });
    expect(sim.holdingRegisters.get(13059)).toBe(425);
    expect((await adapter.execute({ type: 'set_backup_reserve', percent: 42.5 })).writes).toBe(0);
    await adapter.execute({ type: 'force_discharge', power_w: 5000 });
    await clock.advance(2 * HOUR);
    const r = await adapter.read();
    expect(num(r, 'battery_soc')).toBeCloseTo(42.5, 0);
    expect(num(r, 'battery_power')).toBe(0);
    expect(r.values.backup_reserve).toBe(42.5);
  });

  it('set_charge_limit / set_discharge_limit write 33047 / 33048 in 10 W and limit the battery', async () => {
    const { adapter, sim } = await startRig({ start: '2026-01-15T02:00:00Z' });
    expect((await adapter.execute({ type: 'set_charge_limit', power_w: 2504 })).applied).toEqual({ power_w: 2500 });
    expect(sim.holdingRegisters.get(33047)).toBe(250);
    expect((await adapter.execute({ type: 'set_discharge_limit', power_w: 1200 })).writes).toBe(1);
    expect(sim.holdingRegisters.get(33048)).toBe(120);
    expect((await adapter.execute({ type: 'set_discharge_limit', power_w: 1200 })).writes).toBe(0);
    await adapter.execute({ type: 'force_charge', power_w: 6000 });
    expect(num(await adapter.read(), 'battery_power')).toBe(-2500);
    await adapter.execute({ type: 'force_discharge', power_w: 6000 });
    const r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(1200);
    expect(r.values.max_discharge_power).toBe(1200);
  });

  it('set_export_limit writes 13074 (W) and enables 13087, and export is held to it', async () => {
    const { adapter, sim } = await startRig({ start: '2026-01-15T12:00:00Z' });
    const outcome = await adapter.execute({ type: 'set_export_limit', power_w: 1000 });
    expect(outcome.writes).toBe(2);
    expect([sim.holdingRegisters.get(13074), sim.holdingRegisters.get(13087)]).toEqual([1000, 0xaa]);
    expect((await adapter.execute({ type: 'set_export_limit', power_w: 1000 })).writes).toBe(0);
    // Forced discharge at noon would export a lot; the limit curtails PV instead.
    await adapter.execute({ type: 'force_discharge', power_w: 5000 });
    const r = await adapter.read();
    expect(num(r, 'export_power')).toBeLessThanOrEqual(1000);
    expect(sim.state.curtailedPvW).toBeGreaterThan(0);
    expect(r.values.export_limit_enabled).toBe(true);
  });

  it('set_operating_mode selects the EMS mode (13050)', async () => {
    const { adapter, sim } = await startRig();
    expect((await adapter.execute({ type: 'set_operating_mode', mode: 'forced' })).writes).toBe(1);
    expect(sim.holdingRegisters.get(13050)).toBe(2);
    expect((await adapter.execute({ type: 'set_operating_mode', mode: 'self_consumption' })).writes).toBe(1);
    expect(sim.holdingRegisters.get(13050)).toBe(0);
    await expect(adapter.execute({ type: 'set_operating_mode', mode: 'vpp' })).rejects.toMatchObject({
      kind: 'unsupported',
    });
  });

  it('refuses what the inverter cannot do, without writing', async () => {
    const { adapter, sim } = await startRig();
    const writes = sim.writeCount;
    await expect(adapter.execute({ type: 'force_charge', power_w: 15000 })).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('power_w'),
    });
    await expect(adapter.execute({ type: 'set_relay', on: true })).rejects.toBeInstanceOf(DeviceError);
    await expect(adapter.execute({ type: 'set_backup_reserve', percent: 150 } as never)).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('percent'),
    });
    expect(sim.writeCount).toBe(writes);
  });

  it('reads and commands before connect() fail with not_connected', async () => {
    const { adapter } = await startRig();
    await adapter.close();
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
    await expect(adapter.execute({ type: 'restore_normal' })).rejects.toMatchObject({ kind: 'not_connected' });
    await adapter.connect();
    await expect(adapter.read()).resolves.toBeDefined();
  });
});
