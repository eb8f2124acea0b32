import { planScenario, type BatterySpec, type ScenarioInput } from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';
import { randomStationScenario } from './helpers/random-station-scenario';
import { referenceOptimum } from './helpers/reference-solver';

/**
 * Several batteries in one plan (issue 12, item 4). The optimum is checked against a dynamic
 * programme over discretised stored energies written here, independently of the LP: pure price
 * arbitrage (no load, no solar) with every power, capacity and reserve a multiple of the energy
 * step, so the LP's optimal vertices lie on the DP's grid and both must find the same objective.
 * The LP is compared unsmoothed (stage 1: exact); the plan as shipped (smoothed) within the
 * contract's 0.1 %.
 */

interface DpBattery {
  readonly capacityKwh: number;
  readonly initialKwh: number;
  readonly minKwh: number;
  readonly maxKwh: number;
  /** Grid-side charge and discharge limits, kW. */
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly etaC: number;
  readonly etaD: number;
}

const STEP = 0.5;

/** min over SOC paths of Σ (import·max(net,0) − export·max(−net,0))·h − terminal·(E_end − E_0). */
function dpOptimum(
  batteries: readonly [DpBattery, DpBattery],
  imp: readonly number[],
  exp: readonly number[],
  hours: number,
  terminal: number,
): number {
  const levels = batteries.map((b) => Math.round(b.capacityKwh / STEP) + 1);
  const idx = (a: number, c: number): number => a * levels[1]! + c;
  let cost = new Array<number>(levels[0]! * levels[1]!).fill(Infinity);
  const start = batteries.map((b) => Math.round(b.initialKwh / STEP));
  cost[idx(start[0]!, start[1]!)] = 0;
  /** Grid-side power for moving a battery's store by `delta` kWh in one interval; null if beyond its limits. */
  const gridKw = (b: DpBattery, delta: number): number | null => {
    if (delta >= 0) {
      const kw = delta / b.etaC / hours;
      return kw <= b.maxChargeKw + 1e-9 ? kw : null;
    }
    const kw = (-delta * b.etaD) / hours;
    return kw <= b.maxDischargeKw + 1e-9 ? -kw : null;
  };
  for (let t = 0; t < imp.length; t++) {
    const next = new Array<number>(cost.length).fill(Infinity);
    for (let a = 0; a < levels[0]!; a++) {
      for (let c = 0; c < levels[1]!; c++) {
        const here = cost[idx(a, c)]!;
        if (here === Infinity) continue;
        for (let a2 = 0; a2 < levels[0]!; a2++) {
          const ea = a2 * STEP;
          if (ea < batteries[0].minKwh - 1e-9 || ea > batteries[0].maxKwh + 1e-9) continue;
          const pa = gridKw(batteries[0], (a2 - a) * STEP);
          if (pa === null) continue;
          for (let c2 = 0; c2 < levels[1]!; c2++) {
            const ec = c2 * STEP;
            if (ec < batteries[1].minKwh - 1e-9 || ec > batteries[1].maxKwh + 1e-9) continue;
            const pc = gridKw(batteries[1], (c2 - c) * STEP);
            if (pc === null) continue;
            const net = pa + pc;
            const step = (net > 0 ? imp[t]! * net : exp[t]! * net) * hours;
            const k = idx(a2, c2);
            if (here + step < next[k]!) next[k] = here + step;
          }
        }
      }
    }
    cost = next;
  }
  const e0 = batteries[0].initialKwh + batteries[1].initialKwh;
  let best = Infinity;
  for (let a = 0; a < levels[0]!; a++) {
    for (let c = 0; c < levels[1]!; c++) {
      const v = cost[idx(a, c)]! - terminal * ((a + c) * STEP - e0);
      if (v < best) best = v;
    }
  }
  return best;
}

/** Battery A: 6 kWh, 80 %/80 % (stores 2 kWh per hour at full power either way). */
const A: DpBattery = {
  capacityKwh: 6,
  initialKwh: 3,
  minKwh: 0.5,
  maxKwh: 6,
  maxChargeKw: 2.5,
  maxDischargeKw: 1.6,
  etaC: 0.8,
  etaD: 0.8,
};
/** Battery B: 3 kWh, 90 %/95 % (1 kWh per hour either way): smaller, more efficient. */
const B: DpBattery = {
  capacityKwh: 3,
  initialKwh: 1,
  minKwh: 0,
  maxKwh: 3,
  maxChargeKw: 1 / 0.9,
  maxDischargeKw: 0.95,
  etaC: 0.9,
  etaD: 0.95,
};

function spec(name: string, b: DpBattery): BatterySpec {
  return {
    name,
    capacity_kwh: b.capacityKwh,
    soc_pct: (100 * b.initialKwh) / b.capacityKwh,
    min_soc_pct: (100 * b.minKwh) / b.capacityKwh,
    max_soc_pct: (100 * b.maxKwh) / b.capacityKwh,
    max_charge_kw: b.maxChargeKw,
    max_discharge_kw: b.maxDischargeKw,
    charge_efficiency: b.etaC,
    discharge_efficiency: b.etaD,
    cycle_cost_per_kwh: 0,
  };
}

function arbitrage(imp: number[], exp: number[], terminal: number): ScenarioInput {
  return {
    interval_minutes: 60,
    start: '2025-06-01T00:00:00Z',
    prices: { import: imp, export: exp, currency: 'AUD' },
    solar_kw: imp.map(() => 0),
    load_kw: imp.map(() => 0),
    battery: [spec('big', A), spec('small', B)],
    terminal_energy_value_per_kwh: terminal,
  };
}

/** A small deterministic generator (the test must not depend on Math.random). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('two batteries of different sizes and efficiencies: the joint plan is optimal', () => {
  test('a dear evening: both batteries charge at night and discharge at the peak, each within its limits', async () => {
    const imp = [0.1, 0.1, 0.1, 0.3, 0.6, 0.6, 0.6, 0.3];
    const exp = [0.02, 0.02, 0.02, 0.1, 0.5, 0.5, 0.5, 0.1];
    const scenario = arbitrage(imp, exp, 0.05);
    const plan = await planScenario(scenario);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    const dp = dpOptimum([A, B], imp, exp, 1, 0.05);
    expect((await planScenario(scenario, { smooth: false })).objective!).toBeCloseTo(dp, 6);
    expect(plan.objective! - dp).toBeGreaterThanOrEqual(-1e-9);
    expect(plan.objective! - dp).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(dp)));
    expect(plan.intervals[0]!.batteries.map((b) => b.name)).toEqual(['big', 'small']);
    // Both are used: each charges in the cheap hours and discharges at the peak.
    for (const name of ['big', 'small']) {
      const rows = plan.intervals.map((i) => i.batteries.find((b) => b.name === name)!);
      expect(rows.slice(0, 3).some((b) => b.charge_kw > 0.1)).toBe(true);
      expect(rows.slice(4, 7).some((b) => b.discharge_kw > 0.1)).toBe(true);
    }
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('random prices %i: the LP equals the DP', async (seed) => {
    const rand = prng(seed);
    const imp = Array.from({ length: 6 }, () => Math.round((0.05 + rand() * 0.6) * 100) / 100);
    const exp = imp.map((p) => Math.round(p * (0.3 + rand() * 0.6) * 100) / 100);
    const terminal = Math.round(rand() * 0.3 * 100) / 100;
    const scenario = arbitrage(imp, exp, terminal);
    const plan = await planScenario(scenario, { smooth: false });
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    const dp = dpOptimum([A, B], imp, exp, 1, terminal);
    expect(Math.abs(plan.objective! - dp)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(dp)));
  });

  test('a power station alongside a plain battery plans optimally (checked against the reference LP)', async () => {
    let checked = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const base = randomStationScenario(seed);
      const scenario: ScenarioInput = {
        ...base,
        battery: [spec('sungrow', A)],
        // The station cannot export, the battery may.
        allow_battery_export: true,
      };
      const reference = referenceOptimum(scenario);
      const plan = await planScenario(scenario);
      if (!reference.feasible) continue;
      checked++;
      expect(plan.status).toBe('optimal');
      expect(checkPlanPhysics(scenario, plan)).toEqual([]);
      expect(plan.objective! - reference.objective).toBeLessThanOrEqual(
        1e-3 * Math.max(1, Math.abs(reference.objective)),
      );
      expect(plan.objective! - reference.objective).toBeGreaterThan(-1e-3 * Math.max(1, Math.abs(reference.objective)));
      expect(plan.intervals[0]!.batteries.map((b) => b.name)).toEqual(['sungrow', base.station!.name ?? 'station']);
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
