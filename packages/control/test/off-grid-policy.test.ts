import { ManualClock } from '@sps/core';
import type { Plan } from '@sps/scheduler';
import {
  DeferrableLoadPolicy,
  FlexLoads,
  reserveCrossing,
  type DeferrableLoad,
  type DeferrableLoadEvent,
  type RelayPort,
} from '../src/index';
import { MemoryState } from './helpers/control-rig';

const MINUTE = 60_000;

class FakeRelay implements RelayPort {
  on = false;
  at: number;
  constructor(private readonly clock: ManualClock) {
    this.at = clock.now();
  }
  state() {
    return { on: this.on, at: this.at };
  }
  async set(on: boolean): Promise<void> {
    this.on = on;
    this.at = this.clock.now();
  }
}

const pump: DeferrableLoad = {
  name: 'pump',
  powerW: 2200,
  runMinutesPerDay: 120,
  earliestMinute: 8 * 60,
  latestMinute: 18 * 60,
  minOnMinutes: 15,
  minOffMinutes: 10,
};

/** An off-grid plan from 10:00 at 30 min: the pump on for the first hour, SOC falling to `lowPct` at night. */
function plan(socs: readonly number[]): Plan {
  return {
    status: 'optimal',
    solver: 'highs',
    solve_ms: 1,
    currency: 'XXX',
    interval_minutes: 30,
    objective: 0,
    cost: 0,
    demand_charge_cost: 0,
    baseline_objective: 0,
    baseline_cost: 0,
    savings: 0,
    reason: null,
    intervals: socs.map((soc, t) => ({
      start: new Date(Date.parse('2026-06-01T10:00:00Z') + t * 30 * MINUTE).toISOString(),
      action: 'SELF_CONSUMPTION' as const,
      battery_charge_kw: 0,
      battery_discharge_kw: 0,
      grid_import_kw: 0,
      grid_export_kw: 0,
      curtail_kw: 0,
      ev_kw: 0,
      deferrable_kw: t < 2 ? 2.2 : 0,
      deferrables: [{ name: 'pump', kw: t < 2 ? 2.2 : 0 }],
      unserved_kw: 0,
      soc_pct: soc,
      import_price: 0,
      export_price: 0,
      reason: 'off-grid: test',
      batteries: [],
    })),
  };
}

const trajectory = [62, 60, 70, 80, 90, 80, 60, 45, 36, 34];

describe('reserveCrossing (the live SOC against the rest of the plan)', () => {
  test('on the plan: the reserve holds (lowest 34 % vs 30 %)', () => {
    expect(
      reserveCrossing({ plan: plan(trajectory), now: Date.parse('2026-06-01T10:15:00Z'), socPct: 63, reservePct: 30 }),
    ).toBeNull();
  });

  test('6 points below the plan: the rest of the trajectory would cross the reserve, and it says when', () => {
    // Planned at 10:15: halfway from 62 (first interval's end as its start) … 62 → 62; live 56 = 6 below.
    const crossing = reserveCrossing({
      plan: plan(trajectory),
      now: Date.parse('2026-06-01T10:15:00Z'),
      socPct: 56,
      reservePct: 30,
    });
    expect(crossing).not.toBeNull();
    expect(crossing!.projectedMinPct).toBeCloseTo(28, 6);
    expect(crossing!.at).toBe('2026-06-01T15:00:00.000Z');
    expect(crossing!.reason).toMatch(/would cross its 30\.0 % reserve: SOC 56\.0 % now, 6\.0 % below the plan/);
  });

  test('above the plan: no stop', () => {
    expect(
      reserveCrossing({ plan: plan(trajectory), now: Date.parse('2026-06-01T10:15:00Z'), socPct: 80, reservePct: 30 }),
    ).toBeNull();
  });
});

describe('off-grid deferrable policy', () => {
  function rig(soc: { value: number }) {
    const clock = new ManualClock('2026-06-01T10:00:00Z');
    const relay = new FakeRelay(clock);
    const events: DeferrableLoadEvent[] = [];
    const policy = new DeferrableLoadPolicy({
      load: pump,
      relay,
      clock,
      timeZone: 'UTC',
      state: new MemoryState(),
      onEvent: (e) => events.push(e),
      deadlineBackstop: false,
    });
    const flex = new FlexLoads({
      deferrables: [policy],
      clock,
      timeZone: 'UTC',
      planUsable: () => true,
      reserve: { socPct: () => soc.value, reservePct: () => 30 },
    });
    return { clock, relay, events, policy, flex };
  }

  test('a running load is stopped between plans when the live SOC drops faster than forecast, and says why', async () => {
    const soc = { value: 62 };
    const { clock, relay, events, policy, flex } = rig(soc);
    await flex.planChanged(plan(trajectory));
    expect(relay.on).toBe(true);
    // Five minutes on (inside the pump's 15-minute minimum on time), the battery is 6 points below the plan.
    clock.advance(5 * MINUTE);
    policy.observe();
    soc.value = 56;
    await flex.follow();
    expect(relay.on).toBe(false);
    const off = events.filter((e) => e.kind === 'switched' && !e.on);
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ reason: expect.stringMatching(/would cross its 30\.0 % reserve/) });
    expect(policy.status().reason).toMatch(/would cross its 30\.0 % reserve/);
    // It stays off while the projection says so, although the plan still wants it on.
    clock.advance(5 * MINUTE);
    await flex.follow();
    expect(relay.on).toBe(false);
  });

  test('on the forecast the load runs as planned', async () => {
    const soc = { value: 62 };
    const { clock, relay, flex } = rig(soc);
    await flex.planChanged(plan(trajectory));
    clock.advance(10 * MINUTE);
    await flex.follow();
    expect(relay.on).toBe(true);
  });

  test('no deadline backstop off-grid: a window about to close does not switch the pump on against the plan', async () => {
    const soc = { value: 62 };
    const { clock, relay, flex } = rig(soc);
    clock.advance(7 * 60 * MINUTE); // 17:00: 120 min left to run, 60 min of window left
    const off = plan(trajectory).intervals.map((iv) => ({
      ...iv,
      start: new Date(Date.parse(iv.start) + 7 * 3_600_000).toISOString(),
      deferrable_kw: 0,
      deferrables: [{ name: 'pump', kw: 0 }],
    }));
    await flex.planChanged({ ...plan(trajectory), intervals: off });
    expect(relay.on).toBe(false);
  });
});
