import { loadScheduler, type Plan, type SyncScheduler } from '@sps/scheduler';
import {
  deferrableEntry,
  evPlanning,
  windowAt,
  type DeferrableLoad,
  type EvChargerSpec,
  type PlanGrid,
} from '../src/index';

// One day from midnight UTC in 15-minute intervals, planned in UTC so local times read as written.
const FROM = Date.parse('2026-03-01T00:00:00Z');
const STEP = 15 * 60_000;
const N = 96;
const grid: PlanGrid = { fromMs: FROM, stepMs: STEP, intervals: N };
const hourOf = (t: number): number => (t * 15) / 60;

/** Night cheap (02–05), evening dear (17–21), else middling; solar around noon. */
const importPrice = Array.from({ length: N }, (_, t) => {
  const h = hourOf(t);
  return h >= 2 && h < 5 ? 0.1 : h >= 17 && h < 21 ? 0.5 : 0.25;
});
const solar = Array.from({ length: N }, (_, t) => {
  const h = hourOf(t);
  return h >= 10 && h < 15 ? 4 : 0;
});

/** 1-phase 230 V, 6–16 A; a 60 kWh car at 50 % to 80 % by 07:00. */
const charger: EvChargerSpec = {
  minPowerW: 230 * 6,
  maxPowerW: 230 * 16,
  stepW: 230,
  targetSocPct: 80,
  departureMinute: 7 * 60,
  batteryWh: 60_000,
};

const load = (name: string, powerW: number, run: number, from: string, to: string): DeferrableLoad => {
  const minute = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return {
    name,
    powerW,
    runMinutesPerDay: run,
    earliestMinute: minute(from),
    latestMinute: minute(to),
    minOnMinutes: 0,
    minOffMinutes: 0,
  };
};

const loads = [
  load('water_heater', 1500, 120, '09:00', '16:00'),
  load('well_pump', 2200, 60, '06:00', '20:00'),
  // Crosses midnight: the window that opened yesterday at 22:00 is open at the plan's start.
  load('dishwasher', 1200, 90, '22:00', '06:00'),
];

function scenario(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    interval_minutes: 15,
    start: new Date(FROM).toISOString(),
    prices: { import: importPrice, export: importPrice.map(() => 0.05), currency: 'AUD' },
    solar_kw: solar,
    load_kw: importPrice.map(() => 0.3),
    // A battery that cannot move (the scenario needs one) keeps the loads' costs plain to read.
    battery: {
      capacity_kwh: 1,
      soc_pct: 50,
      min_soc_pct: 0,
      max_soc_pct: 100,
      max_charge_kw: 0,
      max_discharge_kw: 0,
    },
    ...extra,
  };
}

let scheduler: SyncScheduler;
beforeAll(async () => {
  scheduler = await loadScheduler();
});

const plan = (extra: Record<string, unknown>): Plan =>
  scheduler.plan(scenario(extra), { timeZone: 'UTC', timeLimitMs: 20_000 });

describe('the plan co-optimises an EV from the charger and the car', () => {
  it('charges in the cheapest intervals before the departure, within the charger’s power range', () => {
    const ev = evPlanning(charger, { plugged: true, socPct: 50 }, grid, FROM, 'UTC');
    if (!ev.ok) throw new Error(ev.reason);
    expect(ev.entry.deadline_index).toBe(28); // 07:00
    expect(ev.entry.energy_needed_kwh).toBeCloseTo(18, 6);
    expect(ev.entry.min_kw).toBeCloseTo(1.38, 6);
    const p = plan({ ev: ev.entry });
    expect(p.status).toBe('optimal');
    const kw = p.intervals.map((iv) => iv.ev_kw);
    for (const [t, v] of kw.entries()) {
      if (v > 1e-6) {
        expect(t).toBeLessThan(28);
        expect(v).toBeGreaterThanOrEqual(1.38 - 1e-6);
        expect(v).toBeLessThanOrEqual(3.68 + 1e-6);
      }
    }
    const delivered = kw.reduce((s, v) => s + v * 0.25 * 0.9, 0);
    expect(delivered).toBeGreaterThanOrEqual(18 - 1e-3);
    // Every cheap interval (02–05) runs flat out before a dearer one is used at all.
    for (let t = 8; t < 20; t++) expect(kw[t]).toBeCloseTo(3.68, 4);
    // What is left (18 kWh − 3 h × 3.68 kW × 0.9) comes from the middling intervals before 07:00.
    const middling = kw.slice(0, 28).reduce((s, v, t) => s + (importPrice[t] === 0.25 ? v : 0), 0);
    expect(middling * 0.25 * 0.9).toBeCloseTo(18 - 12 * 3.68 * 0.25 * 0.9, 3);
    const view = evPlanning(charger, { plugged: true, socPct: 80 }, grid, FROM, 'UTC');
    expect(view).toEqual({ ok: false, reason: 'the car is at its target (80 %)' });
  });

  it('plans no EV when the car is unplugged, or its SOC or capacity is unknown', () => {
    expect(evPlanning(charger, { plugged: false, socPct: 20 }, grid, FROM, 'UTC')).toEqual({
      ok: false,
      reason: 'the car is not plugged in',
    });
    expect(evPlanning(charger, { plugged: true }, grid, FROM, 'UTC').ok).toBe(false);
    const { batteryWh: _unused, ...noCapacity } = charger;
    expect(evPlanning(noCapacity, { socPct: 20 }, grid, FROM, 'UTC').ok).toBe(false);
    // No plug sensor: the car counts as plugged in.
    expect(evPlanning(charger, { socPct: 20 }, grid, FROM, 'UTC').ok).toBe(true);
  });

  it('caps a need that cannot be met by the departure at what the charger delivers, instead of an infeasible plan', () => {
    const late = FROM + 6 * 3_600_000; // 06:00, one hour before the departure
    const lateGrid = { ...grid, fromMs: late };
    const ev = evPlanning(charger, { socPct: 10 }, lateGrid, late, 'UTC');
    if (!ev.ok) throw new Error(ev.reason);
    expect(ev.entry.deadline_index).toBe(4);
    expect(ev.entry.energy_needed_kwh).toBeLessThan(4 * 3.68 * 0.25 * 0.9);
  });
});

describe('the plan schedules deferrable loads inside their windows', () => {
  it('runs three loads for their run time, inside their windows, at the cheapest times, with an EV', () => {
    const entries = loads.map((l) => deferrableEntry(l, windowAt(l, FROM, 'UTC'), 0, grid));
    expect(entries.map((e) => e && [e.start_index, e.end_index, e.run_minutes])).toEqual([
      [36, 64, 120],
      [24, 80, 60],
      [0, 24, 90],
    ]);
    const ev = evPlanning(charger, { plugged: true, socPct: 50 }, grid, FROM, 'UTC');
    if (!ev.ok) throw new Error(ev.reason);
    const p = plan({ deferrable_loads: entries, ev: ev.entry });
    expect(p.status).toBe('optimal');
    for (const [k, entry] of entries.entries()) {
      const on = p.intervals.flatMap((iv, t) => ((iv.deferrables?.[k]?.kw ?? 0) > 0 ? [t] : []));
      expect(p.intervals[0]!.deferrables?.[k]?.name).toBe(entry!.name);
      expect(on.length * 15).toBe(entry!.run_minutes);
      for (const t of on) {
        expect(t).toBeGreaterThanOrEqual(entry!.start_index);
        expect(t).toBeLessThan(entry!.end_index);
      }
    }
    const runs = (k: number): number[] =>
      p.intervals.flatMap((iv, t) => ((iv.deferrables?.[k]?.kw ?? 0) > 0 ? [t] : []));
    // The water heater and the pump run on the midday sun (10–15); the dishwasher in the cheap night hours.
    for (const t of [...runs(0), ...runs(1)]) expect(hourOf(t) >= 10 && hourOf(t) < 15).toBe(true);
    for (const t of runs(2)) expect(importPrice[t]).toBe(0.1);
  });

  it('keeps each load’s minimum on and off times in the plan, even when the cheap intervals are scattered', () => {
    // Every other 15-minute interval cheap: without minimums the pump would run in 15-minute bursts.
    const zigzag = importPrice.map((_, t) => (t % 2 === 0 ? 0.1 : 0.3));
    const pump: DeferrableLoad = {
      ...load('pool_pump', 1000, 120, '08:00', '20:00'),
      minOnMinutes: 45,
      minOffMinutes: 30,
    };
    const heater: DeferrableLoad = { ...load('heater', 2000, 60, '08:00', '20:00'), minOnMinutes: 60 };
    const entries = [pump, heater].map((l) => deferrableEntry(l, windowAt(l, FROM, 'UTC'), 0, grid)!);
    expect(entries[0]).toMatchObject({ min_on_minutes: 45, min_off_minutes: 30 });
    const p = scheduler.plan(
      {
        ...scenario({ deferrable_loads: entries }),
        prices: { import: zigzag, export: zigzag.map(() => 0), currency: 'AUD' },
      },
      { timeZone: 'UTC', timeLimitMs: 20_000 },
    );
    expect(p.status).toBe('optimal');
    const runsOf = (k: number): number[][] => {
      const on = p.intervals.map((iv) => (iv.deferrables?.[k]?.kw ?? 0) > 0);
      const runs: number[][] = [];
      on.forEach((v, t) => {
        if (!v) return;
        if (t > 0 && on[t - 1]) runs.at(-1)!.push(t);
        else runs.push([t]);
      });
      return runs;
    };
    const pumpRuns = runsOf(0);
    expect(pumpRuns.flat()).toHaveLength(8);
    for (const run of pumpRuns) expect(run.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < pumpRuns.length; i++)
      expect(pumpRuns[i]![0]! - pumpRuns[i - 1]!.at(-1)! - 1).toBeGreaterThanOrEqual(2);
    // A minimum as long as the run: one block of an hour.
    expect(runsOf(1).map((r) => r.length)).toEqual([4]);
  });

  it('plans only what is left of the run, and nothing once it is done or the window is off the grid', () => {
    const heater = loads[0]!;
    const w = windowAt(heater, FROM + 12 * 3_600_000, 'UTC');
    const noon: PlanGrid = { ...grid, fromMs: FROM + 12 * 3_600_000 };
    expect(deferrableEntry(heater, w, 45, noon)).toMatchObject({ start_index: 0, end_index: 16, run_minutes: 75 });
    expect(deferrableEntry(heater, w, 120, noon)).toBeNull();
    // 15:30 with 60 minutes left: only 30 minutes fit, and that is what is planned.
    const late: PlanGrid = { ...grid, fromMs: FROM + 15.5 * 3_600_000 };
    expect(deferrableEntry(heater, windowAt(heater, late.fromMs, 'UTC'), 60, late)).toMatchObject({
      start_index: 0,
      end_index: 2,
      run_minutes: 30,
    });
    // After the window: tomorrow's, in full.
    const evening = FROM + 17 * 3_600_000;
    const next = windowAt(heater, evening, 'UTC');
    expect(new Date(next.startMs).toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(deferrableEntry(heater, next, 0, { ...grid, fromMs: evening })).toMatchObject({
      start_index: 64,
      end_index: 92,
      run_minutes: 120,
    });
  });

  it('finds local windows across a daylight-saving change (Australia/Sydney, 5 April 2026)', () => {
    const pump = loads[1]!;
    // 06:00 local on 5 April (after the 03:00 → 02:00 change, AEST +10).
    const w = windowAt(pump, Date.parse('2026-04-04T19:00:00Z'), 'Australia/Sydney');
    expect(new Date(w.startMs).toISOString()).toBe('2026-04-04T20:00:00.000Z');
    expect(new Date(w.endMs).toISOString()).toBe('2026-04-05T10:00:00.000Z');
    expect(w.day).toBe('2026-04-05');
  });
});
