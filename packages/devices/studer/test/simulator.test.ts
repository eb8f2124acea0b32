import { VirtualCanBus } from '@sps/can';
import { ManualClock, type DeviceError } from '@sps/core';
import { StuderPhysics, StuderSimulator, StuderXcomClient } from '@sps/device-studer';

const HOUR = 3_600_000;

describe('StuderPhysics: a plausible off-grid day', () => {
  it('PV follows the sun, the SOC integrates it, the energy counter resets at midnight', () => {
    const start = Date.parse('2026-06-21T05:00:00Z');
    // A bank large enough never to fill: the VarioTrack then never curtails.
    const physics = new StuderPhysics(start, { initialSocPct: 20, capacityAh: 2000 });
    expect(physics.state.pvPowerW).toBe(0);
    const noon = physics.step(start + 7 * HOUR);
    expect(noon.pvPowerW).toBeGreaterThan(3000);
    expect(noon.pvPowerW).toBeLessThanOrEqual(65 * noon.batteryVoltage); // a VT-65's limit
    expect(noon.socPct).toBeGreaterThan(20);
    expect(noon.batteryCurrentA).toBeGreaterThan(0); // Studer's sign: + charging
    const evening = physics.step(start + 16 * HOUR); // 21:00: loads, no sun
    expect(evening.pvPowerW).toBe(0);
    expect(evening.batteryCurrentA).toBeLessThan(0);
    expect(evening.operatingState).toBe(1);
    const todayAtNight = evening.pvEnergyTodayKWh;
    expect(todayAtNight).toBeGreaterThan(10);
    // A full battery takes only what the house draws: the rest of the PV is curtailed.
    const full = new StuderPhysics(start + 7 * HOUR, { initialSocPct: 100 });
    expect(full.state.pvPowerW).toBeLessThan(noon.pvPowerW);
    expect(full.state.batteryCurrentA).toBeCloseTo(0, 0);
    const nextMorning = physics.step(start + 20 * HOUR); // 01:00 next day
    expect(nextMorning.pvEnergyTodayKWh).toBe(0);
    expect(nextMorning.pvEnergyTotalKWh).toBeGreaterThanOrEqual(1234.5 + todayAtNight - 0.01);
  });

  it('a generator behind the transfer relay carries the loads and charges up to the charger current and input limit', () => {
    const start = Date.parse('2026-06-21T22:00:00Z');
    const physics = new StuderPhysics(start, { initialSocPct: 30, acSourcePresent: true });
    const s = physics.state;
    expect(s.operatingState).toBe(2);
    expect(s.xtenderBatteryCurrentA).toBeGreaterThan(0);
    expect(s.xtenderBatteryCurrentA).toBeLessThanOrEqual(60); // 1138 = 60 A
    expect(s.acInputPowerW).toBeLessThanOrEqual(16 * 230 + 1); // 1107 = 16 A
    physics.setAcSource(false);
    expect(physics.state.operatingState).toBe(1);
  });

  it('never leaves 0..100 % SOC, and an empty battery drops the output', () => {
    const start = Date.parse('2026-06-21T20:00:00Z');
    const physics = new StuderPhysics(start, { initialSocPct: 1 });
    physics.setLoadW(3000);
    const s = physics.step(start + 4 * HOUR);
    expect(s.socPct).toBe(0);
    expect(s.acOutputVoltage).toBe(0);
  });
});

describe('StuderSimulator on a virtual bus', () => {
  async function setup() {
    const clock = new ManualClock('2026-06-21T12:00:00Z');
    const bus = new VirtualCanBus({ clock });
    const simulator = new StuderSimulator({ clock });
    await simulator.attach(bus);
    const client = new StuderXcomClient({ bus: bus.attach('client'), sourceAddress: 0, minGapMs: 0 });
    await client.open();
    return { simulator, client };
  }

  it('answers infos and parameters, and refuses what the device would', async () => {
    const { simulator, client } = await setup();
    expect(await client.readUserInfo(101, 3000)).toBeCloseTo(simulator.state.batteryVoltage, 2);
    expect(await client.readUserInfo(301, 11015)).toBe(1); // VT-65
    expect(await client.readParameter(101, 1138, 'max')).toBe(100);
    const refuse = async (p: Promise<number>): Promise<string> =>
      p.then(
        () => 'answered',
        (e: unknown) => `${(e as DeviceError).kind} ${(e as DeviceError).message}`,
      );
    expect(await refuse(client.writeParameter(101, 1138, 101))).toMatch(/^rejected .*DATA_TOO_BIG/);
    expect(await refuse(client.writeParameter(101, 1107, 1))).toMatch(/^rejected .*DATA_TOO_SMALL/);
    expect(await refuse(client.writeParameter(101, 1138, 5, 'max'))).toMatch(/ACCESS_DENIED/);
    expect(await refuse(client.readUserInfo(101, 9999))).toMatch(/^unsupported .*OBJECT_ID_NOT_FOUND/);
    expect(await refuse(client.readUserInfo(105, 3000))).toMatch(/^unsupported .*DEVICE_NOT_FOUND/);
    expect(simulator.stats.refusedWrites).toBe(3);
    await client.close();
    await simulator.detach();
  });

  it('a RAM write changes the running value, not the flash one (which a read of part 4 answers)', async () => {
    const { simulator, client } = await setup();
    await client.writeParameter(101, 1138, 30, 'ram');
    expect(simulator.parameter(1138)).toMatchObject({ flash: 60, ram: 30 });
    expect(await client.readParameter(101, 1138, 'ram')).toBe(60);
    expect(simulator.stats).toMatchObject({ ramWrites: 1, flashWrites: 0 });
    await client.close();
    await simulator.detach();
  });
});
