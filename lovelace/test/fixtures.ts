/**
 * API answers shaped like the add-on's (GET /api/plan, /api/devices, /api/readings,
 * /api/readings/history) for the card tests: a power station with P1–P4 relays, an inverter with a
 * battery, a 48-hour plan at 30-minute intervals with an evening price peak.
 */
const HOUR = 3_600_000;

export function planFixture(now: number): Record<string, unknown> {
  const start = Math.floor(now / (30 * 60_000)) * 30 * 60_000;
  const intervals = Array.from({ length: 96 }, (_, k) => {
    const t = start + k * 30 * 60_000;
    const hour = new Date(t).getUTCHours();
    const peak = hour >= 7 && hour < 10;
    const cheap = hour >= 1 && hour < 5;
    const action = cheap ? 'CHARGE' : peak ? 'EXPORT' : 'SELF_CONSUMPTION';
    return {
      start: new Date(t).toISOString().replace('.000Z', 'Z'),
      action,
      battery_charge_kw: cheap ? 3 : 0,
      battery_discharge_kw: peak ? 4.5 : 0.6,
      grid_import_kw: cheap ? 3.8 : 0.1,
      grid_export_kw: peak ? 3.2 : 0,
      curtail_kw: 0,
      ev_kw: hour === 2 ? 7 : 0,
      deferrable_kw: hour === 3 ? 1.2 : 0,
      soc_pct: 20 + ((k * 7) % 75),
      import_price: peak ? 0.5523 : cheap ? 0.081 : 0.2875,
      export_price: peak ? 0.3 : 0.05,
      reason: cheap
        ? 'charging: 8.1 c/kWh now vs 55.2 c/kWh at 17:30'
        : peak
          ? 'export: 30.0 c/kWh beats the 8.1 c/kWh refill'
          : 'self-consumption: covers the load',
      pv_kw: hour >= 22 || hour < 8 ? 2.5 : 0,
      load_kw: 0.9,
      baseline_cost: peak ? 0.25 : cheap ? 0.05 : 0.1,
      batteries: [],
      deferrables: [
        { name: 'water_heater', kw: hour >= 11 && hour < 13 ? 1.5 : 0 },
        { name: 'pool_pump', kw: hour >= 12 && hour < 16 ? 0.8 : 0 },
      ],
    };
  });
  // The joint plan of two batteries (issue 12): each one's SOC per interval.
  const joint = intervals.map((i, k) => ({
    ...i,
    batteries: [
      { name: 'Inverter battery', charge_kw: i.battery_charge_kw, discharge_kw: 0, soc_pct: 30 + ((k * 5) % 60) },
      { name: 'Power station', charge_kw: 0, discharge_kw: i.battery_discharge_kw, soc_pct: 60 - ((k * 3) % 40) },
    ],
  }));
  const next = intervals.find((i) => i.action !== intervals[0]!.action) ?? intervals[1]!;
  return {
    running: true,
    off_reason: null,
    battery_device: 'station',
    enabled: true,
    goal: 'cost',
    mode: 'override',
    current: { action: intervals[0]!.action, reason: intervals[0]!.reason, command: null, since: null },
    next: { action: next.action, at: next.start, reason: next.reason },
    today: { date: '2026-12-04', predictedCost: 2.31, baselineCost: 3.9, savings: 1.59, currency: 'AUD' },
    fallback_reason: null,
    override: {
      kind: 'force_charge',
      power_w: 3000,
      started_at: new Date(now - HOUR / 2).toISOString(),
      until: new Date(now + HOUR).toISOString(),
    },
    last_error: null,
    plan_at: new Date(now).toISOString(),
    plan: {
      status: 'optimal',
      solver: 'highs',
      solve_ms: 40,
      currency: 'AUD',
      interval_minutes: 30,
      objective: 1,
      cost: 4.2,
      demand_charge_cost: null,
      baseline_objective: 6,
      baseline_cost: 7.1,
      savings: 2.9,
      reason: null,
      intervals,
    },
    joint_plan: {
      members: ['inverter', 'station'],
      at: new Date(now).toISOString(),
      plan: { status: 'optimal', currency: 'AUD', interval_minutes: 30, intervals: joint },
    },
  };
}

const sensor = (key: string, name: string, unit?: string): Record<string, unknown> => ({
  key,
  platform: 'sensor',
  name,
  ...(unit ? { unit } : {}),
});

/** A Sungrow hybrid inverter with its battery beside the station (a mixed household). */
const INVERTER = {
  id: 'inverter',
  name: 'Sungrow SH10RT',
  driver: 'sungrow-sh',
  position: null,
  poll_interval_s: 5,
  info: null,
  availability: { available: true, reason: null, since: '2026-12-04T10:00:00Z' },
  entities: [
    { key: 'battery_soc', platform: 'sensor', name: 'Battery state of charge', unit: '%' },
    { key: 'battery_power', platform: 'sensor', name: 'Battery power', unit: 'W' },
    { key: 'grid_power', platform: 'sensor', name: 'Grid power', unit: 'W' },
    { key: 'load_power', platform: 'sensor', name: 'Load power', unit: 'W' },
    { key: 'pv_power', platform: 'sensor', name: 'PV power', unit: 'W' },
  ],
  capabilities: { commands: ['force_charge', 'restore_normal'], operating_modes: [], limits: {} },
};

export function devicesFixture(options: { inverter?: boolean } = {}): Record<string, unknown> {
  const online = { available: true, reason: null, since: '2026-12-04T10:00:00Z' };
  const relay = (id: string, position: string, name: string, available = true): Record<string, unknown> => ({
    id,
    name,
    driver: 'kasa',
    position,
    poll_interval_s: 5,
    info: null,
    availability: available
      ? online
      : { available: false, reason: 'connection refused: 127.0.0.1:9999', since: '2026-12-04T10:00:00Z' },
    entities: [
      { key: 'relay_on', platform: 'switch', name: 'Relay', command: { command: 'set_relay', field: 'on' } },
      sensor('load_power', 'Load power', 'W'),
    ],
    capabilities: { commands: ['set_relay'], operating_modes: [], limits: {} },
  });
  return {
    devices: [
      {
        id: 'station',
        name: 'Power station',
        driver: 'station',
        position: null,
        poll_interval_s: 5,
        info: null,
        availability: online,
        entities: [
          sensor('battery_soc', 'Battery state of charge', '%'),
          sensor('battery_power', 'Battery power', 'W'),
          sensor('pv_power', 'PV power', 'W'),
          sensor('grid_power', 'Grid power', 'W'),
          sensor('load_power', 'Load behind the transfer switch', 'W'),
          {
            key: 'station_mode',
            platform: 'sensor',
            name: 'Station mode',
            deviceClass: 'enum',
            options: ['charging', 'discharging', 'idle'],
          },
          {
            key: 'force_charge',
            platform: 'button',
            name: 'Charge from the grid',
            command: { command: 'force_charge', fixed: { power_w: 1200 } },
          },
          { key: 'restore_normal', platform: 'button', name: 'Back to normal', command: { command: 'restore_normal' } },
          {
            key: 'backup_reserve',
            platform: 'number',
            name: 'Backup reserve',
            unit: '%',
            min: 0,
            max: 100,
            step: 1,
            command: { command: 'set_backup_reserve', field: 'percent' },
          },
          {
            key: 'operating_mode',
            platform: 'select',
            name: 'Operating mode',
            options: ['self_consumption', 'backup'],
            command: { command: 'set_operating_mode', field: 'mode' },
          },
        ],
        capabilities: { commands: ['force_charge', 'restore_normal'], operating_modes: [], limits: {} },
      },
      relay('relay-1', 'P1', 'Grid charger relay'),
      relay('relay-2', 'P2', 'Bypass relay'),
      relay('relay-3', 'P3', 'Loads relay'),
      relay('relay-4', 'P4', 'Solar relay', false),
      ...(options.inverter ? [INVERTER] : []),
    ],
  };
}

export function readingsFixture(options: { inverter?: boolean } = {}): Record<string, unknown> {
  const r = (value: number | string | boolean, unit: string | null): Record<string, unknown> => ({ value, unit });
  const relay = (on: boolean, w: number): Record<string, unknown> => ({
    available: true,
    timestamp: '2026-12-04T10:00:00Z',
    readings: { relay_on: r(on, null), load_power: r(w, 'W') },
  });
  return {
    devices: {
      station: {
        available: true,
        timestamp: '2026-12-04T10:00:00Z',
        readings: {
          battery_soc: r(64, '%'),
          battery_power: r(-1200, 'W'),
          pv_power: r(2350, 'W'),
          grid_power: r(450, 'W'),
          load_power: r(1600, 'W'),
          station_mode: r('charging', null),
          operating_mode: r('self_consumption', null),
          backup_reserve: r(20, '%'),
        },
      },
      'relay-1': relay(true, 1250),
      'relay-2': relay(false, 0),
      'relay-3': relay(true, 380),
      'relay-4': relay(false, 0),
      ...(options.inverter
        ? {
            inverter: {
              available: true,
              timestamp: '2026-12-04T10:00:00Z',
              readings: {
                battery_soc: r(81, '%'),
                battery_power: r(2500, 'W'),
                grid_power: r(-3100, 'W'),
                load_power: r(2300, 'W'),
                pv_power: r(5600, 'W'),
              },
            },
          }
        : {}),
    },
  };
}

export function historyFixture(key: string, from: number, to: number): Record<string, unknown> {
  const n = 48;
  const points = Array.from({ length: n }, (_, k) => {
    const t = from + ((to - from) * k) / n;
    const wave = Math.sin((k / n) * Math.PI * 2);
    const mean = key === 'battery_soc' ? 50 + 30 * wave : key === 'cost' ? 0.2 + 0.1 * wave : 1500 * wave;
    return { t: new Date(t).toISOString(), mean, min: mean, max: mean, last: mean, count: 1 };
  });
  return {
    device: 'station',
    key,
    unit: key === 'battery_soc' ? '%' : key === 'cost' ? 'AUD' : 'W',
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    step_ms: 900_000,
    resolution: '5m',
    points,
    ...(key === 'cost' ? { baseline: points.map((p) => ({ t: p.t, mean: p.mean + 0.08 })) } : {}),
  };
}

/**
 * The same plan answered by an off-grid house (`optimizer.grid: none`): no grid, every interval the
 * inverter's own mode, the house dark for two intervals the next evening, the pump stopped by the
 * reserve watch (issue 13 §6).
 */
export function offGridPlanFixture(now: number): Record<string, unknown> {
  const base = planFixture(now) as { plan: { intervals: ({ start: string } & Record<string, unknown>)[] } } & Record<
    string,
    unknown
  >;
  const intervals = base.plan.intervals.map((i, k) => ({
    ...i,
    action: 'SELF_CONSUMPTION',
    grid_import_kw: 0,
    grid_export_kw: 0,
    import_price: 0,
    export_price: 0,
    unserved_kw: k === 40 || k === 41 ? 0.45 : 0,
    reason:
      k === 40 || k === 41 ? 'off-grid: 0.45 kW of the house’s load cannot be served' : 'off-grid: PV covers the house',
  }));
  return {
    ...base,
    override: null,
    today: null,
    current: { action: 'SELF_CONSUMPTION', reason: 'off-grid: PV covers the house', command: null, since: null },
    // Off-grid the battery stays in its own mode: the action never changes.
    next: null,
    joint_plan: null,
    plan: {
      ...base.plan,
      currency: 'XXX',
      cost: 0,
      baseline_cost: 0,
      savings: 0,
      intervals,
      off_grid: {
        reserve_kwh: 2.88,
        min_stored_kwh: 0.96,
        min_stored_at: intervals[42]!.start,
        max_reserve_shortfall_kwh: 1.92,
        unserved_kwh: 0.45,
        first_unserved_at: intervals[40]!.start,
        curtailed_kwh: 3.1,
        deferrable_kwh: 2.2,
      },
    },
    deferrable_loads: [
      {
        name: 'pool_pump',
        on: false,
        reason: 'the battery would cross its 30.0 % reserve: SOC 56.0 % now, 6.0 % below the plan',
      },
    ],
  };
}
