import { localParts } from '@sps/core';
import { planScenario } from '@sps/scheduler';
import { TariffConfigError, createPriceProvider } from '@sps/tariffs';
import { DAILY_CYCLE_PRICES, DAILY_CYCLE_SOC_BAND, dailyCycleTariff } from '../../src/dr/daily-cycle';

const NY = 'America/New_York';

/** Local hour (fractional) of an ISO instant. */
function localHour(iso: string, timeZone: string): number {
  const p = localParts(Date.parse(iso), timeZone);
  return p.hour + p.minute / 60;
}

describe('dailyCycleTariff', () => {
  it('is a tou tariff: dear from 16:00 for 4 h, cheapest at night, no money (currency XXX)', async () => {
    const config = dailyCycleTariff(NY);
    expect(config.provider).toBe('tou');
    const now = Date.parse('2026-06-10T04:00:00Z'); // midnight in New York (EDT)
    const series = await createPriceProvider(config).fetch(now);
    expect(series.currency).toBe('XXX');
    expect(series.intervals).toHaveLength(96);
    for (const i of series.intervals) {
      const h = localHour(new Date(i.start).toISOString(), NY);
      const expected =
        h >= 16 && h < 20 ? DAILY_CYCLE_PRICES.discharge : h < 6 ? DAILY_CYCLE_PRICES.night : DAILY_CYCLE_PRICES.day;
      expect(i.import).toBe(expected);
      expect(i.export).toBe(0);
    }
  });

  it('wraps a window past midnight and names a bad field', async () => {
    const config = dailyCycleTariff('Europe/London', { dischargeFrom: '22:30', hours: 3 });
    const series = await createPriceProvider(config).fetch(Date.parse('2026-01-10T00:00:00Z'));
    const dear = series.intervals.filter((i) => i.import === DAILY_CYCLE_PRICES.discharge);
    expect(dear.slice(0, 6).map((i) => new Date(i.start).toISOString().slice(11, 16))).toEqual([
      '00:00',
      '00:30',
      '01:00',
      '22:30',
      '23:00',
      '23:30',
    ]);
    expect(() => dailyCycleTariff(NY, { dischargeFrom: '16:15' })).toThrow(/dischargeFrom: must be HH:MM/);
    expect(() => dailyCycleTariff(NY, { hours: 0 })).toThrow(/hours: must be at least 0.5/);
    expect(() => dailyCycleTariff(NY, { hours: 1.25 })).toThrow(TariffConfigError);
    expect(() => dailyCycleTariff('Mars/Olympus')).toThrow(TariffConfigError);
  });

  it('makes the optimiser discharge in the window and recharge outside it, within the 20–75 % band', async () => {
    const config = dailyCycleTariff(NY, { dischargeFrom: '16:00', hours: 4 });
    const start = Date.parse('2026-06-10T04:00:00Z'); // local midnight
    const { intervals } = await createPriceProvider(config).fetch(start);
    const n = intervals.length;
    const mean = intervals.reduce((s, i) => s + i.import, 0) / n;
    const plan = await planScenario(
      {
        interval_minutes: 30,
        start: new Date(start).toISOString().replace('.000', ''),
        prices: { import: intervals.map((i) => i.import), export: intervals.map((i) => i.export), currency: 'XXX' },
        solar_kw: intervals.map(() => 0),
        load_kw: intervals.map(() => 1.2),
        battery: {
          capacity_kwh: 10,
          soc_pct: 50,
          min_soc_pct: DAILY_CYCLE_SOC_BAND.minPct,
          max_soc_pct: DAILY_CYCLE_SOC_BAND.maxPct,
          max_charge_kw: 3,
          max_discharge_kw: 3,
        },
        // As the controller's planning inputs value the energy left at the end.
        terminal_energy_value_per_kwh: mean * 0.95,
        allow_battery_export: false,
      },
      { timeZone: NY },
    );
    expect(plan.status).toBe('optimal');
    const inWindow = (iso: string): boolean => {
      const h = localHour(iso, NY);
      return h >= 16 && h < 20;
    };
    const window = plan.intervals.filter((i) => inWindow(i.start));
    const outside = plan.intervals.filter((i) => !inWindow(i.start));
    // Every window half hour runs the load from the battery; nothing charges in it.
    for (const i of window) {
      expect(i.battery_discharge_kw).toBeCloseTo(1.2, 6);
      expect(i.battery_charge_kw).toBe(0);
    }
    for (const i of outside) expect(i.battery_discharge_kw).toBe(0);
    // Recharging happens at night, the cheapest hours, for the day ahead. (At the far end of the
    // horizon the plan may top up at other hours for the energy's terminal value; the controller
    // replans every few minutes, so only the day ahead is ever executed.)
    const firstDay = plan.intervals.slice(0, 48);
    const charging = firstDay.filter((i) => i.battery_charge_kw > 1e-6);
    expect(charging.length).toBeGreaterThan(0);
    for (const i of charging) expect(localHour(i.start, NY)).toBeLessThan(6);
    for (const i of plan.intervals) {
      expect(i.soc_pct).toBeGreaterThanOrEqual(DAILY_CYCLE_SOC_BAND.minPct - 1e-6);
      expect(i.soc_pct).toBeLessThanOrEqual(DAILY_CYCLE_SOC_BAND.maxPct + 1e-6);
    }
  });
});
