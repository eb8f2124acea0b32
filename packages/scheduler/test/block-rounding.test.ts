import {
  buildBatteryLpModel,
  getHighs,
  optimiseDispatch,
  parseScenario,
  planScenario,
  solveWithHighs,
  syntheticScenario,
  toProblem,
  type ScenarioInput,
} from '../src/index';
import { BLOCK_ATTEMPTS, deferrableBlocks } from '../src/block-rounding';
import { SEARCH_GAP } from '../src/optimise';
import { checkPlanPhysics } from './helpers/physics-checker';

/**
 * Deferrable loads rounded on switching blocks (block-rounding.ts): a restriction of the exact
 * model, kept only within SEARCH_GAP (0.08 % of max(1, |bound|)) of the exact relaxation's bound.
 * Here the bound on the loss is checked against HiGHS' exact MIP (every EV interval and every load
 * interval a binary, gap 1e-5) on scenarios shaped like issue 12's benchmark.
 */
const START = '2025-06-01T00:00:00Z';

/** Two batteries, three loads (water heater, pool pump, dishwasher), optionally an EV: bench/multi-battery-solve.mjs's shape. */
function loadsScenario(hours: number, seed: number, ev: boolean): ScenarioInput {
  const base = syntheticScenario({ hours, intervalMinutes: 5, ev, maxExportKw: 5, seed, start: START });
  const n = base.prices.import.length;
  const at = (hour: number): number => Math.min(n, Math.round((hour * 60) / 5));
  const first = base.battery as Exclude<ScenarioInput['battery'], unknown[] | undefined>;
  return {
    ...base,
    battery: [
      first,
      {
        name: 'second battery',
        capacity_kwh: 5,
        soc_pct: 60,
        min_soc_pct: 20,
        max_soc_pct: 95,
        max_charge_kw: 2.5,
        max_discharge_kw: 3,
        charge_efficiency: 0.9,
        discharge_efficiency: 0.92,
        cycle_cost_per_kwh: 0.05,
      },
    ],
    deferrable_loads: [
      { name: 'water heater', power_kw: 3.6, start_index: 0, end_index: at(24), run_minutes: 120 },
      { name: 'pool pump', power_kw: 1.1, start_index: at(6), end_index: at(20), run_minutes: 240 },
      { name: 'dishwasher', power_kw: 1.8, start_index: at(19), end_index: at(31), energy_kwh: 1.5 },
    ],
  };
}

describe('switching blocks for deferrable loads', () => {
  test('the block rule: 30 (else 15) minutes when the run is whole blocks; none at hourly intervals', () => {
    const p = toProblem(parseScenario(loadsScenario(24, 1, false)), 0);
    // 120 min = 24 intervals → 6; 240 min → 6; the dishwasher's 10 intervals are no whole block of 6 or 3.
    expect(deferrableBlocks(p, BLOCK_ATTEMPTS[0]!)).toEqual([6, 6, 1]);
    expect(deferrableBlocks(p, BLOCK_ATTEMPTS[1]!)).toEqual([12, 12, 1]);
    const quarter = toProblem(
      parseScenario({
        ...syntheticScenario({ hours: 12, intervalMinutes: 15, seed: 1, start: START }),
        deferrable_loads: [
          { name: 'a', power_kw: 1, start_index: 0, end_index: 48, run_minutes: 60 },
          { name: 'b', power_kw: 1, start_index: 0, end_index: 48, run_minutes: 45 },
        ],
      }),
      0,
    );
    expect(deferrableBlocks(quarter, BLOCK_ATTEMPTS[0]!)).toEqual([2, 1]);
    const hourly = toProblem(
      parseScenario({
        ...syntheticScenario({ hours: 12, intervalMinutes: 60, seed: 1, start: START }),
        deferrable_loads: [{ name: 'a', power_kw: 1, start_index: 0, end_index: 12, run_minutes: 120 }],
      }),
      0,
    );
    expect(deferrableBlocks(hourly, BLOCK_ATTEMPTS[0]!)).toBeNull();
  });

  test('a block with an excluded interval is excluded whole; the rest of the window stays open', () => {
    const input = {
      ...loadsScenario(24, 1, false),
      deferrable_exclusions: [{ start_index: 140, end_index: 141 }],
    };
    const p = toProblem(parseScenario(input), 0);
    const off = p.importPrice.map(() => false);
    const m = buildBatteryLpModel(p, {
      chargeModeBinary: p.batteries.map(() => off),
      importModeBinary: off,
      evBinary: off,
      deferrableInteger: p.deferrables.map(() => off),
      deferrableBlocks: [6, 6, 1],
    });
    const heater = m.vars.deferrableOn[0]!;
    // Interval 140 lies in the heater's block 138–143 (window from 0, blocks of 6).
    expect(new Set(heater.slice(138, 144)).size).toBe(1);
    expect(m.lp.colUpper[heater[140]!]).toBe(0);
    expect(m.lp.colUpper[heater[137]!]).toBe(1);
    expect(m.lp.colUpper[heater[144]!]).toBe(1);
  });

  const methods: string[] = [];
  const cases = [1, 2, 3].flatMap((seed) => [false, true].map((ev) => ({ seed, ev })));
  test.each(cases)(
    '24 h × 5 min, seed $seed, EV $ev: within SEARCH_GAP of the exact MIP, loads switched on block boundaries',
    async ({ seed, ev }) => {
      const highs = await getHighs();
      const p = toProblem(parseScenario(loadsScenario(24, seed, ev)), 0);
      const result = optimiseDispatch(highs, p, { timeLimitMs: 60_000, smooth: false });
      if (result.kind !== 'optimal') throw new Error(`expected an optimal result, got ${result.kind}`);
      methods.push(result.method);

      const all = p.importPrice.map(() => true);
      const off = p.importPrice.map(() => false);
      const exactModel = buildBatteryLpModel(p, {
        chargeModeBinary: p.batteries.map(() => off),
        importModeBinary: off,
        evBinary: all,
        deferrableInteger: p.deferrables.map(() => all),
      });
      const exact = solveWithHighs(highs, exactModel.lp, { timeLimitSeconds: 120, mipRelGap: 1e-5, mipAbsGap: 1e-6 });
      if (exact.kind !== 'optimal') throw new Error(`exact MIP: ${exact.kind}`);
      // The exact MIP stops up to 1e-5 above the true optimum.
      const optimum = exact.objective - 1e-5 * Math.max(1, Math.abs(exact.objective));
      const scale = Math.max(1, Math.abs(optimum));
      expect(result.lowerBound).toBeLessThanOrEqual(exact.objective + 1e-9);
      expect(result.objective).toBeGreaterThanOrEqual(optimum - 1e-6);
      expect(result.objective - optimum).toBeLessThanOrEqual(SEARCH_GAP * scale);

      // Each load runs its run, in whole blocks that start at its window start (the dishwasher has
      // none; hour blocks, the second attempt, are whole 30-minute blocks too).
      const blocks = result.method === 'blocks' ? [6, 6, 1] : [1, 1, 1];
      p.deferrables.forEach((d, k) => {
        const on = result.dispatch.deferrableKw[k]!.map((kw) => kw > 0);
        expect(on.filter(Boolean).length).toBe(d.runIntervals);
        const size = blocks[k]!;
        for (let t = d.startIndex; t < d.endIndex; t += size) {
          const block = on.slice(t, Math.min(d.endIndex, t + size));
          expect(block.every((v) => v === block[0])).toBe(true);
        }
      });
    },
  );

  test('the blocks settle most of these (the rest fall back to the exact search or the MIP)', () => {
    expect(methods).toHaveLength(cases.length);
    expect(methods.filter((m) => m === 'blocks').length).toBeGreaterThanOrEqual(5);
  });

  test('the issue-12 benchmark shape (48 h × 5 min) is settled by the blocks, provably within SEARCH_GAP', async () => {
    const highs = await getHighs();
    const input = loadsScenario(48, 1, true);
    const p = toProblem(parseScenario(input), 0);
    const result = optimiseDispatch(highs, p, { timeLimitMs: 60_000, smooth: false });
    if (result.kind !== 'optimal') throw new Error(`expected an optimal result, got ${result.kind}`);
    expect(result.method).toBe('blocks');
    expect(result.objective - result.lowerBound).toBeLessThanOrEqual(
      SEARCH_GAP * Math.max(1, Math.abs(result.lowerBound)) + 1e-9,
    );
    const plan = await planScenario(input);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(input, plan)).toEqual([]);
  });
});
