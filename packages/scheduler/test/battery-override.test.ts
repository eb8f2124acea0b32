import {
  evaluateDispatch,
  getHighs,
  optimiseDispatch,
  parseScenario,
  planScenario,
  ScenarioError,
  toProblem,
  type Plan,
  type ScenarioInput,
} from '../src/index';
import { checkPlanPhysics } from './helpers/physics-checker';

/**
 * battery_overrides (issue 14): a manual override is an input of the plan. The intervals under it
 * run at the fixed power, the SOC after them follows, and the rest of the horizon is optimised
 * around it.
 */

const N = 6;

/** 1-hour intervals, a lossless 10 kWh battery, 1 kW of load, nothing paid for export. */
function scenario(extra: Partial<ScenarioInput> & { import?: number[]; soc?: number } = {}): ScenarioInput {
  const { import: prices, soc, ...rest } = extra;
  return {
    interval_minutes: 60,
    start: '2026-01-15T00:00:00Z',
    prices: {
      import: prices ?? [0.1, 0.1, 0.5, 0.1, 0.5, 0.5],
      export: new Array<number>(N).fill(0),
      currency: 'AUD',
    },
    solar_kw: new Array<number>(N).fill(0),
    load_kw: new Array<number>(N).fill(1),
    battery: {
      capacity_kwh: 10,
      soc_pct: soc ?? 50,
      min_soc_pct: 0,
      max_soc_pct: 100,
      max_charge_kw: 5,
      max_discharge_kw: 5,
      charge_efficiency: 1,
      discharge_efficiency: 1,
    },
    terminal_energy_value_per_kwh: 0,
    ...rest,
  };
}

/**
 * Independent of the model: every battery power on a 0.5 kW grid in the free intervals (lossless,
 * so a net power says it all), the SOC kept in its bounds; the cheapest import bill.
 */
function bruteForceCost(prices: number[], from: number, startKwh: number, loadKw: number): number {
  const steps: number[] = [];
  for (let v = -5; v <= 5 + 1e-9; v += 0.5) steps.push(v);
  let best = Infinity;
  const walk = (t: number, stored: number, cost: number): void => {
    if (t === prices.length) {
      best = Math.min(best, cost);
      return;
    }
    for (const net of steps) {
      // net > 0 discharges; the grid covers what the battery does not.
      const next = stored - net;
      if (next < -1e-9 || next > 10 + 1e-9) continue;
      walk(t + 1, next, cost + prices[t]! * Math.max(0, loadKw - net));
    }
  };
  walk(from, startKwh, 0);
  return best;
}

function plannedSoc(plan: Plan): number[] {
  return plan.intervals.map((i) => i.soc_pct);
}

describe('battery_overrides', () => {
  it('runs the override exactly, its SOC follows, and the rest is optimised around it (vs brute force)', async () => {
    const prices = [0.1, 0.1, 0.5, 0.1, 0.5, 0.5];
    const input = scenario({
      import: prices,
      battery_overrides: [{ start_index: 0, end_index: 2, kind: 'discharge', power_kw: 2, label: 'manual override' }],
    });
    const plan = await planScenario(input);
    expect(plan.status).toBe('optimal');
    expect(checkPlanPhysics(input, plan)).toEqual([]);
    // Cheap hours, yet the battery discharges at 2 kW, as the person asked.
    for (const i of plan.intervals.slice(0, 2)) {
      expect(i).toMatchObject({ action: 'EXPORT', battery_charge_kw: 0, override: true, reason: 'manual override' });
      expect(i.battery_discharge_kw).toBeCloseTo(2, 6);
      expect(i.batteries[0]?.override).toBe(true);
      expect(i.grid_export_kw).toBeCloseTo(1, 6);
    }
    expect(plannedSoc(plan)[0]).toBeCloseTo(30, 4);
    expect(plannedSoc(plan)[1]).toBeCloseTo(10, 4);
    for (const i of plan.intervals.slice(2)) expect(i.override).toBeUndefined();
    // The rest: from 1 kWh left, the cheapest way through the remaining hours.
    const rest = bruteForceCost(prices, 2, 1, 1);
    expect(rest).toBeCloseTo(0.3, 9);
    expect(Math.abs((plan.cost ?? NaN) - rest)).toBeLessThanOrEqual(1e-3 * Math.max(1, rest));
    // The override costs money: without it the same hours cost less (no energy given away).
    const free = await planScenario(scenario({ import: prices }));
    expect(free.cost ?? NaN).toBeLessThan((plan.cost ?? NaN) - 0.1);
  });

  it('clips a power past the battery limit and says so; a full battery stops and the plan shows it', async () => {
    const input = scenario({
      soc: 90,
      battery_overrides: [{ start_index: 0, end_index: 2, kind: 'charge', power_kw: 8, label: 'force charge' }],
    });
    const plan = await planScenario(input);
    expect(checkPlanPhysics(input, plan)).toEqual([]);
    const [first, second] = plan.intervals;
    // 1 kWh of room: the first hour takes it, the second has nothing left to charge.
    expect(first?.battery_charge_kw).toBeCloseTo(1, 4);
    expect(first?.action).toBe('CHARGE');
    expect(first?.reason).toBe("force charge (clipped to 5.00 kW, the battery's charge limit; battery full)");
    expect(second).toMatchObject({ action: 'IDLE', override: true });
    expect(second?.battery_charge_kw).toBeCloseTo(0, 4);
    expect(
      plannedSoc(plan)
        .slice(0, 2)
        .map((v) => Math.round(v * 1000) / 1000),
    ).toEqual([100, 100]);
    // What the full battery cannot take is known from the SOC now: no penalty is left in what the
    // optimiser minimises (a penalty there would widen its relative gaps for the rest of the plan).
    const p = toProblem(parseScenario(input), 0);
    const r = optimiseDispatch(await getHighs(), p, { timeLimitMs: 10_000 });
    if (r.kind !== 'optimal') throw new Error(r.kind);
    expect(r.objective).toBeCloseTo(evaluateDispatch(p, r.dispatch).objective, 6);
  });

  it('a discharge runs from the first interval until the floor, not at the dearest hours of its window', async () => {
    const input = scenario({
      soc: 15,
      import: [0.1, 0.9, 0.9, 0.1, 0.1, 0.1],
      battery_overrides: [{ start_index: 0, end_index: 3, kind: 'discharge', power_kw: 1, label: 'drain' }],
    });
    const plan = await planScenario(input);
    expect(plan.intervals.slice(0, 3).map((i) => Math.round(i.battery_discharge_kw * 1000) / 1000)).toEqual([
      1, 0.5, 0,
    ]);
    expect(plan.intervals[2]?.reason).toBe('drain (battery at its minimum)');
  });

  it('a hold keeps the battery still; a hold up to a SOC charges to it first', async () => {
    const hold = await planScenario(
      scenario({
        import: [0.9, 0.9, 0.1, 0.1, 0.1, 0.1],
        battery_overrides: [{ start_index: 0, end_index: 2, kind: 'hold' }],
      }),
    );
    for (const i of hold.intervals.slice(0, 2)) {
      expect(i).toMatchObject({ action: 'IDLE', battery_charge_kw: 0, battery_discharge_kw: 0, override: true });
      expect(i.soc_pct).toBeCloseTo(50, 6);
      expect(i.grid_import_kw).toBeCloseTo(1, 6);
    }
    const upTo = await planScenario(
      scenario({
        battery_overrides: [{ start_index: 0, end_index: 3, kind: 'hold', soc_pct: 70, power_kw: 1, label: 'hold' }],
      }),
    );
    expect(
      plannedSoc(upTo)
        .slice(0, 3)
        .map((v) => Math.round(v * 1000) / 1000),
    ).toEqual([60, 70, 70]);
    expect(upTo.intervals[2]).toMatchObject({ action: 'IDLE', reason: 'hold (SOC target reached, holding)' });
  });

  it('a forced charge ignores allow_grid_charging (the person asked for it)', async () => {
    const plan = await planScenario(
      scenario({
        allow_grid_charging: false,
        battery_overrides: [{ start_index: 0, end_index: 1, kind: 'charge', power_kw: 2 }],
      }),
    );
    expect(plan.intervals[0]?.battery_charge_kw).toBeCloseTo(2, 6);
    expect(plan.intervals[1]?.battery_charge_kw).toBeCloseTo(0, 6);
  });

  it('in a fleet, only the named battery is fixed; the other is optimised', async () => {
    const base = scenario({ import: [0.1, 0.1, 0.9, 0.9, 0.9, 0.9] });
    const input: ScenarioInput = {
      ...base,
      battery: [
        { ...(base.battery as object), name: 'a', soc_pct: 10 } as never,
        { ...(base.battery as object), name: 'b', soc_pct: 10 } as never,
      ],
      battery_overrides: [{ battery: 'a', start_index: 0, end_index: 2, kind: 'hold', label: 'hold a' }],
    };
    const plan = await planScenario(input);
    expect(checkPlanPhysics(input, plan)).toEqual([]);
    for (const i of plan.intervals.slice(0, 2)) {
      const [a, b] = i.batteries;
      expect(a).toMatchObject({ name: 'a', charge_kw: 0, discharge_kw: 0, override: true });
      expect(b?.override).toBeUndefined();
      expect(i.reason.startsWith('a: hold a; ')).toBe(true);
    }
    // a is held, so b charges for the dear hours in the cheap ones.
    expect(plan.intervals[0]?.batteries[1]?.charge_kw).toBeGreaterThan(0.05);
  });

  it('rejects overlapping windows, an unknown battery and a hold-to-SOC that starts later, naming the field', async () => {
    const fieldOf = async (overrides: unknown[]): Promise<string> => {
      try {
        await planScenario({ ...scenario(), battery_overrides: overrides });
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      throw new Error('expected a ScenarioError');
    };
    await expect(
      fieldOf([
        { start_index: 0, end_index: 3, kind: 'hold' },
        { start_index: 2, end_index: 4, kind: 'charge' },
      ]),
    ).resolves.toMatch(/^battery_overrides\[1\]\.start_index: .*overlaps battery_overrides\[0\]/);
    await expect(fieldOf([{ battery: 'x', start_index: 0, end_index: 1, kind: 'hold' }])).resolves.toMatch(
      /^battery_overrides\[0\]\.battery: .*"x" is not a battery/,
    );
    await expect(fieldOf([{ start_index: 1, end_index: 2, kind: 'hold', soc_pct: 60 }])).resolves.toMatch(
      /^battery_overrides\[0\]\.soc_pct: .*must start at index 0/,
    );
    await expect(fieldOf([{ start_index: 0, end_index: 7, kind: 'charge' }])).resolves.toMatch(
      /^battery_overrides\[0\]\.end_index: .*horizon/,
    );
  });
});
