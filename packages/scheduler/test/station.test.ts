import {
  firstLimitViolation,
  greedyDispatch,
  planScenario,
  Scenario,
  ScenarioError,
  selfConsumptionDispatch,
  toProblem,
  type Plan,
  type ScenarioInput,
} from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';
import { randomStationScenario } from './helpers/random-station-scenario';
import { referenceOptimum } from './helpers/reference-solver';

const tolerance = (optimum: number): number => 1e-3 * Math.max(1, Math.abs(optimum));
const statuses: string[] = [];
let stationMoved = 0;

async function expectOptimal(scenario: ScenarioInput): Promise<Plan> {
  const plan = await planScenario(scenario);
  const reference = referenceOptimum(scenario);
  statuses.push(plan.status);
  if (!reference.feasible) {
    expect({ status: plan.status, reason: plan.reason }).toEqual({ status: 'infeasible', reason: expect.any(String) });
    return plan;
  }
  expect({ status: plan.status, reason: plan.reason }).toEqual({ status: 'optimal', reason: null });
  expect(checkPlanPhysics(scenario, plan)).toEqual([]);
  const gap = plan.objective! - reference.objective;
  expect(gap).toBeGreaterThan(-tolerance(reference.objective));
  expect(gap).toBeLessThanOrEqual(tolerance(reference.objective));
  return plan;
}

/** Cheap night, dear evening; the station carries the 0.6 kW behind the transfer switch. */
const evening = (station: Partial<NonNullable<ScenarioInput['station']>> = {}): ScenarioInput => ({
  interval_minutes: 60,
  start: '2025-06-01T00:00:00Z',
  prices: {
    import: [0.08, 0.08, 0.1, 0.25, 0.25, 0.45, 0.5, 0.45],
    export: [0.02, 0.02, 0.05, 0.05, 0.08, 0.1, 0.1, 0.1],
    currency: 'AUD',
  },
  solar_kw: [0, 0, 0, 1.5, 2, 0.5, 0, 0],
  load_kw: [0.8, 0.8, 0.9, 1, 1.2, 1.5, 1.6, 1.4],
  station: {
    name: 'bluetti',
    capacity_kwh: 1.152,
    soc_pct: 20,
    min_soc_pct: 10,
    grid_charge_kw: 0.95,
    max_discharge_kw: 1.8,
    p2_load_kw: [0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.6, 0.6],
    ...station,
  },
});

describe('the station asset: optimality against an independent formulation', () => {
  test.each(Array.from({ length: 30 }, (_, i) => i + 1))('random station scenario %i', async (seed) => {
    const plan = await expectOptimal(randomStationScenario(seed));
    const station = (iv: Plan['intervals'][number]) => iv.batteries.at(-1)!;
    if (plan.intervals.some((iv) => station(iv).charge_kw > 1e-3 || station(iv).discharge_kw > 1e-3)) stationMoved++;
  });
  test('the random set is mostly feasible, so the comparison is not vacuous', () => {
    expect(statuses.filter((s) => s === 'optimal').length).toBeGreaterThanOrEqual(22);
    // …and the station is not just sitting there: it grid-charges or discharges in most of them.
    expect(stationMoved).toBeGreaterThanOrEqual(15);
  });
});

describe('the station asset: physics', () => {
  test('charges from the grid at exactly its fixed power when cheap, and carries only the P2 load when dear', async () => {
    const plan = await expectOptimal(evening());
    const station = plan.intervals.map((iv) => iv.batteries[0]!);
    for (const s of station) expect([0, 0.95]).toContainEqual(Math.round(s.charge_kw * 1e6) / 1e6);
    expect(station.slice(0, 3).some((s) => s.charge_kw > 0.9)).toBe(true);
    plan.intervals.forEach((iv, t) => {
      expect(iv.batteries[0]!.discharge_kw).toBeLessThanOrEqual([0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.6, 0.6][t]! + 1e-6);
      // No solar surplus in the evening, so nothing can ever be exported from the station.
      if (t >= 5) expect(iv.grid_export_kw).toBeLessThan(1e-6);
    });
    expect(station.slice(5).reduce((a, s) => a + s.discharge_kw, 0)).toBeGreaterThan(0.5);
  });

  test('a high export price cannot make the station export', async () => {
    const scenario = evening();
    scenario.prices = { ...scenario.prices, export: new Array(8).fill(0.4) };
    const plan = await expectOptimal(scenario);
    plan.intervals.forEach((iv, t) => {
      expect(iv.batteries[0]!.discharge_kw).toBeLessThanOrEqual(scenario.station!.p2_load_kw[t]! + 1e-6);
      expect(iv.grid_export_kw).toBeLessThanOrEqual(Math.max(0, scenario.solar_kw[t]! - scenario.load_kw[t]!) + 1e-6);
    });
  });

  test('continuous grid charging may charge below the fixed power', async () => {
    const plan = await expectOptimal(evening({ grid_charge_mode: 'continuous', soc_pct: 85, max_soc_pct: 100 }));
    const charges = plan.intervals.map((iv) => iv.batteries[0]!.charge_kw).filter((c) => c > 1e-6);
    expect(charges.some((c) => c < 0.94)).toBe(true);
  });

  test('PV at P4 charges the station without touching the house balance', async () => {
    const scenario = evening({ pv_kw: [0, 0, 0, 0.3, 0.3, 0.1, 0, 0] });
    const plan = await expectOptimal({ ...scenario, allow_grid_charging: false });
    const pv = plan.intervals.reduce((a, iv) => a + (iv.batteries[0]!.pv_kw ?? 0), 0);
    expect(pv).toBeGreaterThan(0.5);
    // allow_grid_charging false: P1 may only pass on solar surplus, so the evening's charging is all P4's.
    plan.intervals.forEach((iv, t) => {
      const surplus = Math.max(0, scenario.solar_kw[t]! - scenario.load_kw[t]!);
      expect(iv.batteries[0]!.charge_kw).toBeLessThanOrEqual(surplus + 1e-6);
    });
  });

  test('a station beside a battery, and at negative prices', async () => {
    await expectOptimal({
      ...evening(),
      battery: { capacity_kwh: 5, soc_pct: 50, max_charge_kw: 2, max_discharge_kw: 2 },
    });
    const negative = evening();
    negative.prices = {
      import: [-0.1, -0.2, 0.1, 0.3, 0.3, 0.4, -0.05, 0.2],
      export: new Array(8).fill(-0.1),
      currency: 'AUD',
    };
    await expectOptimal(negative);
  });

  test('the fallbacks keep the station inside its limits; the baseline neither grid-charges nor discharges it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const p = toProblem(Scenario.parse(randomStationScenario(seed)), Date.UTC(2025, 2, 1));
      const k = p.batteries.length - 1;
      const greedy = greedyDispatch(p);
      const baseline = selfConsumptionDispatch(p);
      const violation = firstLimitViolation(p, greedy);
      // Greedy may break a grid cap or SOC bound the scenario makes hard; never a station rule.
      if (violation !== null) expect(violation).not.toMatch(/bluetti/);
      if (p.batteries[k]!.station!.gridChargeMode === 'on_off') {
        for (const c of greedy.chargeKw[k]!) expect([0, p.batteries[k]!.maxChargeKw]).toContainEqual(c);
      }
      expect(baseline.chargeKw[k]!.every((c) => c === 0)).toBe(true);
      expect(baseline.dischargeKw[k]!.every((d) => d === 0)).toBe(true);
      const v = firstLimitViolation(p, baseline);
      if (v !== null) expect(v).not.toMatch(/bluetti/);
    }
  });
});

describe('the station asset: contract', () => {
  async function errorOf(input: unknown): Promise<ScenarioError> {
    try {
      await planScenario(input);
    } catch (e: unknown) {
      if (e instanceof ScenarioError) return e;
      throw e;
    }
    throw new Error('expected a ScenarioError');
  }

  test.each<[string, (s: ScenarioInput) => unknown, string, RegExp]>([
    [
      'p2 length',
      (s) => ({ ...s, station: { ...s.station!, p2_load_kw: [0.1] } }),
      'station.p2_load_kw',
      /expected 8 values/,
    ],
    [
      'pv length',
      (s) => ({ ...s, station: { ...s.station!, pv_kw: [0.1, 0.2] } }),
      'station.pv_kw',
      /expected 8 values/,
    ],
    [
      'p2 above the load',
      (s) => ({ ...s, station: { ...s.station!, p2_load_kw: [0.3, 0.3, 0.3, 2, 0.5, 0.6, 0.6, 0.6] } }),
      'station.p2_load_kw[3]',
      /more than load_kw\[3\]/,
    ],
    [
      'unknown mode',
      (s) => ({ ...s, station: { ...s.station!, grid_charge_mode: 'pwm' } }),
      'station.grid_charge_mode',
      /./,
    ],
    ['neither battery nor station', (s) => ({ ...s, station: undefined }), 'battery', /required/],
  ])('%s', async (_, mutate, field, message) => {
    const err = await errorOf(mutate(evening()));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  test('an existing scenario with a battery only is unchanged by the new field', async () => {
    const plan = await planScenario({
      ...evening(),
      station: undefined,
      battery: { capacity_kwh: 5, soc_pct: 50, max_charge_kw: 2, max_discharge_kw: 2 },
    });
    expect(plan.intervals[0]!.batteries[0]).not.toHaveProperty('pv_kw');
  });
});
