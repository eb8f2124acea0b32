import { highsRuntimeStats, planScenario, syntheticScenario, type ScenarioInput } from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';

describe('fallbacks', () => {
  test('a solver time limit gives the greedy plan, with the reason, inside every limit', async () => {
    const scenario = syntheticScenario({ hours: 24, ev: true });
    const plan = await planScenario(scenario, { timeLimitMs: 0.001 });
    expect(plan.status).toBe('fallback_greedy');
    expect(plan.solver).toBe('greedy');
    expect(plan.reason).toMatch(/time limit/);
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    expect(plan.savings).not.toBeNull();
  });

  test('when the greedy plan breaks a limit, the battery stays in self-consumption and says why', async () => {
    // An empty battery, and greedy charges the EV in the cheap hours on top of a 3 kW load: over the 4 kW cap.
    const n = 4;
    const scenario: ScenarioInput = {
      interval_minutes: 60,
      start: '2025-06-01T00:00:00Z',
      prices: { import: [0.1, 0.1, 0.5, 0.5], export: [0, 0, 0, 0], currency: 'AUD' },
      solar_kw: new Array(n).fill(0),
      load_kw: [3, 3, 0.5, 0.5],
      battery: { capacity_kwh: 10, soc_pct: 0, max_charge_kw: 3, max_discharge_kw: 3 },
      grid: { max_import_kw: 4, max_export_kw: 0 },
      ev: { max_kw: [7, 7, 7, 7], min_kw: 2, energy_needed_kwh: 2, charge_efficiency: 0.9, deadline_index: 4 },
    };
    const plan = await planScenario(scenario, { timeLimitMs: 0.001 });
    expect(plan.status).toBe('fallback_self_consumption');
    expect(plan.solver).toBe('self_consumption');
    expect(plan.reason).toMatch(/greedy plan breaks a limit/);
  });

  test('HiGHS is loaded once and reused across solves', async () => {
    const before = highsRuntimeStats();
    for (let i = 0; i < 5; i++) await planScenario(syntheticScenario({ hours: 6, seed: i }));
    const after = highsRuntimeStats();
    expect(after.loads).toBe(before.loads === 0 ? 1 : before.loads);
    expect(after.solves).toBeGreaterThanOrEqual(before.solves + 5);
  });
});
