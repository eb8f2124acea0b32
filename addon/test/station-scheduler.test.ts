import type { Plan, PlanInterval } from '@sps/scheduler';
import { relabel } from '../src/optimizer/station-scheduler';

/** The station's labels: a manual override that holds the station stays a hold (issue 14). */

function interval(
  station: Partial<PlanInterval['batteries'][number]>,
  extra: Partial<PlanInterval> = {},
): PlanInterval {
  return {
    start: '2026-01-15T00:00:00.000Z',
    action: 'SELF_CONSUMPTION',
    battery_charge_kw: 0,
    battery_discharge_kw: 0,
    grid_import_kw: 0.5,
    grid_export_kw: 0,
    curtail_kw: 0,
    ev_kw: 0,
    deferrable_kw: 0,
    soc_pct: 50,
    import_price: 0.2,
    export_price: 0.05,
    reason: 'self-consumption: nothing to shift now',
    batteries: [{ name: 'station', charge_kw: 0, discharge_kw: 0, soc_pct: 50, ...station }],
    ...extra,
  };
}

function plan(intervals: PlanInterval[]): Plan {
  return {
    status: 'optimal',
    solver: 'highs',
    solve_ms: 1,
    currency: 'AUD',
    interval_minutes: 5,
    objective: 0,
    cost: 0,
    demand_charge_cost: 0,
    baseline_objective: 0,
    baseline_cost: 0,
    savings: 0,
    reason: null,
    intervals,
  };
}

describe('relabel (the power station)', () => {
  it('an override that holds the station is IDLE with its own reason; without one, still nothing is self-consumption', () => {
    const held = interval({ override: true }, { action: 'IDLE', override: true, reason: 'manual override: hold SOC' });
    const out = relabel(plan([held, interval({})])).intervals;
    expect(out[0]).toMatchObject({ action: 'IDLE', reason: 'manual override: hold SOC', override: true });
    expect(out[1]?.action).toBe('SELF_CONSUMPTION');
  });

  it('an override that discharges the station keeps the override’s reason', () => {
    const forced = interval(
      { discharge_kw: 1, override: true },
      { action: 'EXPORT', reason: 'manual override: force discharge' },
    );
    expect(relabel(plan([forced])).intervals[0]).toMatchObject({
      action: 'EXPORT',
      reason: 'manual override: force discharge',
    });
  });
});
