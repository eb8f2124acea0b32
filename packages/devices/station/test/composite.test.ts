import { DeviceError } from '@sps/core';
import { num, rejectionOf, startWorld, stopWorlds } from './world';

afterEach(stopWorlds);

const MIN = 60_000;

async function deviceError(promise: Promise<unknown>): Promise<DeviceError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('PowerStationComposite over the simulators (Bluetti BLE in memory, Shelly on loopback HTTP, INA260 on the memory bus)', () => {
  it('describes the whole as a battery that cannot export', async () => {
    const world = await startWorld({ composite: { p2LoadCapW: 1500 } });
    const d = world.composite.describe();
    expect(d.capabilities.commands).toEqual(['force_charge', 'force_discharge', 'restore_normal']);
    // AC180: 1800 W inverter, 1152 Wh; the P2 circuit caps discharge at 1500 W.
    expect(d.capabilities.limits).toEqual({ maxChargeW: 950, maxDischargeW: 1500, maxExportW: 0, capacityWh: 1152 });
    expect(d.info.manufacturer).toBe('Bluetti');
    expect(d.info.model).toMatch(/AC180 power station \(station, P1, P3, P2, P4\)/);
    // A device of its own in HA, never merged with the station's: its serial is the station's plus a suffix.
    const stationSerial = world.bluetti.identity.serial;
    expect(d.info.serial).toBe(`${stationSerial}-station`);
    const keys = d.entities.map((e) => e.key);
    expect(keys).toEqual(
      expect.arrayContaining(['battery_soc', 'grid_power', 'load_power', 'pv_power', 'p1_available', 'p4_available']),
    );
    expect(d.entities.find((e) => e.key === 'force_charge')?.command).toEqual({
      command: 'force_charge',
      fixed: { power_w: 950 },
    });
  });

  it('reports readings equal to the members’ state', async () => {
    const world = await startWorld({ socPct: 63 });
    world.pvW = 180;
    world.loadW = 520;
    const r = await world.read();
    const s = world.bluetti.state;
    expect(num(r, 'battery_soc')).toBe(Math.round(s.socPct));
    expect(num(r, 'battery_power')).toBe(s.batteryPowerW);
    expect(num(r, 'ac_output_power')).toBe(s.acOutputW);
    expect(num(r, 'load_power')).toBe(world.p2Sim.state.relays[0]?.powerW);
    expect(num(r, 'load_power')).toBe(520);
    expect(num(r, 'pv_power')).toBeCloseTo(world.chip.state.powerW, 2);
    expect(num(r, 'pv_power')).toBeCloseTo(180, 0);
    expect(num(r, 'grid_power')).toBe(world.p1Sim.state.relays[0]?.powerW);
    expect(r.values).toMatchObject({
      grid_charging_on: false,
      ac_output_on: false,
      station_mode: 'idle',
      export_power: 0,
      p1_available: true,
      p2_available: true,
      p3_available: true,
      p4_available: true,
      degraded_reason: null,
    });
  });

  it('force_charge turns P1 on and the station’s SOC rises at its charging power', async () => {
    const world = await startWorld({ socPct: 40 });
    const outcome = await world.composite.execute({ type: 'force_charge', power_w: 950 });
    expect(outcome.applied).toEqual({ grid_charging_on: true, ac_output_on: false, charge_power_w: 950 });
    expect(outcome.writes).toBe(1);
    expect(world.p1Sim.state.relays[0]?.on).toBe(true);
    await world.run(30 * MIN);
    const r = await world.read();
    expect(r.values.station_mode).toBe('charging');
    expect(num(r, 'grid_power')).toBe(950);
    expect(num(r, 'battery_power')).toBe(-950);
    // 950 W for 30 min into 1152 Wh ≈ +41 %.
    expect(num(r, 'battery_soc')).toBeGreaterThan(75);
  });

  it('force_discharge turns P3 on so the station carries P2’s loads; restore_normal turns both off', async () => {
    const world = await startWorld({ socPct: 80 });
    world.loadW = 600;
    await world.composite.execute({ type: 'force_charge', power_w: 500 });
    await world.run(6 * MIN);
    const out = await world.composite.execute({ type: 'force_discharge', power_w: 600 });
    expect(out.applied).toEqual({ grid_charging_on: false, ac_output_on: true });
    expect(out.writes).toBe(2);
    expect(world.p1Sim.state.relays[0]?.on).toBe(false);
    expect(world.bluetti.state.acOutputOn).toBe(true);
    await world.run(20 * MIN);
    const r = await world.read();
    expect(r.values.station_mode).toBe('discharging');
    expect(num(r, 'battery_power')).toBe(600);
    expect(num(r, 'load_power')).toBe(600);
    expect(num(r, 'ac_output_power')).toBe(600);
    expect(num(r, 'grid_power')).toBe(0);
    const socBefore = num(r, 'battery_soc');
    await world.run(20 * MIN);
    expect(num(await world.read(), 'battery_soc')).toBeLessThan(socBefore);

    await world.run(6 * MIN);
    const idle = await world.composite.execute({ type: 'restore_normal' });
    expect(idle.applied).toEqual({ grid_charging_on: false, ac_output_on: false });
    expect(world.p1Sim.state.relays[0]?.on).toBe(false);
    expect(world.bluetti.state.acOutputOn).toBe(false);
    expect((await world.read()).values.station_mode).toBe('idle');
  });

  it('works with a relay at P3 after the station’s output', async () => {
    const world = await startWorld({ p3: 'relay' });
    await world.composite.execute({ type: 'force_discharge', power_w: 0 });
    expect(world.p3Sim?.state.relays[0]?.on).toBe(true);
    const r = await world.read();
    expect(num(r, 'battery_power')).toBe(world.loadW);
    await world.run(5 * MIN);
    await world.composite.execute({ type: 'restore_normal' });
    expect(world.p3Sim?.state.relays[0]?.on).toBe(false);
  });

  it('turns the station’s own output on before it closes a P3 relay, and leaves it on afterwards', async () => {
    const world = await startWorld({ p3: 'relay' });
    world.bluetti.state.acOutputOn = false;
    world.sync();
    const before = await world.read();
    expect(before.values.ac_output_on).toBe(false);
    expect(before.values.station_mode).toBe('idle');

    const outcome = await world.composite.execute({ type: 'force_discharge', power_w: 0 });
    expect(outcome.applied).toEqual({ station_output_on: true, grid_charging_on: false, ac_output_on: true });
    expect(world.bluetti.state.acOutputOn).toBe(true);
    expect(world.p3Sim?.state.relays[0]?.on).toBe(true);
    const after = await world.read();
    expect(after.values.station_mode).toBe('discharging');
    expect(num(after, 'battery_power')).toBe(world.loadW);

    await world.run(5 * MIN);
    const idle = await world.composite.execute({ type: 'restore_normal' });
    expect(idle.applied).toEqual({ grid_charging_on: false, ac_output_on: false });
    expect(world.p3Sim?.state.relays[0]?.on).toBe(false);
    // P3 does the switching: the station's inverter stays live behind the open relay.
    expect(world.bluetti.state.acOutputOn).toBe(true);

    // The output switched off by hand while P3 is closed: the composite says the loads are not on the station.
    await world.run(5 * MIN);
    await world.composite.execute({ type: 'force_discharge', power_w: 0 });
    world.bluetti.state.acOutputOn = false;
    world.sync();
    expect((await world.read()).values.station_mode).toBe('idle');
  });

  it('holds the minimum on/off time: a change inside it is refused, with the time left, and nothing is written', async () => {
    const world = await startWorld({ composite: { minOnOffMs: 5 * MIN } });
    await world.composite.execute({ type: 'force_charge', power_w: 950 });
    await world.run(2 * MIN);
    const err = await deviceError(world.composite.execute({ type: 'force_discharge', power_w: 400 }));
    expect(err.kind).toBe('busy'); // transient: the same command succeeds once the time is up
    expect(err.message).toBe(
      'P1 grid charging was switched on 120 s ago; the minimum on/off time is 300 s, try again in 180 s',
    );
    // All or nothing: P3 was free to switch but was not touched.
    expect(world.p1Sim.state.relays[0]?.on).toBe(true);
    expect(world.bluetti.state.acOutputOn).toBe(false);
    expect(num(await world.read(), 'grid_charging_hold_s')).toBe(180);
    // Re-sending the state already in effect changes nothing and is allowed.
    expect((await world.composite.execute({ type: 'force_charge', power_w: 950 })).writes).toBe(0);
    await world.run(3 * MIN);
    await world.composite.execute({ type: 'force_discharge', power_w: 400 });
    expect(world.bluetti.state.acOutputOn).toBe(true);
    const again = await deviceError(world.composite.execute({ type: 'restore_normal' }));
    expect(again.message).toMatch(/^P3 AC output was switched on 0 s ago/);
  });

  it('refuses what a station cannot do, naming the field', async () => {
    const world = await startWorld();
    const over = await deviceError(world.composite.execute({ type: 'force_charge', power_w: 1200 }));
    expect(over.kind).toBe('rejected');
    expect(over.message).toMatch(/^power_w: 1200 W is above the station's grid-charging power of 950 W/);
    const tooMuch = await deviceError(world.composite.execute({ type: 'force_discharge', power_w: 5000 }));
    expect(tooMuch.message).toMatch(/^power_w: 5000 W is above what the station can carry on P2 \(1800 W\)/);
    const relay = await deviceError(world.composite.execute({ type: 'set_export_limit', power_w: 0 }));
    expect(relay.kind).toBe('unsupported');
    const bad = await deviceError(world.composite.execute({ type: 'force_charge', power_w: -1 } as never));
    expect(bad.message).toMatch(/^power_w:/);
  });

  it('a vanished relay degrades the composite with a clear reason and recovers', async () => {
    const world = await startWorld();
    const port = world.ports.get(world.p1Sim)!;
    await world.p1Sim.stop();
    const r = await world.read();
    expect(r.values.p1_available).toBe(false);
    expect(r.values.degraded_reason).toMatch(/^P1 p1: connection refused/);
    expect(num(r, 'battery_soc')).toBe(50);
    // Still available as a whole, but a command that needs P1 fails naming it.
    expect(world.availability.at(-1)?.available).toBe(true);
    const err = await deviceError(world.composite.execute({ type: 'force_charge', power_w: 950 }));
    expect(err.kind).toBe('connection_refused');
    expect(err.message).toMatch(/^P1 p1: /);

    await world.p1Sim.start({ host: '127.0.0.1', port });
    const back = await world.read();
    expect(back.values).toMatchObject({ p1_available: true, degraded_reason: null });
    await world.composite.execute({ type: 'force_charge', power_w: 950 });
    expect(world.p1Sim.state.relays[0]?.on).toBe(true);
  });

  it('a vanished station makes the composite unavailable with the station’s reason, and it recovers', async () => {
    const world = await startWorld();
    world.bluetti.vanish('the station is out of range');
    const err = await deviceError(world.read());
    expect(err.message).toMatch(/^station bluetti: /);
    const down = world.availability.at(-1);
    expect(down?.available).toBe(false);
    expect(down?.reason).toMatch(/^station bluetti: .*out of range/);
    world.bluetti.reappear();
    const r = await world.read();
    expect(num(r, 'battery_soc')).toBe(50);
    expect(world.availability.at(-1)?.available).toBe(true);
  });

  it('uses the station’s own switches at P1/P3 when it has them, and says so when it has not', async () => {
    const world = await startWorld({ model: 'AC300', p1: 'station' });
    world.bluetti.state.gridChargeOn = false;
    await world.composite.execute({ type: 'force_charge', power_w: 950 });
    expect(world.bluetti.state.gridChargeOn).toBe(true);
    await stopWorlds();
    const err = await rejectionOf(startWorld({ model: 'AC180', p1: 'station' }));
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).message).toMatch(/^p1: the AC180 has no P1 grid charging switch of its own/);
  });

  it('validates its settings, naming the field', async () => {
    await expect(startWorld({ composite: { minOnOffMs: -5 } })).rejects.toThrow(/^minOnOffMs: must be ≥ 0/);
    await expect(startWorld({ composite: { chargePowerW: 0 } })).rejects.toThrow(/^chargePowerW: must be > 0/);
  });
});
