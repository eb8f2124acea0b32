import { planScenario, ScenarioError, type ScenarioInput } from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';

const valid = (): ScenarioInput => ({
  interval_minutes: 30,
  start: '2025-06-01T00:00:00Z',
  prices: { import: [0.1, 0.3, 0.5, 0.2], export: [0.05, 0.1, 0.3, 0.05], currency: 'AUD' },
  solar_kw: [0, 2, 1, 0],
  load_kw: [1, 1, 2, 1],
  battery: { capacity_kwh: 10, soc_pct: 50, max_charge_kw: 3, max_discharge_kw: 3 },
});

async function errorOf(input: unknown): Promise<ScenarioError> {
  try {
    await planScenario(input);
  } catch (e: unknown) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

describe('the scenario contract: bad scenarios get an error naming the field', () => {
  test.each<[string, (s: ScenarioInput) => unknown, string]>([
    ['wrong length', (s) => ({ ...s, load_kw: [1, 1, 1] }), 'load_kw'],
    ['wrong export length', (s) => ({ ...s, prices: { ...s.prices, export: [0.1] } }), 'prices.export'],
    [
      'negative capacity',
      (s) => ({ ...s, battery: { ...(s.battery as object), capacity_kwh: -5 } }),
      'battery.capacity_kwh',
    ],
    [
      'min above max',
      (s) => ({ ...s, battery: { ...(s.battery as object), min_soc_pct: 90, max_soc_pct: 80 } }),
      'battery.min_soc_pct',
    ],
    ['unknown interval', (s) => ({ ...s, interval_minutes: 7 }), 'interval_minutes'],
    [
      'efficiency above 1',
      (s) => ({ ...s, battery: { ...(s.battery as object), charge_efficiency: 1.2 } }),
      'battery.charge_efficiency',
    ],
    [
      'missing currency',
      (s) => ({ ...s, prices: { import: s.prices.import, export: s.prices.export } }),
      'prices.currency',
    ],
    ['non-numeric price', (s) => ({ ...s, prices: { ...s.prices, import: [0.1, 'x', 0.5, 0.2] } }), 'prices.import[1]'],
    ['negative solar', (s) => ({ ...s, solar_kw: [0, -1, 0, 0] }), 'solar_kw[1]'],
    [
      'EV deadline past the horizon',
      (s) => ({ ...s, ev: { max_kw: [7, 7, 7, 7], energy_needed_kwh: 5, deadline_index: 9 } }),
      'ev.deadline_index',
    ],
    ['EV array length', (s) => ({ ...s, ev: { max_kw: [7], energy_needed_kwh: 5, deadline_index: 1 } }), 'ev.max_kw'],
    [
      'second battery',
      (s) => ({ ...s, battery: [s.battery, { capacity_kwh: 0, soc_pct: 5, max_charge_kw: 1, max_discharge_kw: 1 }] }),
      'battery[1].capacity_kwh',
    ],
    ['not an object', () => 42, '(scenario)'],
  ])('%s', async (_, mutate, field) => {
    const error = await errorOf(mutate(valid()));
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('infeasible scenarios get status infeasible with the reason', () => {
  test('EV that cannot be satisfied by its deadline names ev.energy_needed_kwh', async () => {
    const plan = await planScenario({
      ...valid(),
      ev: { max_kw: [7, 7, 0, 0], min_kw: 1.4, energy_needed_kwh: 20, charge_efficiency: 0.9, deadline_index: 2 },
    });
    expect(plan.status).toBe('infeasible');
    expect(plan.intervals).toEqual([]);
    expect(plan.reason).toMatch(/^ev\.energy_needed_kwh: /);
  });

  test('EV demand that only the import cap makes impossible is diagnosed after the solve', async () => {
    const plan = await planScenario({
      ...valid(),
      grid: { max_import_kw: 2, max_export_kw: 5 },
      battery: { capacity_kwh: 10, soc_pct: 10, min_soc_pct: 10, max_charge_kw: 3, max_discharge_kw: 3 },
      ev: { max_kw: [7, 7, 7, 7], energy_needed_kwh: 6, charge_efficiency: 0.9, deadline_index: 4 },
    });
    expect(plan.status).toBe('infeasible');
    expect(plan.reason).toMatch(/^ev\.energy_needed_kwh: .*import cap/);
  });

  test('load above every source names grid.max_import_kw', async () => {
    const plan = await planScenario({ ...valid(), load_kw: [1, 1, 20, 1], grid: { max_import_kw: 5 } });
    expect(plan.status).toBe('infeasible');
    expect(plan.reason).toMatch(/^grid\.max_import_kw: /);
  });
});

describe('defaults and plan shape', () => {
  test('a minimal scenario plans with the documented defaults and a sane shape', async () => {
    const plan = await planScenario(valid());
    expect(plan.status).toBe('optimal');
    expect(plan.solver).toBe('highs');
    expect(plan.intervals.map((iv) => iv.start)).toEqual([
      '2025-06-01T00:00:00.000Z',
      '2025-06-01T00:30:00.000Z',
      '2025-06-01T01:00:00.000Z',
      '2025-06-01T01:30:00.000Z',
    ]);
    expect(checkPlanPhysics(valid(), plan)).toEqual([]);
    expect(plan.savings).toBeCloseTo(plan.baseline_objective! - plan.objective!, 6);
    // Buying at 10 c to avoid 50 c later: the baseline (self-consumption) cannot beat the optimum.
    expect(plan.savings!).toBeGreaterThanOrEqual(-1e-9);
  });

  test('without start, the plan starts at now rounded down to the interval', async () => {
    const { start: _start, ...rest } = valid();
    const plan = await planScenario(rest, { now: new Date('2025-06-01T10:47:12Z') });
    expect(plan.intervals[0]!.start).toBe('2025-06-01T10:30:00.000Z');
  });

  test('reasons quote prices in minor units and clock times', async () => {
    const plan = await planScenario({
      ...valid(),
      prices: { import: [0.081, 0.3, 0.41, 0.2], export: [0.0, 0.0, 0.0, 0.0], currency: 'AUD' },
      battery: { capacity_kwh: 10, soc_pct: 10, min_soc_pct: 10, max_charge_kw: 3, max_discharge_kw: 3 },
      solar_kw: [0, 0, 0, 0],
      load_kw: [0.5, 0.5, 3, 0.5],
    });
    expect(plan.intervals[0]!.action).toBe('CHARGE');
    expect(plan.intervals[0]!.reason).toBe('charging: 8.1 c/kWh now vs 41.0 c/kWh at 01:00');
    expect(plan.intervals[2]!.action).toBe('SELF_CONSUMPTION');
  });
});
