import {
  greedyDispatch,
  planScenario,
  seededRandom,
  storedEnergy,
  targetShortfalls,
  toProblem,
  parseScenario,
  type Plan,
  type ScenarioInput,
} from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';

/**
 * The demand-response "upcoming" constraint (issue 11): a minimum stored energy at an event's
 * start, soft (penalised shortfall), with price optimisation going on around it.
 */

const CHARGE_EFF = 0.95;

/** Prices that vary hour to hour (seeded), so "the cheapest intervals" is a real choice. */
function variedPrices(n: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => Math.round((0.05 + 0.45 * rnd()) * 1000) / 1000);
}

/**
 * A battery with nothing else to do: no load, no solar, nothing paid for export, no value at the
 * horizon. The only reason to import is the target, so the cheapest plan buys exactly the energy
 * the target needs in the cheapest intervals before it: a case a brute force can check.
 */
function targetOnly(o: {
  prices: number[];
  intervalMinutes: 15 | 60;
  index: number;
  socPct: number;
  minSocPct: number;
  maxChargeKw: number;
}): ScenarioInput {
  const n = o.prices.length;
  return {
    interval_minutes: o.intervalMinutes,
    start: '2026-01-15T00:00:00Z',
    prices: { import: o.prices, export: new Array<number>(n).fill(0), currency: 'AUD' },
    solar_kw: new Array<number>(n).fill(0),
    load_kw: new Array<number>(n).fill(0),
    battery: {
      capacity_kwh: 10,
      soc_pct: o.socPct,
      min_soc_pct: 0,
      max_soc_pct: 100,
      max_charge_kw: o.maxChargeKw,
      max_discharge_kw: 5,
      charge_efficiency: CHARGE_EFF,
      discharge_efficiency: 0.95,
    },
    terminal_energy_value_per_kwh: 0,
    energy_targets: [{ index: o.index, min_soc_pct: o.minSocPct, label: 'DR event' }],
  };
}

/**
 * Independent of the model: every subset of the intervals before the target, the dearest interval
 * of the subset charging only what is still missing. The cheapest subset that can deliver the
 * energy is the least the target can cost.
 */
function bruteForceCost(prices: number[], index: number, neededKwh: number, maxChargeKw: number, h: number): number {
  const gridKwhNeeded = neededKwh / CHARGE_EFF;
  const perInterval = maxChargeKw * h;
  let best = Infinity;
  for (let mask = 1; mask < 1 << index; mask++) {
    const chosen: number[] = [];
    for (let t = 0; t < index; t++) if (mask & (1 << t)) chosen.push(prices[t]!);
    if (chosen.length * perInterval < gridKwhNeeded - 1e-9) continue;
    chosen.sort((a, b) => a - b);
    const full = chosen.length - 1;
    const rest = gridKwhNeeded - full * perInterval;
    if (rest < -1e-9) continue; // a smaller subset does it: counted there
    const cost = chosen.slice(0, full).reduce((s, p) => s + p * perInterval, 0) + chosen[full]! * rest;
    best = Math.min(best, cost);
  }
  return best;
}

function storedAtTarget(plan: Plan, index: number): number {
  return index === 0 ? NaN : (plan.intervals[index - 1]!.soc_pct / 100) * 10;
}

describe('energy target (the upcoming DR event) in the plan', () => {
  test.each([
    // CSRP: about 21 h notice, hourly prices. 2 kW charging, 20 % → 100 %: 8.4 kWh in at least 4.4 h.
    { name: 'CSRP-like, 21 h notice', intervalMinutes: 60 as const, index: 21, n: 24, soc: 20, max: 2, seed: 7 },
    // DLRP: about 2 h notice on 15-minute prices. 5 kW, 40 % → 100 %: 6.3 kWh in 1.26 h of the 2.
    { name: 'DLRP-like, 2 h notice', intervalMinutes: 15 as const, index: 8, n: 16, soc: 40, max: 5, seed: 11 },
  ])('$name: full at the start, charged in the cheapest feasible intervals', async (c) => {
    const prices = variedPrices(c.n, c.seed);
    const scenario = targetOnly({
      prices,
      intervalMinutes: c.intervalMinutes,
      index: c.index,
      socPct: c.soc,
      minSocPct: 100,
      maxChargeKw: c.max,
    });
    const plan = await planScenario(scenario);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    // Met at the start of the event (to the plan's 1 mWh rounding).
    expect(storedAtTarget(plan, c.index)).toBeGreaterThanOrEqual(10 - 1e-3);
    expect(plan.energy_targets).toEqual([
      expect.objectContaining({ label: 'DR event', index: c.index, min_kwh: 10, shortfall_kwh: 0 }),
    ]);
    // Nothing is bought after the start of the event (nothing there needs it).
    const h = c.intervalMinutes / 60;
    const importBefore = plan.intervals
      .slice(0, c.index)
      .reduce((s, iv) => s + iv.grid_import_kw * iv.import_price * h, 0);
    const expected = bruteForceCost(prices, c.index, ((100 - c.soc) / 100) * 10, c.max, h);
    // The plan's cost of the energy is the brute force's least cost: never below it (that would be
    // broken physics), above it by at most what smoothing may spend (the contract's 0.1 %) …
    expect(importBefore).toBeGreaterThanOrEqual(expected - 1e-6);
    expect(plan.cost! - expected).toBeLessThanOrEqual(1e-3 * Math.max(1, expected));
    // … and exactly it without smoothing.
    const exact = await planScenario(scenario, { smooth: false });
    expect(exact.cost!).toBeCloseTo(expected, 5);
    expect(storedAtTarget(exact, c.index)).toBeGreaterThanOrEqual(10 - 1e-3);
    // And the reason of the charging intervals names the target.
    const charging = plan.intervals.slice(0, c.index).filter((iv) => iv.action === 'CHARGE');
    expect(charging.length).toBeGreaterThan(0);
    for (const iv of charging) expect(iv.reason).toMatch(/^charging for DR event: 10\.00 kWh stored by \d\d:\d\d/);
  });

  test('price optimisation goes on around the target: a dear hour before the event still discharges into the load', async () => {
    // 8 hourly intervals; the event starts at index 6. Hour 2 is dear and the house draws 2 kW then:
    // the battery covers it and refills at the cheap hours 3–5, still full at the event.
    const scenario: ScenarioInput = {
      interval_minutes: 60,
      start: '2026-01-15T00:00:00Z',
      prices: { import: [0.3, 0.3, 0.9, 0.1, 0.1, 0.1, 0.5, 0.5], export: new Array(8).fill(0), currency: 'AUD' },
      solar_kw: new Array(8).fill(0),
      load_kw: [0, 0, 2, 0, 0, 0, 2, 2],
      battery: {
        capacity_kwh: 10,
        soc_pct: 100,
        max_charge_kw: 3,
        max_discharge_kw: 3,
        charge_efficiency: 0.95,
        discharge_efficiency: 0.95,
      },
      terminal_energy_value_per_kwh: 0,
      energy_targets: [{ index: 6, min_soc_pct: 100 }],
    };
    const plan = await planScenario(scenario);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    expect(plan.intervals[2]!.battery_discharge_kw).toBeCloseTo(2, 2);
    expect(plan.intervals[5]!.soc_pct).toBeGreaterThanOrEqual(100 - 1e-3);
    // Refilled at 0.1, never at 0.3.
    expect(plan.intervals[0]!.battery_charge_kw + plan.intervals[1]!.battery_charge_kw).toBeCloseTo(0, 3);
  });

  test('a target that cannot be met: the shortfall is reported and the plan is still valid', async () => {
    // 2 h at 1 kW charging from 10 % of 10 kWh: at most 1.9 kWh in, 2.9 kWh stored, 7.1 kWh short.
    const scenario = targetOnly({
      prices: variedPrices(12, 3),
      intervalMinutes: 60,
      index: 2,
      socPct: 10,
      minSocPct: 100,
      maxChargeKw: 1,
    });
    const plan = await planScenario(scenario);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    const report = plan.energy_targets![0]!;
    expect(report.shortfall_kwh).toBeCloseTo(10 - (1 + 2 * 0.95), 3);
    expect(report.planned_kwh).toBeCloseTo(2.9, 3);
    // Charging flat out in both intervals before it (the best it can do).
    expect(plan.intervals[0]!.battery_charge_kw).toBeCloseTo(1, 3);
    expect(plan.intervals[1]!.battery_charge_kw).toBeCloseTo(1, 3);
    expect(plan.intervals[0]!.reason).toMatch(/kWh short/);
  });

  test('the greedy fallback meets the target too', () => {
    const scenario = targetOnly({
      prices: variedPrices(24, 7),
      intervalMinutes: 60,
      index: 21,
      socPct: 20,
      minSocPct: 100,
      maxChargeKw: 2,
    });
    const p = toProblem(parseScenario(scenario), 0);
    const d = greedyDispatch(p);
    expect(targetShortfalls(p, storedEnergy(p, d))).toEqual([expect.closeTo(0, 6)]);
  });

  test('the contract names the field of a bad target', async () => {
    const bad = {
      ...targetOnly({ prices: [0.1, 0.2], intervalMinutes: 60, index: 1, socPct: 0, minSocPct: 50, maxChargeKw: 1 }),
    };
    await expect(planScenario({ ...bad, energy_targets: [{ index: 3, min_kwh: 1 }] })).rejects.toMatchObject({
      field: 'energy_targets[0].index',
    });
    await expect(planScenario({ ...bad, energy_targets: [{ index: 1 }] })).rejects.toMatchObject({
      field: 'energy_targets[0].min_kwh',
    });
    await expect(
      planScenario({ ...bad, energy_targets: [{ index: 1, min_kwh: 1, battery: 'nope' }] }),
    ).rejects.toMatchObject({
      field: 'energy_targets[0].battery',
    });
  });
});

describe('deferrable exclusions (shifting out of a DR event)', () => {
  test('a deferrable load is not scheduled inside the excluded window, even where it is cheapest', async () => {
    const n = 8;
    const scenario: ScenarioInput = {
      interval_minutes: 60,
      start: '2026-01-15T00:00:00Z',
      prices: { import: [0.5, 0.4, 0.05, 0.05, 0.3, 0.3, 0.2, 0.5], export: new Array(n).fill(0), currency: 'AUD' },
      solar_kw: new Array(n).fill(0),
      load_kw: new Array(n).fill(0.3),
      battery: { capacity_kwh: 5, soc_pct: 50, max_charge_kw: 0, max_discharge_kw: 0 },
      deferrable_loads: [{ name: 'dishwasher', power_kw: 1.2, start_index: 0, end_index: 8, run_minutes: 120 }],
      deferrable_exclusions: [{ start_index: 2, end_index: 4 }],
    };
    const plan = await planScenario(scenario);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(scenario, plan)).toEqual([]);
    const runs = plan.intervals.flatMap((iv, t) => (iv.deferrable_kw > 0 ? [t] : []));
    // Without the exclusion it would run at 2 and 3 (5 c); with it, at the next cheapest: 6 (20 c) and 4 or 5.
    expect(runs).toHaveLength(2);
    expect(runs).toContain(6);
    expect(runs.every((t) => t < 2 || t >= 4)).toBe(true);
    const greedy = greedyDispatch(toProblem(parseScenario(scenario), 0));
    expect(greedy.deferrableKw[0]!.slice(2, 4)).toEqual([0, 0]);
  });
});
