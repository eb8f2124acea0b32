import {
  buildBatteryLpModel,
  getHighs,
  optimiseDispatch,
  parseScenario,
  planScenario,
  solveWithHighs,
  syntheticScenario,
  toProblem,
} from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';

// EV scenarios long enough that the relaxation leaves EV intervals below min_kw, so the warm on/off
// search (onoff-search.ts) runs; each result is compared with HiGHS' own MIP at a tight gap.
describe('on/off search (EV minimum power)', () => {
  const cases = [12, 24].flatMap((hours) => [1, 2, 3].map((seed) => ({ hours, seed })));

  test.each(cases)(
    '$hours h × 5 min, seed $seed: within 0.1 % of the MIP optimum, EV 0 or ≥ min_kw',
    async ({ hours, seed }) => {
      const highs = await getHighs();
      const input = syntheticScenario({ hours, intervalMinutes: 5, ev: true, maxExportKw: 5, seed });
      const p = toProblem(parseScenario(input), Date.parse('2025-06-01T00:00:00Z'));
      const result = optimiseDispatch(highs, p, { timeLimitMs: 60_000, smooth: false });
      if (result.kind !== 'optimal') throw new Error(`expected an optimal result, got ${result.kind}`);

      const off = p.importPrice.map(() => false);
      const mip = buildBatteryLpModel(p, {
        chargeModeBinary: [off],
        importModeBinary: off,
        evBinary: p.importPrice.map(() => true),
        deferrableInteger: [],
      });
      const exact = solveWithHighs(highs, mip.lp, { timeLimitSeconds: 60, mipRelGap: 1e-5, mipAbsGap: 1e-6 });
      if (exact.kind !== 'optimal') throw new Error(`reference MIP: ${exact.kind}`);
      // The reference is itself up to 1e-5 above the true optimum.
      const optimum = exact.objective - 1e-5 * Math.max(1, Math.abs(exact.objective));
      const scale = Math.max(1, Math.abs(optimum));
      expect(result.lowerBound).toBeLessThanOrEqual(exact.objective + 1e-9);
      expect(result.objective - optimum).toBeLessThanOrEqual(1e-3 * scale);
      expect(result.objective).toBeGreaterThanOrEqual(optimum - 1e-6);
      const minKw = p.ev!.minKw;
      for (const kw of result.dispatch.evKw) expect(kw < 1e-6 || kw >= minKw - 1e-6).toBe(true);
      expect(['search', 'lp', 'rounding', 'mip']).toContain(result.method);
    },
  );

  test('the search is what settles these cases (not the MIP fallback)', async () => {
    const highs = await getHighs();
    const methods = [1, 2, 3].map((seed) => {
      const input = syntheticScenario({ hours: 24, intervalMinutes: 5, ev: true, maxExportKw: 5, seed });
      const result = optimiseDispatch(highs, toProblem(parseScenario(input), 0), {
        timeLimitMs: 60_000,
        smooth: false,
      });
      return result.kind === 'optimal' ? result.method : result.kind;
    });
    expect(methods).toEqual(['search', 'search', 'search']);
  });

  test('a whole 24 h EV plan from the search passes the physics check', async () => {
    const input = syntheticScenario({ hours: 24, intervalMinutes: 5, ev: true, maxExportKw: 5, seed: 2 });
    const plan = await planScenario(input);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(input, plan)).toEqual([]);
  });
});
