import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DrPerformanceTracker, GRID_SAMPLE_MAX_GAP_MS, type CblResult, type DrEvent } from '@sps/aggregator';
import { loadSqlite, type DatabaseSync } from '@sps/store';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 16, 20);

function event(id: string, startMs = T0, hours = 4, goal: Partial<Pick<DrEvent, 'goalKw' | 'goalPct'>> = {}): DrEvent {
  return {
    id,
    program: 'CSRP',
    type: 'contingency',
    startMs,
    endMs: startMs + hours * HOUR,
    goalKw: goal.goalKw ?? null,
    goalPct: goal.goalPct ?? null,
    status: 'active',
    receivedAtMs: startMs - 21 * HOUR,
    sentAt: null,
    optedOut: false,
    simulated: false,
  };
}

function baseline(hourlyKw: number[]): CblResult {
  return {
    method: 'average_day',
    hourlyKw,
    hourStartMs: hourlyKw.map((_, i) => T0 + i * HOUR),
    days: ['2026-03-13', '2026-03-12'],
    fallback: null,
    fallbackKind: null,
    reason: null,
  };
}

/** Constant power sampled every minute over [from, to]. */
function feed(tracker: DrPerformanceTracker, from: number, to: number, w: number | ((t: number) => number)): void {
  for (let t = from; t <= to; t += MINUTE) tracker.recordGrid(t, typeof w === 'number' ? w : w(t));
}

let dir: string;
const open: DatabaseSync[] = [];
function database(name = 'aggregator.sqlite'): DatabaseSync {
  const db = new (loadSqlite().DatabaseSync)(join(dir, name));
  open.push(db);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sps-dr-perf-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DrPerformanceTracker', () => {
  it('integrates import per event hour against the baseline and the goal', () => {
    const tracker = new DrPerformanceTracker({ db: database(), ratePerKwMonth: 18 });
    tracker.beginEvent(event('e1', T0, 4, { goalKw: 1 }), baseline([3, 3, 3, 3]));
    // From before the start: only the part inside the window counts.
    feed(tracker, T0 - 10 * MINUTE, T0 + 90 * MINUTE, 2000);
    const perf = tracker.current(T0 + 90 * MINUTE)!;
    expect(perf.eventId).toBe('e1');
    expect(perf.goalKw).toBe(1);
    expect(perf.hours[0]).toMatchObject({ baselineKw: 3, actualKw: 2, goalMetPct: 100 });
    expect(perf.hours[0]!.avoidedKwh).toBeCloseTo(1, 9);
    expect(perf.hours[1]!.actualKw).toBeCloseTo(2, 9);
    expect(perf.hours[1]!.avoidedKwh).toBeCloseTo(0.5, 9); // half an hour so far
    expect(perf.hours[2]!.actualKw).toBeNull();
    expect(perf.avoidedKwh).toBeCloseTo(1.5, 9);
    expect(perf.monthlyValue).toBeCloseTo(18, 9);
    expect(tracker.baselineNowKw(T0 + 90 * MINUTE)).toBe(3);
    expect(tracker.baselineNowKw(T0 - 1)).toBeNull();
    expect(tracker.actualNowKw()).toBe(2);
  });

  it('counts export as zero import and does not integrate across a gap of more than 5 minutes', () => {
    const tracker = new DrPerformanceTracker({ db: database() });
    tracker.beginEvent(event('e1'), baseline([1, 1, 1, 1]));
    // Alternating ±1000 W each minute: a triangle of import in every minute, 250 W on average.
    feed(tracker, T0, T0 + HOUR, (t) => (((t - T0) / MINUTE) % 2 === 0 ? -1000 : 1000));
    expect(tracker.current(T0 + HOUR)!.hours[0]!.actualKw).toBeCloseTo(0.25, 9);
    expect(tracker.actualNowKw()).toBe(0); // the last sample (minute 60) was export
    // Second hour: 20 minutes of data, a gap just over 5 minutes, then 20 more minutes.
    feed(tracker, T0 + HOUR + MINUTE, T0 + HOUR + 20 * MINUTE, 500);
    feed(tracker, T0 + HOUR + 20 * MINUTE + GRID_SAMPLE_MAX_GAP_MS + 1000, T0 + HOUR + 45 * MINUTE, 500);
    const second = tracker.current(T0 + 2 * HOUR)!.hours[1]!;
    // Measured: the minute bridged from −1000 W to 500 W (a 500 W × 20 s / 2 triangle), then 19 and
    // 19 minutes at 500 W; the 6 minutes across the gap are not.
    const measuredS = 60 + 19 * 60 + 19 * 60;
    const importWs = (500 * 20) / 2 + 2 * 19 * 60 * 500;
    expect(second.actualKw).toBeCloseTo(importWs / measuredS / 1000, 9);
    expect(second.avoidedKwh).toBeCloseTo((1 - importWs / measuredS / 1000) * (measuredS / 3600), 9);
  });

  it('keeps a total_increasing counter: it never goes down and ends as the sum of the positive hours', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3000, max: 6000 }), { minLength: 60, maxLength: 150, size: 'max' }),
        (powers) => {
          const db = new (loadSqlite().DatabaseSync)(':memory:');
          try {
            const tracker = new DrPerformanceTracker({ db });
            tracker.beginEvent(event('p'), baseline([2, 2, 2, 2]));
            let last = tracker.totalAvoidedKwh();
            powers.forEach((w, i) => {
              tracker.recordGrid(T0 + i * 2 * MINUTE, w);
              const total = tracker.totalAvoidedKwh();
              expect(total).toBeGreaterThanOrEqual(last);
              last = total;
            });
            const hours = tracker.current(T0 + 24 * HOUR)!.hours;
            // The next event closes every hour of this one.
            tracker.beginEvent(event('next', T0 + 24 * HOUR), baseline([2, 2, 2, 2]));
            const positive = hours.reduce((sum, h) => sum + Math.max(0, h.avoidedKwh ?? 0), 0);
            expect(tracker.totalAvoidedKwh()).toBeGreaterThanOrEqual(last);
            expect(tracker.totalAvoidedKwh()).toBeCloseTo(positive, 9);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('totals closed hours: positive hours count, a negative hour counts 0', () => {
    const tracker = new DrPerformanceTracker({ db: database() });
    tracker.beginEvent(event('e1', T0, 2), baseline([2, 2]));
    feed(tracker, T0, T0 + HOUR, 1000); // avoids 1 kWh
    feed(tracker, T0 + HOUR + MINUTE, T0 + 2 * HOUR, 5000); // 3 kWh above the baseline
    expect(tracker.current(T0 + 2 * HOUR)!.hours.map((h) => h.avoidedKwh)).toEqual([
      expect.closeTo(1, 6),
      expect.closeTo(-3 + (5000 - 1000) / 2 / 1000 / 60, 6),
    ]);
    expect(tracker.totalAvoidedKwh()).toBeCloseTo(1, 6);
    tracker.beginEvent(event('e2', T0 + 24 * HOUR, 1), baseline([2]));
    feed(tracker, T0 + 24 * HOUR, T0 + 25 * HOUR, 500);
    expect(tracker.totalAvoidedKwh()).toBeCloseTo(2.5, 6);
    expect(tracker.pastEvents().map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('resumes the event after a restart mid-event, and the counter is not lower after it', () => {
    const first = new DrPerformanceTracker({ db: database() });
    const ev = event('csrp', T0, 4, { goalKw: 1 });
    first.beginEvent(ev, baseline([3, 3, 3, 3]));
    feed(first, T0, T0 + 90 * MINUTE, 1000);
    const before = first.current(T0 + 90 * MINUTE)!;
    const totalBefore = first.totalAvoidedKwh();
    expect(totalBefore).toBeCloseTo(2, 9); // the first hour closed; the running one is not in the total yet
    first.flush();
    for (const db of open.splice(0)) db.close();

    const second = new DrPerformanceTracker({ db: database() });
    expect(second.current(T0 + 90 * MINUTE)).toEqual(before);
    expect(second.totalAvoidedKwh()).toBe(totalBefore);
    // The add-on begins the event again on start: the same id resumes, it does not start over.
    second.beginEvent(ev, baseline([9, 9, 9, 9]));
    expect(second.current(T0 + 90 * MINUTE)).toEqual(before);
    // Back 7 minutes later: more than GRID_SAMPLE_MAX_GAP_MS, so the restart's gap is not bridged.
    feed(second, T0 + 97 * MINUTE, T0 + 4 * HOUR, 1000);
    const after = second.current(T0 + 4 * HOUR)!;
    expect(after.hours.map((h) => h.baselineKw)).toEqual([3, 3, 3, 3]);
    expect(after.hours[1]!.avoidedKwh).toBeCloseTo((2 * 53) / 60, 6);
    expect(second.totalAvoidedKwh()).toBeGreaterThanOrEqual(totalBefore);
    expect(second.totalAvoidedKwh()).toBeCloseTo(2 + (2 * 53) / 60 + 2 + 2, 6);
  });

  it('without a flush, a restart loses at most the unwritten minute and the counter still does not drop', () => {
    const first = new DrPerformanceTracker({ db: database() });
    first.beginEvent(event('e'), baseline([3, 3, 3, 3]));
    for (let t = T0; t <= T0 + 70 * MINUTE; t += 10_000) first.recordGrid(t, 1000);
    const shown = first.totalAvoidedKwh();
    expect(shown).toBeCloseTo(2, 9);
    for (const db of open.splice(0)) db.close(); // killed: no flush
    const second = new DrPerformanceTracker({ db: database() });
    expect(second.totalAvoidedKwh()).toBe(shown);
    // The running hour lost at most the last minute's samples.
    const running = second.current(T0 + 70 * MINUTE)!.hours[1]!;
    expect(running.avoidedKwh!).toBeGreaterThan((2 * 9) / 60);
  });

  it('a cancelled event stops at the cancellation; the goal comes from goal_pct or the default', () => {
    const tracker = new DrPerformanceTracker({ db: database(), defaultGoalKw: 0.7 });
    tracker.beginEvent(event('pct', T0, 4, { goalPct: 25 }), baseline([4, 4, 2, 2]));
    expect(tracker.current(T0)!.goalKw).toBeCloseTo(0.75, 9);
    feed(tracker, T0, T0 + 80 * MINUTE, 1000);
    tracker.endEvent('pct', T0 + 80 * MINUTE);
    const perf = tracker.current(T0 + 3 * HOUR)!;
    expect(perf.hours).toHaveLength(2);
    expect(perf.hours[1]!.avoidedKwh).toBeCloseTo((3 * 20) / 60, 6);
    expect(tracker.totalAvoidedKwh()).toBeCloseTo(3 + 1, 6);
    feed(tracker, T0 + 81 * MINUTE, T0 + 2 * HOUR, 0);
    expect(tracker.current(T0 + 3 * HOUR)!.hours[1]!.avoidedKwh).toBeCloseTo(1, 6);
    tracker.beginEvent(event('default', T0 + 48 * HOUR), baseline([1, 1, 1, 1]));
    expect(tracker.current(T0 + 48 * HOUR)!.goalKw).toBe(0.7);
  });

  it('ignores non-finite and out-of-order samples and reports nothing before an event', () => {
    const tracker = new DrPerformanceTracker({ db: database() });
    expect(tracker.current(T0)).toBeNull();
    expect(tracker.actualNowKw()).toBeNull();
    tracker.recordGrid(Number.NaN, 100);
    tracker.recordGrid(T0, Number.POSITIVE_INFINITY);
    expect(tracker.actualNowKw()).toBeNull();
    tracker.recordGrid(T0, 1500);
    tracker.recordGrid(T0 - MINUTE, 9000);
    expect(tracker.actualNowKw()).toBe(1.5);
    expect(tracker.totalAvoidedKwh()).toBe(0);
  });
});
