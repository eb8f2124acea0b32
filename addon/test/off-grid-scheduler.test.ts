import { loadScheduler } from '@sps/scheduler';
import { offGridPrices, offGridScheduler, toOffGridScenario } from '../src/optimizer/off-grid-scheduler';

/** The controller's scenario for one battery, as gatherPlanningInputs builds it (the reserve as min_soc_pct). */
function controllerScenario(n: number): Record<string, unknown> {
  return {
    interval_minutes: 30,
    start: '2026-06-01T00:00:00Z',
    prices: { import: new Array<number>(n).fill(0), export: new Array<number>(n).fill(0), currency: 'XXX' },
    solar_kw: Array.from({ length: n }, (_, t) => (t >= 14 && t < 34 ? 5 : 0)),
    load_kw: new Array<number>(n).fill(0.4),
    battery: {
      name: 'battery',
      capacity_kwh: 9.6,
      soc_pct: 70,
      min_soc_pct: 30,
      max_soc_pct: 100,
      max_charge_kw: 3,
      max_discharge_kw: 4,
      charge_efficiency: 0.95,
      discharge_efficiency: 0.95,
      cycle_cost_per_kwh: 0,
    },
    grid: { max_import_kw: null, max_export_kw: 5 },
    terminal_energy_value_per_kwh: 0,
    deferrable_loads: [{ name: 'pump', power_kw: 2.2, start_index: 16, end_index: 36, run_minutes: 120 }],
  };
}

describe('off-grid scheduler (optimizer.grid: none)', () => {
  test('the guard reserve becomes the soft reserve above the floor; no grid', () => {
    const s = toOffGridScenario(controllerScenario(48), { floorSocPct: 10 });
    expect(s['off_grid']).toEqual({ reserve_soc_pct: 30 });
    expect((s['battery'] as { min_soc_pct: number }).min_soc_pct).toBe(10);
    expect(s['grid']).toEqual({ max_import_kw: 0, max_export_kw: 0 });
    expect('terminal_energy_value_per_kwh' in s).toBe(false);
  });

  test('a battery already below its reserve: the plan starts at its SOC, the reserve stays the guard’s', () => {
    const below = controllerScenario(48);
    // The controller lowers min_soc_pct to the SOC (22 %) when the battery is below its 30 % reserve.
    const battery = { ...(below['battery'] as Record<string, unknown>), soc_pct: 22, min_soc_pct: 22 };
    const s = toOffGridScenario({ ...below, battery }, { floorSocPct: 25, reservePct: () => 30 });
    expect(s['off_grid']).toEqual({ reserve_soc_pct: 30 });
    expect((s['battery'] as { min_soc_pct: number }).min_soc_pct).toBe(22);
  });

  test('every interval is the battery’s own mode (no force_charge/force_discharge), the pump lands in the sun', async () => {
    const scheduler = offGridScheduler(await loadScheduler(), { floorSocPct: 10 });
    const plan = await scheduler.plan(controllerScenario(48));
    expect(plan.status).toBe('optimal');
    expect(new Set(plan.intervals.map((iv) => iv.action))).toEqual(new Set(['SELF_CONSUMPTION']));
    const pumpOn = plan.intervals.filter((iv) => iv.deferrable_kw > 0);
    expect(pumpOn).toHaveLength(4);
    expect(pumpOn.every((iv) => iv.grid_import_kw === 0 && iv.battery_discharge_kw === 0)).toBe(true);
    expect(plan.off_grid).toMatchObject({ unserved_kwh: 0, max_reserve_shortfall_kwh: 0 });
  });

  test('the price stand-in covers any moment with zeros', () => {
    const prices = offGridPrices();
    const now = Date.parse('2026-06-01T10:07:00Z');
    expect(prices.coverage(now).fallback).toBe(false);
    const points = prices.upcoming(now);
    expect(points[0]!.start).toBeLessThanOrEqual(now);
    expect(points.at(-1)!.end - now).toBeGreaterThanOrEqual(48 * 3_600_000);
    expect(points.every((p) => p.import === 0 && p.export === 0)).toBe(true);
  });
});
