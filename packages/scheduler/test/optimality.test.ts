import { planScenario, type ScenarioInput } from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';
import { randomScenario } from './helpers/random-scenario';
import { referenceOptimum } from './helpers/reference-solver';

const tolerance = (optimum: number): number => 1e-3 * Math.max(1, Math.abs(optimum));

const statuses: string[] = [];

async function expectOptimal(scenario: ScenarioInput): Promise<void> {
  const plan = await planScenario(scenario);
  const reference = referenceOptimum(scenario);
  statuses.push(plan.status);
  if (!reference.feasible) {
    expect({ status: plan.status, reason: plan.reason }).toEqual({ status: 'infeasible', reason: expect.any(String) });
    return;
  }
  expect({ status: plan.status, reason: plan.reason }).toEqual({ status: 'optimal', reason: null });
  expect(checkPlanPhysics(scenario, plan)).toEqual([]);
  const gap = plan.objective! - reference.objective;
  // Never better than the true optimum (that would mean broken physics), never worse than 0.1 %.
  expect(gap).toBeGreaterThan(-tolerance(reference.objective));
  expect(gap).toBeLessThanOrEqual(tolerance(reference.objective));
}

describe('optimality against an independent formulation (javascript-lp-solver, binaries everywhere)', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
  test.each(seeds)('random scenario %i', async (seed) => {
    await expectOptimal(randomScenario(seed));
  });
  test('the random set is mostly feasible, so the comparison is not vacuous', () => {
    expect(statuses.filter((s) => s === 'optimal').length).toBeGreaterThanOrEqual(30);
  });
});

const base = (overrides: Partial<ScenarioInput> = {}): ScenarioInput => ({
  interval_minutes: 60,
  start: '2025-06-01T00:00:00Z',
  prices: {
    import: [0.1, 0.1, 0.3, 0.5, 0.5, 0.2, 0.1, 0.4],
    export: [0.05, 0.05, 0.1, 0.3, 0.3, 0.05, 0.0, 0.2],
    currency: 'AUD',
  },
  solar_kw: [0, 0, 2, 4, 4, 2, 0, 0],
  load_kw: [0.5, 0.5, 1, 1, 1.5, 2, 2, 1],
  battery: {
    capacity_kwh: 10,
    soc_pct: 50,
    min_soc_pct: 10,
    max_soc_pct: 95,
    max_charge_kw: 3,
    max_discharge_kw: 3,
    charge_efficiency: 0.95,
    discharge_efficiency: 0.95,
    cycle_cost_per_kwh: 0.01,
  },
  grid: { max_import_kw: 10, max_export_kw: 5 },
  terminal_energy_value_per_kwh: 0.1,
  ...overrides,
});

describe('hand-made edge cases', () => {
  const battery = base().battery as Exclude<ScenarioInput['battery'], unknown[] | undefined>;

  test('empty battery (at min SOC)', async () => {
    await expectOptimal(base({ battery: { ...battery, soc_pct: 10 } }));
  });

  test('full battery (at max SOC)', async () => {
    await expectOptimal(base({ battery: { ...battery, soc_pct: 95 } }));
  });

  test('all-negative prices', async () => {
    const scenario = base({
      prices: {
        import: [-0.1, -0.2, -0.05, -0.3, -0.1, -0.2, -0.1, -0.05],
        export: [-0.2, -0.3, -0.1, -0.4, -0.2, -0.3, -0.2, -0.1],
        currency: 'AUD',
      },
    });
    // The checker forbids burning energy by charging and discharging at once (what an LP without
    // exclusivity would do here) and importing while exporting; the reference has binaries for both.
    await expectOptimal(scenario);
  });

  test('zero export cap', async () => {
    const scenario = base({ grid: { max_import_kw: 10, max_export_kw: 0 } });
    await expectOptimal(scenario);
    const plan = await planScenario(scenario);
    expect(Math.max(...plan.intervals.map((iv) => iv.grid_export_kw))).toBeLessThan(1e-3);
  });

  test('export paying more than import (arbitrage through the meter is impossible)', async () => {
    await expectOptimal(
      base({ prices: { import: new Array(8).fill(0.1), export: new Array(8).fill(0.2), currency: 'AUD' } }),
    );
  });

  test('no grid charging, no battery export, no curtailment', async () => {
    await expectOptimal(
      base({
        allow_grid_charging: false,
        allow_battery_export: false,
        allow_curtailment: false,
        grid: { max_import_kw: 10, max_export_kw: 10 },
      }),
    );
  });

  test('EV with minimum power and a deadline', async () => {
    await expectOptimal(
      base({
        ev: {
          max_kw: [7, 7, 0, 0, 0, 7, 7, 7],
          min_kw: 2,
          energy_needed_kwh: 9,
          charge_efficiency: 0.9,
          deadline_index: 7,
        },
      }),
    );
  });

  test('deferrable load and demand charge', async () => {
    await expectOptimal(
      base({
        deferrable_loads: [{ name: 'pool pump', power_kw: 1.2, start_index: 1, end_index: 8, energy_kwh: 3 }],
        demand_charge: { cost_per_kw: 0.4, windows: [{ start_index: 2, end_index: 6 }] },
      }),
    );
  });

  test('two batteries with different limits', async () => {
    await expectOptimal(base({ battery: [battery, { ...battery, capacity_kwh: 5, soc_pct: 90, max_charge_kw: 1 }] }));
  });
});
