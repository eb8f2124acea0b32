import type { Plan, PlanInterval } from '@sps/scheduler';
import {
  FleetPlanner,
  SharedDemandResponse,
  memberAction,
  memberPlan,
  type DemandResponseDirective,
} from '@sps/control';

describe('SharedDemandResponse', () => {
  const ongoing: DemandResponseDirective = {
    mode: 'ongoing',
    eventId: 'e1',
    eventEndMs: 10_000,
    importSetpointW: 2000,
  };
  const port = (directive: DemandResponseDirective, w = 4000) => ({
    directive: () => directive,
    gridImport: () => ({ w, atMs: 1000 }),
  });

  it('splits the error among the batteries in proportion to their available discharge power', () => {
    const avail: Record<string, number> = { a: 3000, b: 1000 };
    const shared = new SharedDemandResponse(
      port(ongoing),
      (n) => avail[n] ?? 0,
      () => ['a', 'b'],
    );
    expect(shared.shareOf('a')).toBeCloseTo(0.75);
    expect(shared.portFor('a').gridImport()).toEqual({ w: 3500, atMs: 1000 });
    expect(shared.portFor('b').gridImport()).toEqual({ w: 2500, atMs: 1000 });
    // The errors add up to the site's: (3500 − 2000) + (2500 − 2000) = 4000 − 2000.
  });

  it('gives a battery at its reserve no share, and equal shares when none has power', () => {
    const none = new SharedDemandResponse(
      port(ongoing),
      () => 0,
      () => ['a', 'b'],
    );
    expect(none.shareOf('a')).toBe(0.5);
    const one = new SharedDemandResponse(
      port(ongoing),
      (n) => (n === 'a' ? 2000 : 0),
      () => ['a', 'b'],
    );
    expect(one.portFor('b').gridImport()).toEqual({ w: 2000, atMs: 1000 });
    expect(one.portFor('a').gridImport()).toEqual({ w: 4000, atMs: 1000 });
  });

  it('is the port itself outside an ongoing event and with one battery', () => {
    const normal = new SharedDemandResponse(
      port({ mode: 'normal' }),
      () => 1000,
      () => ['a', 'b'],
    );
    expect(normal.portFor('a').gridImport()).toEqual({ w: 4000, atMs: 1000 });
    const single = new SharedDemandResponse(
      port(ongoing),
      () => 1000,
      () => ['a'],
    );
    expect(single.portFor('a').gridImport()).toEqual({ w: 4000, atMs: 1000 });
    expect(single.portFor('a').directive(0)).toEqual(ongoing);
  });
});

function interval(action: PlanInterval['action'], rows: [string, number, number][]): PlanInterval {
  return {
    start: '2026-01-01T00:00:00.000Z',
    action,
    battery_charge_kw: rows.reduce((s, r) => s + r[1], 0),
    battery_discharge_kw: rows.reduce((s, r) => s + r[2], 0),
    grid_import_kw: 1,
    grid_export_kw: 0,
    curtail_kw: 0,
    ev_kw: 0,
    deferrable_kw: 0,
    soc_pct: 50,
    import_price: 0.1,
    export_price: 0.05,
    reason: 'r',
    batteries: rows.map(([name, c, d]) => ({ name, charge_kw: c, discharge_kw: d, soc_pct: name === 'a' ? 40 : 60 })),
  };
}

describe('a battery’s view of a joint plan', () => {
  it('forces every battery to its own power when the site charges; one with nothing to do holds', () => {
    const i = interval('CHARGE', [
      ['a', 3, 0],
      ['b', 0, 0],
    ]);
    expect(memberAction(i, 'a')).toBe('CHARGE');
    expect(memberAction(i, 'b')).toBe('IDLE');
  });

  it('in self-consumption, a battery kept still while another moves holds; otherwise both follow the house', () => {
    expect(
      memberAction(
        interval('SELF_CONSUMPTION', [
          ['a', 0, 1],
          ['b', 0, 0],
        ]),
        'b',
      ),
    ).toBe('IDLE');
    expect(
      memberAction(
        interval('SELF_CONSUMPTION', [
          ['a', 0, 1],
          ['b', 0, 0.5],
        ]),
        'b',
      ),
    ).toBe('SELF_CONSUMPTION');
    expect(
      memberAction(
        interval('SELF_CONSUMPTION', [
          ['a', 0, 0],
          ['b', 0, 0],
        ]),
        'b',
      ),
    ).toBe('SELF_CONSUMPTION');
  });

  it('keeps the site’s grid and prices but the battery’s own powers and SOC; undefined for a battery not planned', () => {
    const plan = {
      intervals: [
        interval('EXPORT', [
          ['a', 0, 2],
          ['b', 0, 1],
        ]),
      ],
    } as unknown as Plan;
    const view = memberPlan(plan, 'b')!;
    expect(view.intervals[0]).toMatchObject({
      action: 'EXPORT',
      battery_discharge_kw: 1,
      soc_pct: 60,
      grid_import_kw: 1,
      batteries: [{ name: 'b' }],
    });
    expect(memberPlan(plan, 'c')).toBeUndefined();
  });
});

describe('FleetPlanner', () => {
  const scenario = (start: string, extra: Record<string, unknown>) => ({
    interval_minutes: 60,
    start,
    prices: { import: [0.1, 0.2, 0.3, 0.4], export: [0, 0, 0, 0], currency: 'AUD' },
    solar_kw: [0, 0, 0, 0],
    load_kw: [1, 1, 0.2, 1],
    ...extra,
  });
  const member = (soc: number) => ({
    adoptPlan: jest.fn(),
    isPlannable: () => true,
    currentSoc: () => soc,
    inputsChanged: jest.fn(),
  });

  it('joins the batteries into one scenario, a station’s series moved onto the caller’s intervals', async () => {
    const seen: Record<string, unknown>[] = [];
    const emptyPlan = { intervals: [] } as unknown as Plan;
    const fleet = new FleetPlanner({ plan: (input) => (seen.push(input as Record<string, unknown>), emptyPlan) });
    const station = fleet.seat('station');
    const battery = fleet.seat('sungrow');
    const stationMember = member(55);
    station.attach(stationMember);
    battery.attach(member(40));
    await station.scheduler.plan(
      scenario('2026-01-01T00:00:00.000Z', {
        station: {
          capacity_kwh: 1,
          soc_pct: 50,
          grid_charge_kw: 0.9,
          max_discharge_kw: 1,
          p2_load_kw: [0.5, 0.6, 0.7, 0.8],
        },
        allow_battery_export: false,
      }),
    );
    await battery.scheduler.plan(
      scenario('2026-01-01T01:00:00.000Z', {
        battery: { capacity_kwh: 10, soc_pct: 40, max_charge_kw: 5, max_discharge_kw: 5 },
        grid: { max_import_kw: null, max_export_kw: 5 },
      }),
    );
    const joint = seen[seen.length - 1]!;
    expect(joint['battery']).toEqual([expect.objectContaining({ name: 'sungrow', capacity_kwh: 10 })]);
    // One interval later: 0.6, 0.7, 0.8 capped by that interval's 0.2 kW load, then the last value (0.8) held.
    expect(joint['station']).toMatchObject({ name: 'station', soc_pct: 55, p2_load_kw: [0.6, 0.7, 0.2, 0.8] });
    expect(joint['allow_battery_export']).toBe(true);
    expect(joint['grid']).toEqual({ max_import_kw: null, max_export_kw: 5 });
    expect(stationMember.adoptPlan).toHaveBeenCalledTimes(1);
    expect(fleet.jointPlan()?.members).toEqual(['sungrow', 'station']);
  });
});

describe('FleetPlanner reuse', () => {
  it('a second member re-planning on the same inputs within a minute gets its view of the same solve', async () => {
    let solves = 0;
    const plan = {
      intervals: [
        {
          ...interval('CHARGE', [
            ['a', 1, 0],
            ['b', 1, 0],
          ]),
        },
      ],
    } as unknown as Plan;
    const clock = { t: 0, now: () => clock.t };
    const fleet = new FleetPlanner({ plan: () => (solves++, plan) }, clock);
    const a = fleet.seat('a');
    const b = fleet.seat('b');
    const mk = (soc: number) => ({
      adoptPlan: jest.fn(),
      isPlannable: () => true,
      currentSoc: () => soc,
      inputsChanged: jest.fn(),
    });
    a.attach(mk(40));
    b.attach(mk(60));
    const sc = (name: string, soc: number, importPrice = 0.1) => ({
      interval_minutes: 60,
      start: '2026-01-01T00:00:00.000Z',
      prices: { import: [importPrice], export: [0], currency: 'AUD' },
      solar_kw: [0],
      load_kw: [1],
      battery: { name, capacity_kwh: 5, soc_pct: soc, max_charge_kw: 1, max_discharge_kw: 1 },
    });
    await b.scheduler.plan(sc('b', 60)); // b alone has no partner yet: a plain solve
    await a.scheduler.plan(sc('a', 40)); // joint
    expect(solves).toBe(2);
    clock.t = 5_000;
    await b.scheduler.plan(sc('b', 60.5)); // same inputs, SOC as planned: reused
    expect(solves).toBe(2);
    await b.scheduler.plan(sc('b', 60.5, 0.2)); // new prices: solved again
    expect(solves).toBe(3);
    clock.t = 200_000;
    await a.scheduler.plan(sc('a', 40, 0.2)); // too old: solved again
    expect(solves).toBe(4);
  });

  it('two members asking at the same moment get one joint solve (the solver answers later, on its thread)', async () => {
    let solves = 0;
    const plan = {
      intervals: [
        interval('CHARGE', [
          ['a', 1, 0],
          ['b', 1, 0],
        ]),
      ],
    } as unknown as Plan;
    const fleet = new FleetPlanner(
      { plan: () => (solves++, new Promise<Plan>((resolve) => setTimeout(() => resolve(plan), 20))) },
      { now: () => 0 },
    );
    const a = fleet.seat('a');
    const b = fleet.seat('b');
    const mk = (soc: number) => ({
      adoptPlan: jest.fn(),
      isPlannable: () => true,
      currentSoc: () => soc,
      inputsChanged: jest.fn(),
    });
    a.attach(mk(40));
    b.attach(mk(60));
    const sc = (name: string, soc: number) => ({
      interval_minutes: 60,
      start: '2026-01-01T00:00:00.000Z',
      prices: { import: [0.1], export: [0], currency: 'AUD' },
      solar_kw: [0],
      load_kw: [1],
      battery: { name, capacity_kwh: 5, soc_pct: soc, max_charge_kw: 1, max_discharge_kw: 1 },
    });
    await b.scheduler.plan(sc('b', 60)); // b alone: a plain solve that records b's contribution
    const [pa, pb] = await Promise.all([a.scheduler.plan(sc('a', 40)), b.scheduler.plan(sc('b', 60))]);
    expect(solves).toBe(2);
    expect(pa.intervals).toHaveLength(1);
    expect(pb.intervals).toHaveLength(1);
  });
});
