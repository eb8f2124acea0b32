import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { averageDayBaseline } from '@sps/aggregator';
import { LocalTimeCache, ManualClock, zonedToUtc } from '@sps/core';
import { ReadingStore } from '@sps/store';
import { BASELINE_HISTORY_DAYS, eventDaysOf, gridImportHourly } from '../../src/dr/grid-history';

const NY = 'America/New_York';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sps-grid-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A store filled the way the add-on fills it: one grid_power reading a minute, appended as the
 * (manual) clock moves on, flushed and pruned by the store itself, so readings older than the
 * 10 days of raw retention survive only as 5-minute aggregates.
 */
async function filledStore(
  timeZone: string,
  fromMs: number,
  toMs: number,
  watts: (local: { hour: number; minute: number; weekday: number }) => number | undefined,
): Promise<{ store: ReadingStore; clock: ManualClock }> {
  const clock = new ManualClock(fromMs);
  const store = ReadingStore.open({
    path: join(dir, 'readings.sqlite'),
    clock,
    flushIntervalMs: HOUR,
    pruneIntervalMs: DAY,
    onProblem: (p) => {
      throw new Error(`store problem: ${JSON.stringify(p)}`);
    },
  });
  const local = new LocalTimeCache(timeZone);
  for (let hourStart = fromMs; hourStart < toMs; hourStart += HOUR) {
    await clock.advance(HOUR);
    for (let t = hourStart; t < hourStart + HOUR; t += MINUTE) {
      const f = local.fields(t);
      const w = watts({ hour: Math.floor(f.minuteOfDay / 60), minute: f.minuteOfDay % 60, weekday: f.weekday });
      if (w !== undefined) store.append('sungrow', { timestamp: t, values: { grid_power: w } });
    }
    store.flush();
  }
  await clock.advance(10 * MINUTE);
  store.flush();
  store.prune();
  return { store, clock };
}

describe('gridImportHourly', () => {
  it('gives kWh per local hour from aggregates and raw rows, export as 0, and leaves out thin hours', async () => {
    const from = zonedToUtc(NY, 2026, 2, 9);
    const to = zonedToUtc(NY, 2026, 3, 16);
    const { store } = await filledStore(NY, from, to, ({ hour, minute }) => {
      if (hour === 3) return -1500; // exporting all hour: no import
      if (hour === 4 && minute >= 30) return undefined; // only half an hour of data
      if (hour === 5) return minute % 10 < 5 ? 2000 : -1000; // import and export in turn, by bucket
      return 1000 + 100 * hour;
    });
    try {
      const hourly = gridImportHourly(store, {
        deviceId: 'sungrow',
        key: 'grid_power',
        fromMs: from,
        toMs: to,
        timeZone: NY,
      });
      const local = new LocalTimeCache(NY);
      const byLocalHour = new Map<number, number[]>();
      for (const h of hourly) {
        const f = local.fields(h.hourStartMs);
        expect(f.minuteOfDay % 60).toBe(0);
        const list = byLocalHour.get(f.minuteOfDay / 60) ?? [];
        list.push(h.kwh);
        byLocalHour.set(f.minuteOfDay / 60, list);
      }
      expect(byLocalHour.has(4)).toBe(false);
      expect(new Set(byLocalHour.get(3))).toEqual(new Set([0]));
      // Whole 5-minute buckets of import (2000 W) and of export: half an hour of 2 kW.
      for (const kwh of byLocalHour.get(5)!) expect(kwh).toBeCloseTo(1, 9);
      for (const h of [0, 12, 16, 23]) {
        for (const kwh of byLocalHour.get(h)!) expect(kwh).toBeCloseTo((1000 + 100 * h) / 1000, 9);
      }
      // 35 days, with a 23-hour day at the spring change; hour 4 is missing on each.
      expect(hourly).toHaveLength(35 * 24 - 1 - 35);
      // Raw rows are kept for 10 days only: the older hours came from the 5-minute aggregates.
      expect(store.history({ deviceId: 'sungrow', key: 'grid_power', from, to: from + DAY }).resolution).toBe('5m');
    } finally {
      store.close();
    }
  });

  it('feeds the average-day baseline: the profile of the event hours comes back from the store', async () => {
    const event = zonedToUtc(NY, 2026, 3, 16, 16); // Monday 16:00 local
    const from = event - BASELINE_HISTORY_DAYS * DAY;
    // Weekdays follow the profile; weekends are much higher and must not leak into the baseline.
    const { store } = await filledStore(NY, from, event, ({ hour, weekday }) =>
      weekday === 0 || weekday === 6 ? 9000 : 500 + 250 * hour,
    );
    try {
      const hourly = gridImportHourly(store, {
        deviceId: 'sungrow',
        key: 'grid_power',
        fromMs: from,
        toMs: event,
        timeZone: NY,
      });
      const pastEvents = [{ startMs: zonedToUtc(NY, 2026, 3, 4, 14), endMs: zonedToUtc(NY, 2026, 3, 4, 18) }];
      const eventDays = eventDaysOf(pastEvents, NY);
      expect(eventDays).toEqual(['2026-03-04']);
      const cbl = averageDayBaseline({
        eventStartMs: event,
        eventEndMs: event + 4 * HOUR,
        timeZone: NY,
        hourly,
        eventDays,
      });
      expect(cbl.reason).toBeNull();
      expect(cbl.fallback).toBeNull();
      expect(cbl.days).not.toContain('2026-03-04');
      expect(cbl.days).not.toContain('2026-03-03');
      expect(cbl.hourlyKw.map((kw) => Number(kw.toFixed(9)))).toEqual([4.5, 4.75, 5, 5.25]);
    } finally {
      store.close();
    }
  });

  it('uses local hours in a half-hour zone', async () => {
    const tz = 'Asia/Kolkata';
    const from = zonedToUtc(tz, 2026, 3, 2);
    const { store } = await filledStore(tz, from, from + DAY, ({ hour }) => 100 * hour);
    try {
      const hourly = gridImportHourly(store, {
        deviceId: 'sungrow',
        key: 'grid_power',
        fromMs: from,
        toMs: from + DAY,
        timeZone: tz,
      });
      expect(hourly).toHaveLength(24);
      expect(hourly[0]!.hourStartMs % HOUR).toBe(HOUR / 2); // local midnight is hh:30 UTC
      expect(hourly.map((h) => Number(h.kwh.toFixed(9)))).toEqual(Array.from({ length: 24 }, (_, h) => h / 10));
    } finally {
      store.close();
    }
  });

  it('returns nothing for an unknown series and refuses an unknown time zone', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const store = ReadingStore.open({ path: join(dir, 'empty.sqlite'), clock });
    try {
      expect(
        gridImportHourly(store, { deviceId: 'none', key: 'grid_power', fromMs: 0, toMs: clock.now(), timeZone: NY }),
      ).toEqual([]);
      expect(() =>
        gridImportHourly(store, { deviceId: 'none', key: 'grid_power', fromMs: 0, toMs: 1, timeZone: 'Mars/Olympus' }),
      ).toThrow(RangeError);
    } finally {
      store.close();
    }
  });
});

describe('eventDaysOf', () => {
  it('marks every local day an event touches, skips cancelled ones, and keeps opted-out ones', () => {
    const late = { startMs: zonedToUtc(NY, 2026, 6, 1, 22), endMs: zonedToUtc(NY, 2026, 6, 2, 2) };
    const endsAtMidnight = { startMs: zonedToUtc(NY, 2026, 6, 5, 20), endMs: zonedToUtc(NY, 2026, 6, 6, 0) };
    const cancelled = {
      startMs: zonedToUtc(NY, 2026, 6, 9, 16),
      endMs: zonedToUtc(NY, 2026, 6, 9, 20),
      status: 'cancelled' as const,
    };
    const optedOut = {
      startMs: zonedToUtc(NY, 2026, 6, 10, 16),
      endMs: zonedToUtc(NY, 2026, 6, 10, 20),
      status: 'active' as const,
    };
    expect(eventDaysOf([optedOut, late, endsAtMidnight, cancelled], NY)).toEqual([
      '2026-06-01',
      '2026-06-02',
      '2026-06-05',
      '2026-06-10',
    ]);
    expect(eventDaysOf([{ startMs: Number.NaN, endMs: 0 }], NY)).toEqual([]);
    expect(() => eventDaysOf([], 'Mars/Olympus')).toThrow(/time zone Mars\/Olympus is not an IANA zone/);
  });
});
