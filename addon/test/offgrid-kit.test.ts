import { ManualClock } from '@sps/core';
import {
  OFFGRID_HEATER_CHANNEL,
  OFFGRID_HEATER_W,
  OFFGRID_NAMES,
  OFFGRID_PUMP_CHANNEL,
  OFFGRID_PUMP_W,
  startOffGridKit,
  type OffGridKit,
} from '../src/cli/offgrid-kit';
import { zoneOffsetHours } from '../src/cli/demo-runtime';
import { simulatedPvW, startOffGridSun } from '../src/cli/offgrid-sun';
import { ForecastSolarProvider } from '@sps/forecasts';

/**
 * The off-grid house's simulators and their wiring (addon/src/cli/offgrid-kit.ts) on a ManualClock,
 * in-process: the house load the Studer supplies follows the pump and heater relays, the relays meter
 * their load, the Pylontech BMS reports the Studer's battery (SOC, and the current in the project's
 * sign), the PV follows the time of day, and a sunny day with both loads on at midday leaves the
 * battery fuller in the evening than at dawn. The add-on side (the drivers over the one socketcand
 * gateway, HA, alarms) is tests/e2e/offgrid-house.e2e.test.ts.
 */

const at = (hhmm: string): string => `2026-06-21T${hhmm}:00Z`;

describe('the off-grid house on simulators', () => {
  let clock: ManualClock;
  let kit: OffGridKit;

  beforeEach(async () => {
    clock = new ManualClock(at('06:00'));
    kit = await startOffGridKit({ clock, socPct: 50, utcOffsetHours: 0, baseLoadW: () => 300 });
  });
  afterEach(async () => {
    await kit.stop();
  });

  it('offers the Studer and the BMS on one socketcand gateway, and the relays over HTTP', () => {
    const [studer, battery, relays] = kit.devices;
    const gateway = { transport: 'socketcand', host: '127.0.0.1', port: kit.gateway.port, interface: 'can0' };
    expect(studer).toMatchObject({ name: OFFGRID_NAMES.studer, driver: 'studer', ...gateway });
    expect(battery).toMatchObject({ name: OFFGRID_NAMES.battery, driver: 'pylontech', ...gateway });
    expect(relays).toMatchObject({ name: OFFGRID_NAMES.relays, driver: 'shelly', transport: 'http' });
    expect(kit.devices).toHaveLength(3);
  });

  it('puts the pump and the heater on the Studer when their relays close, and meters them', async () => {
    await clock.advance(6 * 3_600_000); // noon
    expect(kit.studer.state.loadW).toBe(300);
    kit.relays.setRelay(OFFGRID_PUMP_CHANNEL, true);
    await clock.advance(1000);
    expect(kit.houseLoadW()).toBe(300 + OFFGRID_PUMP_W);
    expect(kit.studer.state.loadW).toBe(300 + OFFGRID_PUMP_W);
    expect(kit.relays.state.relays[OFFGRID_PUMP_CHANNEL]?.powerW).toBeCloseTo(OFFGRID_PUMP_W, -2);
    kit.relays.setRelay(OFFGRID_HEATER_CHANNEL, true);
    await clock.advance(1000);
    expect(kit.studer.state.loadW).toBe(300 + OFFGRID_PUMP_W + OFFGRID_HEATER_W);
    kit.relays.setRelay(OFFGRID_PUMP_CHANNEL, false);
    kit.relays.setRelay(OFFGRID_HEATER_CHANNEL, false);
    await clock.advance(1000);
    expect(kit.studer.state.loadW).toBe(300);
    expect(kit.relays.state.relays[OFFGRID_PUMP_CHANNEL]?.powerW).toBe(0);
  });

  it('has the BMS report the Studer battery: same SOC, current positive when discharging', async () => {
    // Night before sunrise: the inverter carries the house from the battery.
    await clock.advance(1000);
    const night = kit.studer.state;
    expect(night.pvPowerW).toBeLessThan(1); // the first second after 06:00
    expect(night.batteryCurrentA).toBeLessThan(0); // Studer: − discharging
    expect(kit.pylontech.state.currentA).toBeCloseTo(-night.batteryCurrentA, 1);
    expect(kit.pylontech.state.socPct).toBeCloseTo(night.socPct, 1);
    // Noon: the VarioTrack charges the bank.
    await clock.advance(6 * 3_600_000);
    // The morning sun has filled the bank (the VarioTrack then curtails): half empty again, to see it charge.
    kit.studer.physics.setSocPct(50);
    await clock.advance(1000);
    const noon = kit.studer.state;
    expect(noon.pvPowerW).toBeGreaterThan(2000);
    expect(noon.batteryCurrentA).toBeGreaterThan(0);
    expect(kit.pylontech.state.currentA).toBeCloseTo(-noon.batteryCurrentA, 1);
    expect(kit.pylontech.state.socPct).toBeCloseTo(noon.socPct, 1);
  });

  it('runs the pump and the heater in the midday sun and ends the day fuller than it began', async () => {
    const dawn = kit.studer.state.socPct;
    let lowest = dawn;
    for (let minute = 0; minute < 12 * 60; minute++) {
      const hour = 6 + minute / 60;
      // The loads in the surplus: pump 10:00–12:00, heater 12:00–15:00.
      kit.relays.setRelay(OFFGRID_PUMP_CHANNEL, hour >= 10 && hour < 12);
      kit.relays.setRelay(OFFGRID_HEATER_CHANNEL, hour >= 12 && hour < 15);
      await clock.advance(60_000);
      lowest = Math.min(lowest, kit.studer.state.socPct);
      expect(kit.pylontech.state.socPct).toBeCloseTo(kit.studer.state.socPct, 1);
    }
    expect(kit.studer.state.pvEnergyTodayKWh).toBeGreaterThan(15);
    expect(kit.studer.state.socPct).toBeGreaterThan(dawn);
    // Only the early morning (before the sun carries the house) draws on the battery.
    expect(lowest).toBeGreaterThan(dawn - 5);
  });
});

describe('zoneOffsetHours', () => {
  it('reads the offset of an IANA zone at an instant, summer time included', () => {
    expect(zoneOffsetHours('UTC', Date.parse('2026-06-21T12:00:00Z'))).toBe(0);
    expect(zoneOffsetHours('Australia/Brisbane', Date.parse('2026-06-21T12:00:00Z'))).toBe(10);
    expect(zoneOffsetHours('Europe/Zurich', Date.parse('2026-06-21T12:00:00Z'))).toBe(2);
    expect(zoneOffsetHours('Europe/Zurich', Date.parse('2026-01-21T12:00:00Z'))).toBe(1);
    expect(zoneOffsetHours('America/St_Johns', Date.parse('2026-01-21T12:00:00Z'))).toBe(-3.5);
  });
});

describe('the off-grid demo sun (a loopback Forecast.Solar stand-in)', () => {
  it("gives the add-on's forecast_solar source the Studer simulator's own PV", async () => {
    const clock = new ManualClock(at('00:00'));
    const sun = await startOffGridSun(clock, 0);
    const kit = await startOffGridKit({ clock, socPct: 20, utcOffsetHours: 0 });
    try {
      const provider = new ForecastSolarProvider({
        latitude: 46.2,
        longitude: 7.4,
        arrays: [{ declination: 30, azimuth: 0, kwp: 3.4 }],
        baseUrl: sun.url,
      });
      const from = Date.parse(at('00:00'));
      const forecast = await provider.forecast({ from, to: from + 24 * 3_600_000, stepMs: 3_600_000 });
      expect(forecast.points).toHaveLength(24);
      // Midnight dark, noon at the VT-65's cap, 09:00-10:00 rising: what the simulated VarioTrack produces.
      expect(forecast.points[0]?.kw).toBe(0);
      expect(forecast.points[12]?.kw).toBeGreaterThan(3);
      await clock.advance(12 * 3_600_000);
      // Room in the bank, so the VarioTrack is not curtailing to the load.
      kit.studer.physics.setSocPct(20);
      await clock.advance(1000);
      // Within the VT-65's cap, which follows the bank's voltage (the forecast assumes 51 V): 5 %.
      const simulated = kit.studer.state.pvPowerW;
      expect(Math.abs(simulated - simulatedPvW(clock.now(), 0))).toBeLessThan(0.05 * simulated);
      expect(forecast.points[9]?.kw).toBeGreaterThan(forecast.points[8]!.kw);
      expect((await fetch(`${sun.url}/nothing`)).status).toBe(404);
    } finally {
      await kit.stop();
      await sun.close();
    }
  });
});
