import { DeviceError, type ReadingSet } from '@sps/core';
import { PLANT_HOLDING, type SigenergyPhysicalState } from '@sps/device-sigenergy';
import { num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

const HOUR = 3_600_000;
const H = PLANT_HOLDING;

/** Every reading against the simulator's physical state, within the register's resolution. */
function expectReadingsMatch(r: ReadingSet, s: SigenergyPhysicalState): void {
  const close = (key: string, expected: number, tolerance: number): void => {
    const actual = num(r, key);
    if (Math.abs(actual - expected) > tolerance) {
      throw new Error(`${key}: read ${actual}, simulator has ${expected} (±${tolerance})`);
    }
  };
  close('battery_soc', s.socPct, 0.051);
  close('battery_soh', s.sohPct, 0.05);
  close('battery_power', s.batteryPowerW, 0);
  close('pv_power', s.pvPowerW, 0);
  close('load_power', s.loadPowerW, 0);
  close('grid_power', s.gridPowerW, 0);
  close('battery_capacity', s.capacityWh, 0);
  close('battery_temperature', s.cellTemperatureC, 0.051);
  // Counters are 0.01 kWh registers: at most 10 Wh behind.
  const counters = [
    ['pv_energy', 'pvWh'],
    ['grid_import_energy', 'gridImportWh'],
    ['grid_export_energy', 'gridExportWh'],
    ['battery_charge_energy', 'batteryChargeWh'],
    ['battery_discharge_energy', 'batteryDischargeWh'],
    ['load_energy', 'loadWh'],
  ] as const;
  for (const [key, field] of counters) close(key, s.total[field] - 5, 5);
  close('load_energy_today', s.loadTodayWh - 5, 5);
}

describe('SigenergyAdapter against the simulator over Modbus TCP (plant unit 247 + inverter unit 1)', () => {
  it('connects, reads the inverter identity and the plant ratings', async () => {
    const { adapter } = await startRig();
    const d = adapter.describe();
    expect(d.info).toMatchObject({
      manufacturer: 'Sigenergy',
      model: 'SigenStor EC 10.0 TP',
      serial: 'SIMSIG0001',
      firmware: 'V100R001C22SPC112',
      hardware: 'plant unit 247, inverter unit 1',
    });
    expect(d.capabilities.limits).toEqual({
      maxChargeW: 8000,
      maxDischargeW: 8000,
      maxExportW: 10_000,
      minBackupReservePct: 0,
      maxBackupReservePct: 100,
      capacityWh: 16_000,
    });
    expect(d.capabilities.commands).toContain('force_charge');
    expect(d.capabilities.commands).not.toContain('set_relay');
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('pv_energy')).toMatchObject({ unit: 'Wh', deviceClass: 'energy', stateClass: 'total_increasing' });
    expect(byKey.get('battery_power')).toMatchObject({ unit: 'W', deviceClass: 'power' });
    expect(byKey.get('ems_mode')).toMatchObject({ platform: 'select', command: { command: 'set_operating_mode' } });
    expect(byKey.get('firmware_quirk')).toMatchObject({ options: ['none', 'plant_pv_reads_zero'] });
    for (const e of d.entities) expect(e.name).not.toBe('');
  });

  it('several inverters at consecutive unit ids: each identity read, PV summed', async () => {
    const { adapter, sim } = await startRig({
      sim: { firstInverterUnitId: 2, inverterCount: 2 },
      connection: { inverter_unit_id: 2, inverter_count: 2 },
    });
    expect(adapter.inverterIdentities.map((i) => [i.unitId, i.serial])).toEqual([
      [2, 'SIMSIG0001'],
      [3, 'SIMSIG0002'],
    ]);
    expect(adapter.describe().info).toMatchObject({
      model: 'SigenStor EC 10.0 TP ×2',
      hardware: 'plant unit 247, inverter units 2,3',
    });
    const r = await adapter.read();
    expect(num(r, 'inverter_pv_power')).toBe(sim.state.pvPowerW);
    expect(r.values.pv_power_source).toBe('plant');
  });

  it('every reading matches the physical state through a simulated day, in project signs', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T00:00:00Z' });
    let sawCharge = false;
    let sawDischarge = false;
    let sawExport = false;
    for (let hour = 0; hour < 24; hour += 2) {
      const r = await adapter.read();
      expect(r.timestamp).toBe(clock.now());
      const s = sim.state;
      expectReadingsMatch(r, s);
      // The wire says ESS > 0 charging; ours says > 0 discharging.
      const ess = sim.plantInputRegisters();
      const wireEss = (ess.get(30037)! << 16) | ess.get(30038)! | 0;
      expect(num(r, 'battery_power')).toBe(0 - wireEss);
      if (num(r, 'battery_power') < 0) sawCharge = true;
      if (num(r, 'battery_power') > 0) sawDischarge = true;
      if (num(r, 'grid_power') < 0) sawExport = true;
      await clock.advance(2 * HOUR);
    }
    expect(sawCharge && sawDischarge).toBe(true);
    expect(sawExport || sim.state.total.gridExportWh > 0).toBe(true);
  });

  it('reports the running state, the work mode and the remote EMS settings', async () => {
    const { adapter } = await startRig();
    const r = await adapter.read();
    expect(r.values).toMatchObject({
      running_state: 'running',
      ems_work_mode: 'max_self_consumption',
      grid_state: 'on_grid',
      remote_ems_enabled: false,
      ems_mode: 'self_consumption',
      max_charge_power: 8000,
      max_discharge_power: 8000,
      export_limit: null,
      import_limit: null,
      backup_reserve: 10,
      available_charge_power: 8000,
      available_discharge_power: 8000,
      firmware_quirk: 'none',
      pv_power_source: 'plant',
    });
    expect(num(r, 'available_discharge_energy') + num(r, 'available_charge_energy')).toBeCloseTo(16_000, -1);
  });

  it('a plant before protocol v2.7 (no counters, no load block): the poll succeeds, load from the balance', async () => {
    const { adapter, sim } = await startRig({ sim: { firmware: { withoutV27Registers: true } } });
    const r = await adapter.read();
    expect(r.values).not.toHaveProperty('pv_energy');
    expect(r.values).not.toHaveProperty('grid_import_energy');
    const s = sim.state;
    expect(num(r, 'load_power')).toBe(s.loadPowerW);
    const before = sim.requestCount;
    await adapter.read();
    // plant, battery, remote EMS, backup and the inverter's PV: the missing blocks are not asked again.
    expect(sim.requestCount - before).toBe(5);
  });
});

describe('remote EMS commands write the plant registers as the vendor map says', () => {
  it('force_charge: 40032←W (U32), 40031←3, 40029←1, in that order; repeating costs no writes', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T02:00:00Z' });
    const socBefore = sim.state.socPct;
    const outcome = await adapter.execute({ type: 'force_charge', power_w: 3000 });
    expect(outcome).toMatchObject({
      writes: 3,
      applied: { power_w: 3000, ems_mode: 'forced', remote_ems_mode: 'charge_grid_first' },
    });
    expect(sim.appliedWrites).toEqual([
      { register: 40032, words: [0, 3000] },
      { register: 40031, words: [3] },
      { register: 40029, words: [1] },
    ]);
    const writes = sim.writeCount;
    expect((await adapter.execute({ type: 'force_charge', power_w: 3000 })).writes).toBe(0);
    expect(sim.writeCount).toBe(writes);
    // Only the power changes: one write.
    expect((await adapter.execute({ type: 'force_charge', power_w: 2000 })).writes).toBe(1);
    await clock.advance(HOUR);
    const r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(-2000);
    expect(num(r, 'grid_power')).toBeGreaterThan(2000);
    expect(r.values).toMatchObject({
      remote_ems_enabled: true,
      ems_mode: 'forced',
      remote_ems_mode: 'charge_grid_first',
      ems_work_mode: 'remote_ems',
    });
    expect(sim.state.socPct).toBeCloseTo(socBefore + (2000 * 0.96 * 100) / 16_000, 0);
  });

  it('a U32 above 65535 W travels high word first', async () => {
    const { adapter, sim } = await startRig({ sim: { physics: { ratedActiveW: 100_000 } } });
    await adapter.execute({ type: 'set_export_limit', power_w: 70_000 });
    expect([sim.holdingRegisters.get(40038), sim.holdingRegisters.get(40039)]).toEqual([1, 70_000 - 65_536]);
    expect((await adapter.read()).values.export_limit).toBe(70_000);
  });

  it('force_discharge: 40034←W, 40031←6, 40029←1, and the battery follows', async () => {
    const { adapter, sim } = await startRig({ start: '2026-01-15T20:00:00Z' });
    expect((await adapter.execute({ type: 'force_discharge', power_w: 4000 })).writes).toBe(3);
    expect(sim.appliedWrites.map((w) => w.register)).toEqual([40034, 40031, 40029]);
    expect(sim.holdingRegisters.get(H.REMOTE_EMS_MODE)).toBe(6);
    const r = await adapter.read();
    expect(num(r, 'battery_power')).toBe(4000);
    expect(r.values).toMatchObject({ ems_mode: 'forced', remote_ems_mode: 'discharge_ess_first' });
  });

  it('restore_normal is one write, remote EMS off; again costs nothing', async () => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'force_discharge', power_w: 4000 });
    const before = sim.appliedWrites.length;
    const restore = await adapter.execute({ type: 'restore_normal' });
    expect(restore).toMatchObject({ writes: 1, applied: { remote_ems_enabled: false } });
    expect(sim.appliedWrites.slice(before)).toEqual([{ register: 40029, words: [0] }]);
    expect((await adapter.execute({ type: 'restore_normal' })).writes).toBe(0);
    const r = await adapter.read();
    expect(r.values).toMatchObject({ ems_mode: 'self_consumption', ems_work_mode: 'max_self_consumption' });
  });

  it('set_charge_limit / set_discharge_limit write 40032 / 40034 and bind in remote self-consumption', async () => {
    const { adapter, sim } = await startRig({ start: '2026-01-15T12:00:00Z', sim: { physics: { initialSocPct: 20 } } });
    expect((await adapter.execute({ type: 'set_charge_limit', power_w: 1500.4 })).applied).toEqual({ power_w: 1500 });
    expect((await adapter.execute({ type: 'set_discharge_limit', power_w: 1200 })).writes).toBe(1);
    expect((await adapter.execute({ type: 'set_discharge_limit', power_w: 1200 })).writes).toBe(0);
    expect([sim.holdingRegisters.get(40032), sim.holdingRegisters.get(40033)]).toEqual([0, 1500]);
    // They bind while remote EMS is on, e.g. in its self-consumption mode set by another EMS.
    sim.setHoldingRegister(40031, 2);
    sim.setHoldingRegister(40029, 1);
    const r = await adapter.read();
    // Noon surplus is well above 1.5 kW: the charge is held at the limit.
    expect(num(r, 'battery_power')).toBe(-1500);
    expect(r.values).toMatchObject({ max_charge_power: 1500, max_discharge_power: 1200 });
  });

  it('set_export_limit writes 40038 and the plant holds export to it', async () => {
    const { adapter, sim } = await startRig({
      start: '2026-01-15T12:00:00Z',
      sim: { physics: { initialSocPct: 100 } },
    });
    expect((await adapter.execute({ type: 'set_export_limit', power_w: 1000 })).writes).toBe(1);
    expect((await adapter.execute({ type: 'set_export_limit', power_w: 1000 })).writes).toBe(0);
    const r = await adapter.read();
    expect(num(r, 'grid_power')).toBeGreaterThanOrEqual(-1000);
    expect(sim.state.curtailedPvW).toBeGreaterThan(0);
    expect(r.values.export_limit).toBe(1000);
  });

  it('set_backup_reserve writes 40046 in 0.1 % and the battery stops there', async () => {
    const { adapter, sim, clock } = await startRig({ start: '2026-01-15T20:00:00Z' });
    expect(await adapter.execute({ type: 'set_backup_reserve', percent: 42.5 })).toMatchObject({
      writes: 1,
      applied: { percent: 42.5 },
    });
    expect(sim.holdingRegisters.get(40046)).toBe(425);
    await adapter.execute({ type: 'force_discharge', power_w: 8000 });
    await clock.advance(2 * HOUR);
    const r = await adapter.read();
    expect(num(r, 'battery_soc')).toBeCloseTo(42.5, 0);
    expect(num(r, 'battery_power')).toBe(0);
  });

  it('set_operating_mode: hold = remote EMS standby (40031←1, then 40029←1); self_consumption = remote EMS off', async () => {
    const { adapter, sim } = await startRig({ start: '2026-01-15T12:00:00Z' });
    expect(adapter.describe().capabilities.operatingModes).toEqual(['self_consumption', 'hold']);
    expect(await adapter.execute({ type: 'set_operating_mode', mode: 'hold' })).toMatchObject({ writes: 2 });
    expect(sim.appliedWrites).toEqual([
      { register: 40031, words: [1] },
      { register: 40029, words: [1] },
    ]);
    const held = await adapter.read();
    expect(held.values).toMatchObject({ ems_mode: 'hold', remote_ems_mode: 'standby', battery_power: 0 });
    expect(await adapter.execute({ type: 'set_operating_mode', mode: 'self_consumption' })).toMatchObject({
      writes: 1,
    });
    expect(sim.holdingRegisters.get(40029)).toBe(0);
    // Remote EMS modes the hand-back would not know as forced are not offered.
    for (const mode of ['charge_pv_first', 'discharge_pv_first', 'standby', 'v2g']) {
      await expect(adapter.execute({ type: 'set_operating_mode', mode })).rejects.toMatchObject({
        kind: 'unsupported',
      });
    }
  });

  it('refuses what the plant cannot do, without writing', async () => {
    const { adapter, sim } = await startRig();
    const writes = sim.writeCount;
    await expect(adapter.execute({ type: 'force_charge', power_w: 9000 })).rejects.toMatchObject({
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
});
