import type { DeviceCapabilities } from '@sps/core';
import {
  commandForTarget,
  DailyCostLedger,
  decideWrite,
  gatherPlanningInputs,
  OverrideStore,
  OverrideRequestError,
  parseOverrideRequest,
  targetForInterval,
  targetForOverride,
  watchdogReason,
  type PlanningRequest,
  type WatchdogFacts,
} from '@sps/control';
import { MemoryState } from './helpers/control-rig';

const MINUTE = 60_000;
const T0 = Date.parse('2026-01-15T10:00:00Z');

const sungrowCaps: DeviceCapabilities = {
  commands: ['force_charge', 'force_discharge', 'restore_normal', 'set_operating_mode'],
  limits: { maxChargeW: 5000, maxDischargeW: 5000 },
  operatingModes: ['self_consumption', 'forced'],
};

describe('plan interval → target → command', () => {
  const interval = (action: 'CHARGE' | 'EXPORT' | 'IDLE' | 'SELF_CONSUMPTION', charge = 0, discharge = 0) => ({
    action,
    battery_charge_kw: charge,
    battery_discharge_kw: discharge,
  });

  it('maps each action, rounding powers to 10 W', () => {
    expect(targetForInterval(interval('CHARGE', 2.3456))).toEqual({ kind: 'charge', powerW: 2350 });
    expect(targetForInterval(interval('EXPORT', 0, 4.99))).toEqual({ kind: 'discharge', powerW: 4990 });
    expect(targetForInterval(interval('IDLE'))).toEqual({ kind: 'hold' });
    expect(targetForInterval(interval('SELF_CONSUMPTION', 0, 0.4))).toEqual({ kind: 'self_consumption' });
  });

  it('turns targets into the device’s typed commands; hold is a 0 W forced charge unless the device has a hold mode', () => {
    expect(commandForTarget({ kind: 'charge', powerW: 2350 }, sungrowCaps)).toEqual({
      type: 'force_charge',
      power_w: 2350,
    });
    expect(commandForTarget({ kind: 'discharge', powerW: 100 }, sungrowCaps)).toEqual({
      type: 'force_discharge',
      power_w: 100,
    });
    expect(commandForTarget({ kind: 'self_consumption' }, sungrowCaps)).toEqual({ type: 'restore_normal' });
    expect(commandForTarget({ kind: 'hold' }, sungrowCaps)).toEqual({ type: 'force_charge', power_w: 0 });
    const withHold = { ...sungrowCaps, operatingModes: ['self_consumption', 'hold'] };
    expect(commandForTarget({ kind: 'hold' }, withHold)).toEqual({ type: 'set_operating_mode', mode: 'hold' });
  });
});

describe('write hysteresis', () => {
  const charging = (powerW: number, since = T0) => ({ target: { kind: 'charge' as const, powerW }, since });

  it('writes the first target', () => {
    expect(decideWrite(undefined, { kind: 'hold' }, T0, false).write).toBe(true);
  });

  it('ignores power changes below max(200 W, 10 %)', () => {
    const later = T0 + 30 * MINUTE;
    expect(decideWrite(charging(1000), { kind: 'charge', powerW: 1190 }, later, false).write).toBe(false);
    expect(decideWrite(charging(1000), { kind: 'charge', powerW: 1200 }, later, false).write).toBe(true);
    expect(decideWrite(charging(4000), { kind: 'charge', powerW: 4390 }, later, false).write).toBe(false);
    expect(decideWrite(charging(4000), { kind: 'charge', powerW: 3600 }, later, false).write).toBe(true);
  });

  it('never rewrites an unchanged hold or self-consumption, even when urgent', () => {
    const hold = { target: { kind: 'hold' as const }, since: T0 };
    expect(decideWrite(hold, { kind: 'hold' }, T0 + 60 * MINUTE, true).write).toBe(false);
    const sc = { target: { kind: 'self_consumption' as const }, since: T0 };
    expect(decideWrite(sc, { kind: 'self_consumption' }, T0, true).write).toBe(false);
  });

  it('keeps an action for the minimum hold time unless urgent', () => {
    const next = { kind: 'discharge' as const, powerW: 3000 };
    const opts = { minActionHoldMs: 30 * MINUTE };
    const early = decideWrite(charging(1000), next, T0 + 10 * MINUTE, false, opts);
    expect(early).toEqual({ write: false, why: 'keeping charge for at least 30 min (held 600 s)' });
    expect(decideWrite(charging(1000), next, T0 + 10 * MINUTE, true, opts).write).toBe(true);
    expect(decideWrite(charging(1000), next, T0 + 30 * MINUTE, false, opts).write).toBe(true);
  });

  it('keeps a settled power for the rest of its plan interval unless urgent', () => {
    const next = { kind: 'charge' as const, powerW: 2500 };
    expect(decideWrite(charging(1000), next, T0 + 10 * MINUTE, false, {}, true).write).toBe(false);
    expect(decideWrite(charging(1000), next, T0 + 10 * MINUTE, true, {}, true).write).toBe(true);
    expect(decideWrite(charging(1000), next, T0 + 10 * MINUTE, false, {}, false).write).toBe(true);
  });
});

describe('watchdog', () => {
  const ok: WatchdogFacts = {
    now: T0,
    deviceProblem: null,
    pricesMissing: null,
    forecastsMissing: null,
    planAt: T0 - 5 * MINUTE,
    planUnusable: null,
  };

  it('lets a fresh plan run', () => {
    expect(watchdogReason(ok)).toBeNull();
    expect(watchdogReason({ ...ok, planAt: T0 - 15 * MINUTE })).toBeNull();
  });

  it('names the first reason to fall back', () => {
    expect(watchdogReason({ ...ok, planAt: T0 - 15 * MINUTE - 1 })).toBe(
      'plan stale: made at 2026-01-15T09:44:59.999Z, 15 min ago (limit 15 min)',
    );
    expect(watchdogReason({ ...ok, pricesMissing: 'no price covers now: http 503', planAt: null })).toBe(
      'prices missing: no price covers now: http 503',
    );
    expect(watchdogReason({ ...ok, forecastsMissing: 'no solar forecasts for 10:00' })).toMatch(/^forecasts missing/);
    expect(watchdogReason({ ...ok, deviceProblem: 'timeout: no answer', pricesMissing: 'x' })).toBe(
      'device not answering: timeout: no answer',
    );
    expect(watchdogReason({ ...ok, planAt: null })).toBe('no plan yet');
    expect(watchdogReason({ ...ok, planUnusable: 'infeasible' })).toBe('infeasible');
    expect(watchdogReason({ ...ok, planAt: T0 - 6 * MINUTE }, { maxPlanAgeMs: 5 * MINUTE })).toMatch(/^plan stale/);
  });
});

describe('manual overrides', () => {
  it('validates requests and names the field', () => {
    const bad = (input: unknown): OverrideRequestError => {
      try {
        parseOverrideRequest(input, T0, 50);
      } catch (e) {
        if (e instanceof OverrideRequestError) return e;
      }
      throw new Error('expected an OverrideRequestError');
    };
    expect(bad({ kind: 'force_charge' }).field).toBe('duration_minutes');
    expect(bad({ kind: 'dance', duration_minutes: 5 }).field).toBe('kind');
    expect(bad({ kind: 'force_charge', power_w: -1, duration_minutes: 5 }).field).toBe('power_w');
    expect(bad({ kind: 'force_charge', soc_pct: 80, duration_minutes: 5 }).message).toBe(
      'soc_pct: only hold_soc takes a target SOC, not force_charge',
    );
    expect(bad({ kind: 'hold_soc', duration_minutes: 5, extra: 1 }).field).toBe('kind');
  });

  it('hold_soc defaults to the SOC now; until = now + duration', () => {
    expect(parseOverrideRequest({ kind: 'hold_soc', duration_minutes: 90 }, T0, 63.27)).toEqual({
      kind: 'hold_soc',
      soc_pct: 63.3,
      started_at: '2026-01-15T10:00:00.000Z',
      until: '2026-01-15T11:30:00.000Z',
    });
  });

  it('targets: force_* at the power asked (or the maximum); hold_soc charges below its band, holds otherwise', () => {
    const o = parseOverrideRequest({ kind: 'force_discharge', duration_minutes: 5 }, T0, 50);
    expect(targetForOverride(o, 50, 5000, 4000)).toEqual({ kind: 'discharge', powerW: 4000 });
    const hold = parseOverrideRequest({ kind: 'hold_soc', soc_pct: 60, power_w: 1500, duration_minutes: 5 }, T0, 50);
    expect(targetForOverride(hold, 58.5, 5000, 5000)).toEqual({ kind: 'charge', powerW: 1500 });
    expect(targetForOverride(hold, 59.5, 5000, 5000)).toEqual({ kind: 'hold' });
    expect(targetForOverride(hold, 70, 5000, 5000)).toEqual({ kind: 'hold' });
  });

  it('are persisted; expired or corrupt stored overrides are dropped', () => {
    const state = new MemoryState();
    const store = new OverrideStore(state, 'inv');
    const o = parseOverrideRequest({ kind: 'force_charge', power_w: 2000, duration_minutes: 30 }, T0, 50);
    store.save(o);
    expect(new OverrideStore(state, 'inv').load(T0 + 29 * MINUTE)).toEqual(o);
    expect(new OverrideStore(state, 'other').load(T0)).toBeNull();
    expect(new OverrideStore(state, 'inv').load(T0 + 30 * MINUTE)).toBeNull();
    expect(state.getState('control', 'override:inv')).toBeNull();
    state.putState('control', 'override:inv', { kind: 'force_charge', until: 'tomorrow' });
    expect(store.load(T0)).toBeNull();
  });
});

describe('planning inputs', () => {
  const prices = (from: number, hours: number) =>
    Array.from({ length: hours * 2 }, (_, i) => ({
      start: from + i * 30 * MINUTE,
      end: from + (i + 1) * 30 * MINUTE,
      import: 0.2,
      export: 0.05,
    }));
  const flat = (kw: number) => ({
    forecast: (g: { from: number; to: number; stepMs: number }) => {
      const out = [];
      for (let t = g.from; t < g.to; t += g.stepMs) out.push({ start: t, end: t + g.stepMs, kw });
      return out;
    },
  });
  const request = (overrides: Partial<PlanningRequest> = {}): PlanningRequest => ({
    now: T0 + 7 * MINUTE,
    socPct: 50,
    currency: 'AUD',
    intervalMinutes: 15,
    horizonHours: 24,
    minHorizonMinutes: 120,
    prices: { coverage: () => ({ fallback: false }), upcoming: () => prices(T0, 6) },
    solar: flat(1),
    load: flat(0.5),
    battery: {},
    grid: {},
    limits: {
      maxChargeW: 5000,
      maxDischargeW: 4000,
      maxExportW: 3000,
      minBackupReservePct: 10,
      maxBackupReservePct: 100,
      backupReservePct: 10,
    },
    deviceCapacityWh: 10_000,
    ...overrides,
  });

  it('builds a scenario on the grid, cut where prices end, with the guard’s limits', async () => {
    const inputs = await gatherPlanningInputs(request());
    if (!inputs.ok) throw new Error(inputs.reason);
    expect(inputs.intervals).toBe(24); // 6 h of prices at 15 min
    expect(inputs.scenario).toMatchObject({
      interval_minutes: 15,
      start: '2026-01-15T10:00:00.000Z',
      battery: { capacity_kwh: 10, soc_pct: 50, min_soc_pct: 10, max_charge_kw: 5, max_discharge_kw: 4 },
      grid: { max_import_kw: null, max_export_kw: 3 },
    });
    expect((inputs.scenario['solar_kw'] as number[]).length).toBe(24);
    expect(inputs.scenario['terminal_energy_value_per_kwh']).toBeCloseTo(0.19, 6);
  });

  it('a battery already below the reserve plans from where it is', async () => {
    const inputs = await gatherPlanningInputs(request({ socPct: 6 }));
    expect(inputs.ok && inputs.scenario['battery']).toMatchObject({ soc_pct: 6, min_soc_pct: 6 });
  });

  it('reports missing prices, short prices and missing forecasts', async () => {
    const none = await gatherPlanningInputs(
      request({ prices: { coverage: () => ({ fallback: true }), upcoming: () => [] } }),
    );
    expect(none).toEqual({ ok: false, missing: 'prices', reason: 'no prices for 2026-01-15T10:00:00.000Z' });
    const short = await gatherPlanningInputs(
      request({ prices: { coverage: () => ({ fallback: false }), upcoming: () => prices(T0, 1) } }),
    );
    expect(short).toEqual({ ok: false, missing: 'prices', reason: 'prices cover only 60 min ahead (120 min needed)' });
    const noSolar = await gatherPlanningInputs(request({ solar: { forecast: () => [] } }));
    expect(noSolar).toMatchObject({
      ok: false,
      missing: 'forecasts',
      reason: 'no solar forecasts for 2026-01-15T10:00:00.000Z',
    });
    const failing = await gatherPlanningInputs(
      request({ load: { forecast: () => Promise.reject(new Error('HA gone')) } }),
    );
    expect(failing).toEqual({ ok: false, missing: 'forecasts', reason: 'forecast failed: HA gone' });
    const noCapacity = await gatherPlanningInputs(request({ deviceCapacityWh: undefined }));
    expect(noCapacity).toMatchObject({ ok: false, missing: 'battery' });
  });
});

describe('daily cost ledger', () => {
  it('books begun intervals, adds the rest of today from the plan, and resets at local midnight', () => {
    const ledger = new DailyCostLedger('Australia/Melbourne'); // UTC+11 in January
    const at = (iso: string) => Date.parse(iso);
    // 12:00 UTC = 23:00 local: two half-hours left today.
    ledger.record(at('2026-01-15T12:00:00Z'), [
      { start: at('2026-01-15T12:00:00Z'), cost: 1, baseline: 2 },
      { start: at('2026-01-15T12:30:00Z'), cost: 1, baseline: 3 },
      { start: at('2026-01-15T13:00:00Z'), cost: 5, baseline: 5 }, // tomorrow, local
    ]);
    expect(ledger.today(at('2026-01-15T12:10:00Z'))).toEqual({
      date: '2026-01-15',
      predictedCost: 2,
      baselineCost: 5,
      savings: 3,
    });
    ledger.record(at('2026-01-15T12:30:00Z'), [
      { start: at('2026-01-15T12:30:00Z'), cost: 0.5, baseline: 3 },
      { start: at('2026-01-15T13:00:00Z'), cost: 5, baseline: 5 },
    ]);
    expect(ledger.today(at('2026-01-15T12:40:00Z'))).toMatchObject({
      predictedCost: 1.5,
      baselineCost: 5,
      savings: 3.5,
    });
    ledger.record(at('2026-01-15T13:00:00Z'), [{ start: at('2026-01-15T13:00:00Z'), cost: 5, baseline: 4 }]);
    expect(ledger.today(at('2026-01-15T13:05:00Z'))).toEqual({
      date: '2026-01-16',
      predictedCost: 5,
      baselineCost: 4,
      savings: -1,
    });
  });
});
