import { PlanJson } from '../src/data/api-types.js';
import { currentAndNext, planTable } from '../src/format/plan-table.js';

const interval = (start: string, o: Partial<Record<string, number | string>> = {}): Record<string, unknown> => ({
  start,
  action: 'SELF_CONSUMPTION',
  battery_charge_kw: 0,
  battery_discharge_kw: 0,
  grid_import_kw: 0,
  grid_export_kw: 0,
  soc_pct: 50,
  import_price: 0.3,
  export_price: 0.05,
  reason: 'covers the load',
  ...o,
});

function plan(intervals: Record<string, unknown>[], extra: Record<string, unknown> = {}): PlanJson {
  return PlanJson.parse({
    status: 'optimal',
    currency: 'AUD',
    interval_minutes: 30,
    savings: 0.9,
    intervals,
    ...extra,
  });
}

describe('the per-slot plan table', () => {
  it('prices each slot from its own flows over the interval length', () => {
    const t = planTable(
      plan([
        // 2 kW import at 0.30 for half an hour: 0.30.
        interval('2026-12-04T00:00:00Z', { grid_import_kw: 2, action: 'CHARGE', battery_charge_kw: 2 }),
        // 4 kW export at 0.10 for half an hour: −0.20.
        interval('2026-12-04T00:30:00Z', {
          grid_export_kw: 4,
          export_price: 0.1,
          action: 'EXPORT',
          battery_discharge_kw: 4,
        }),
      ]),
    );
    expect(t.rows.map((r) => r.cost)).toEqual([0.3, -0.2]);
    expect(t.totalCost).toBeCloseTo(0.1, 9);
    expect(t.rows[0]!.batteryKw).toBe(-2);
    expect(t.rows[1]!.gridKw).toBe(-4);
    expect(t.rows[0]!.reason).toBe('covers the load');
  });

  it('accumulates savings against each slot baseline', () => {
    const t = planTable(
      plan([
        interval('2026-12-04T00:00:00Z', { grid_import_kw: 2, baseline_cost: 0.5 }), // saves 0.2
        interval('2026-12-04T00:30:00Z', { grid_import_kw: 1, baseline_cost: 0.1 }), // costs 0.15: −0.05
        interval('2026-12-04T01:00:00Z', { baseline_cost: 0.3 }), // saves 0.3
      ]),
    );
    expect(t.rows.map((r) => r.cumulativeSavings)).toEqual([0.2, 0.15, 0.45]);
    expect(t.totalSavings).toBeCloseTo(0.45, 9);
  });

  it('falls back to the plan total without per-slot baselines, and shows no made-up column', () => {
    const t = planTable(plan([interval('2026-12-04T00:00:00Z', { grid_import_kw: 1 })]));
    expect(t.rows[0]!.cumulativeSavings).toBeNull();
    expect(t.totalSavings).toBe(0.9);
    expect(t.rows[0]!.pvKw).toBeNull();
  });

  it('finds the current slot and the next change of action', () => {
    const p = plan([
      interval('2026-12-04T00:00:00Z'),
      interval('2026-12-04T00:30:00Z'),
      interval('2026-12-04T01:00:00Z', { action: 'CHARGE' }),
    ]);
    const { current, next } = currentAndNext(p, Date.parse('2026-12-04T00:40:00Z'));
    expect(current?.start).toBe('2026-12-04T00:30:00Z');
    expect(next?.action).toBe('CHARGE');
    expect(currentAndNext(p, Date.parse('2026-12-05T00:00:00Z')).current).toBeNull();
  });
});
