import fc from 'fast-check';
import {
  CBL_DAYS,
  averageDayBaseline,
  highFiveOfTenBaseline,
  isUsFederalHoliday,
  usFederalHolidays,
  type CblInput,
  type HourlyEnergy,
} from '@sps/aggregator';
import { LocalTimeCache } from '@sps/core';
import { HOUR, NY, at, hourlyHistory, localOf, shift } from './history-fixture';

const weekday = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay();
const isWeekend = (date: string): boolean => weekday(date) === 0 || weekday(date) === 6;

/** Days the average-day method must never look at, for an event on `eventDate`. */
function excluded(date: string, eventDate: string, eventDays: readonly string[]): boolean {
  const events = new Set([...eventDays, eventDate]);
  return (
    date >= eventDate || isWeekend(date) || isUsFederalHoliday(date) || events.has(date) || events.has(shift(date, 1))
  );
}

function closeTo(actual: readonly number[], expected: readonly number[], tolerance = 1e-9): boolean {
  return actual.length === expected.length && actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

describe('US federal holidays', () => {
  it('lists the 2026 holidays with the observed Friday for a Saturday Independence Day', () => {
    expect(usFederalHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-07-04',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ]);
  });

  it('observes a Sunday holiday on the Monday and a Saturday New Year on 31 December of the year before', () => {
    expect(isUsFederalHoliday('2027-07-05')).toBe(true); // 4 July 2027 is a Sunday
    expect(isUsFederalHoliday('2027-12-24')).toBe(true); // 25 December 2027 is a Saturday
    expect(isUsFederalHoliday('2021-12-31')).toBe(true); // 1 January 2022 is a Saturday
    expect(isUsFederalHoliday('2020-06-19')).toBe(false); // Juneteenth only from 2021
    expect(isUsFederalHoliday('2026-03-10')).toBe(false);
    expect(usFederalHolidays(Number.NaN)).toEqual([]);
  });
});

describe('averageDayBaseline: examples', () => {
  // Monday 2026-03-16, 16:00–20:00 New York: the 30 days before hold no federal holiday.
  const eventDate = '2026-03-16';
  const window = { eventStartMs: at(NY, eventDate, 16), eventEndMs: at(NY, eventDate, 20), timeZone: NY };

  it('averages all 10 kept days, not the 5 highest the reference code’s `fiveDayCBL` name suggests', () => {
    // The 10 weekdays before the event (skipping the day before it, a Sunday anyway) get levels 1…10 kW.
    const days: string[] = [];
    for (let d = shift(eventDate, -2); days.length < 10; d = shift(d, -1)) if (!isWeekend(d)) days.push(d);
    const level = new Map(days.map((d, i) => [d, i + 1]));
    const hourly = hourlyHistory(NY, shift(eventDate, -40), shift(eventDate, 1), (d) => level.get(d));
    const avg = averageDayBaseline({ ...window, hourly, eventDays: [] });
    expect(avg.reason).toBeNull();
    expect(avg.fallback).toBeNull();
    expect(avg.days).toEqual(days);
    expect(closeTo(avg.hourlyKw, [5.5, 5.5, 5.5, 5.5])).toBe(true);
    const high = highFiveOfTenBaseline({ ...window, hourly, eventDays: [] });
    expect(high.method).toBe('high_5_of_10');
    expect(high.days).toEqual(days.slice(5).reverse());
    expect(closeTo(high.hourlyKw, [8, 8, 8, 8])).toBe(true);
  });

  it('skips a low-usage day (below 25 % of the running average) and takes an older day instead', () => {
    const low = '2026-03-11'; // a Wednesday among the 10 most recent weekdays
    const hourly = hourlyHistory(NY, shift(eventDate, -40), shift(eventDate, 1), (d) => (d === low ? 0.2 : 2));
    const result = averageDayBaseline({ ...window, hourly, eventDays: [] });
    expect(result.fallback).toBeNull();
    expect(result.days).toHaveLength(CBL_DAYS);
    expect(result.days).not.toContain(low);
    expect(closeTo(result.hourlyKw, [2, 2, 2, 2])).toBe(true);
  });

  it('leaves out a day with a missing window hour', () => {
    const gap = '2026-03-12';
    const hourly = hourlyHistory(NY, shift(eventDate, -40), shift(eventDate, 1), (d, h) =>
      d === gap && h === 18 ? undefined : 1,
    );
    const result = averageDayBaseline({ ...window, hourly, eventDays: [] });
    expect(result.days).not.toContain(gap);
    expect(result.days).toContain('2026-03-11');
  });

  it('excludes the default holidays: the observed Independence Day 2026 (Friday 3 July)', () => {
    const start = at(NY, '2026-07-07', 16);
    const hourly = hourlyHistory(NY, '2026-05-20', '2026-07-08', () => 1);
    const result = averageDayBaseline({
      eventStartMs: start,
      eventEndMs: start + 4 * HOUR,
      timeZone: NY,
      hourly,
      eventDays: [],
    });
    expect(result.days).not.toContain('2026-07-03');
    // The day before the event (Monday 6 July) is excluded too: the event's own day is an event day.
    expect(result.days[0]).toBe('2026-07-02');
    // Given holidays replace the default list.
    const custom = averageDayBaseline({
      eventStartMs: start,
      eventEndMs: start + 4 * HOUR,
      timeZone: NY,
      hourly,
      eventDays: [],
      holidays: ['2026-07-02'],
    });
    expect(custom.days.slice(0, 2)).toEqual(['2026-07-03', '2026-07-01']);
  });

  it('keeps local hours across the spring-forward change (baseline days in EST, the event in EDT)', () => {
    // Monday 9 March 2026, the day after clocks went forward; load = the local hour in kWh.
    const start = at(NY, '2026-03-09', 16);
    const hourly = hourlyHistory(NY, '2026-01-20', '2026-03-10', (_d, h) => h);
    const result = averageDayBaseline({
      eventStartMs: start,
      eventEndMs: start + 4 * HOUR,
      timeZone: NY,
      hourly,
      eventDays: [],
    });
    expect(result.days).toContain('2026-03-06'); // a Friday in EST
    expect(closeTo(result.hourlyKw, [16, 17, 18, 19])).toBe(true);
  });

  it('cuts a 90-minute event into an hour and a half hour, each in kW', () => {
    const start = at(NY, eventDate, 16);
    const hourly = hourlyHistory(NY, shift(eventDate, -40), shift(eventDate, 1), (_d, h) => h / 4);
    const result = averageDayBaseline({
      eventStartMs: start,
      eventEndMs: start + 1.5 * HOUR,
      timeZone: NY,
      hourly,
      eventDays: [],
    });
    expect(result.hourStartMs).toEqual([start, start + HOUR]);
    expect(closeTo(result.hourlyKw, [4, 4.25])).toBe(true);
  });

  it('gives a reason instead of a baseline when no day qualifies', () => {
    const result = averageDayBaseline({ ...window, hourly: [], eventDays: [] });
    expect(result.hourlyKw).toEqual([]);
    expect(result.reason).toMatch(/no eligible day/);
    expect(result.hourStartMs).toHaveLength(4);
    expect(averageDayBaseline({ ...window, timeZone: 'Mars/Olympus', hourly: [], eventDays: [] }).reason).toMatch(
      /time zone/,
    );
    expect(
      averageDayBaseline({ ...window, eventEndMs: window.eventStartMs, hourly: [], eventDays: [] }).reason,
    ).toMatch(/ends before it starts/);
  });
});

// ---------------------------------------------------------------- properties

const eventArb = fc.record({
  /** Days after 2025-01-01: two years, so DST changes and holidays come up. */
  dayOffset: fc.integer({ min: 0, max: 730 }),
  hour: fc.integer({ min: 0, max: 19 }),
  minute: fc.constantFrom(0, 30),
  halfHours: fc.integer({ min: 1, max: 8 }),
});

interface Scenario {
  readonly input: CblInput;
  readonly eventDate: string;
}

function scenario(
  e: { dayOffset: number; hour: number; minute: number; halfHours: number },
  kwh: (date: string, hour: number) => number | undefined,
  eventDays: readonly string[] = [],
): Scenario {
  const eventDate = shift('2025-01-01', e.dayOffset);
  const start = at(NY, eventDate, e.hour, e.minute);
  const hourly = hourlyHistory(NY, shift(eventDate, -40), shift(eventDate, 1), kwh);
  return {
    eventDate,
    input: { eventStartMs: start, eventEndMs: start + (e.halfHours * HOUR) / 2, timeZone: NY, hourly, eventDays },
  };
}

/** A deterministic "random" daily level and hourly shape from fast-check's numbers. */
function loadFrom(levels: readonly number[], base: string): (date: string, hour: number) => number {
  return (date, hour) => {
    const i = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${base}T00:00:00Z`)) / 86_400_000);
    const level = levels[((i % levels.length) + levels.length) % levels.length]!;
    return level * (1 + ((hour * 7) % 5) / 10);
  };
}

describe('CBL properties', () => {
  it('a flat load gives a flat baseline equal to it, from 10 days, with no fallback (any day, hour, DST)', () => {
    fc.assert(
      fc.property(eventArb, fc.double({ min: 0.05, max: 20, noNaN: true }), (e, kw) => {
        const { input } = scenario(e, () => kw);
        for (const result of [averageDayBaseline(input), highFiveOfTenBaseline(input)]) {
          expect(result.reason).toBeNull();
          expect(result.fallback).toBeNull();
          expect(result.hourlyKw).toHaveLength(Math.ceil(e.halfHours / 2));
          expect(
            closeTo(
              result.hourlyKw,
              result.hourlyKw.map(() => kw),
              1e-9 * kw,
            ),
          ).toBe(true);
        }
        expect(averageDayBaseline(input).days).toHaveLength(CBL_DAYS);
      }),
      { numRuns: 60 },
    );
  });

  it('weekends, holidays, event days and days before events never influence the result', () => {
    fc.assert(
      fc.property(
        eventArb,
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 3, maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 35 }), { maxLength: 6 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (e, levels, eventBack, noise) => {
          const eventDate = shift('2025-01-01', e.dayOffset);
          const eventDays = eventBack.map((b) => shift(eventDate, -b));
          const load = loadFrom(levels, eventDate);
          const { input } = scenario(e, load, eventDays);
          const cache = new LocalTimeCache(NY);
          const isExcludedHour = (h: HourlyEnergy): boolean =>
            excluded(localOf(cache, h.hourStartMs).date, eventDate, eventDays);
          const changed: HourlyEnergy[] = input.hourly.map((h) =>
            isExcludedHour(h) ? { hourStartMs: h.hourStartMs, kwh: h.kwh * noise + noise } : h,
          );
          const removed = input.hourly.filter((h) => !isExcludedHour(h));
          for (const method of [averageDayBaseline, highFiveOfTenBaseline]) {
            const reference = method(input);
            expect(method({ ...input, hourly: changed })).toEqual(reference);
            expect(method({ ...input, hourly: removed })).toEqual(reference);
            for (const day of reference.days) expect(excluded(day, eventDate, eventDays)).toBe(false);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('scaling the history scales the baseline and keeps the same days', () => {
    // Powers of two scale every floating-point step exactly, so near-ties between days (which a
    // general factor may round either way) cannot flip and the comparison can be exact.
    fc.assert(
      fc.property(
        eventArb,
        fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 3, maxLength: 40 }),
        fc.integer({ min: -12, max: 12 }),
        (e, levels, exponent) => {
          const k = 2 ** exponent;
          const { input } = scenario(e, loadFrom(levels, '2025-01-01'));
          const scaled = { ...input, hourly: input.hourly.map((h) => ({ ...h, kwh: h.kwh * k })) };
          for (const method of [averageDayBaseline, highFiveOfTenBaseline]) {
            const a = method(input);
            const b = method(scaled);
            expect(b.days).toEqual(a.days);
            expect(b.fallback).toEqual(a.fallback);
            expect(b.hourlyKw).toEqual(a.hourlyKw.map((v) => v * k));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('any positive factor scales the baseline within rounding', () => {
    fc.assert(
      fc.property(
        eventArb,
        // Levels 1–3.5 kW: no day is near the low-usage threshold (25 % of the average), where a
        // general factor's rounding could tip it either way.
        fc.array(fc.integer({ min: 2, max: 7 }), { minLength: 3, maxLength: 40 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (e, steps, k) => {
          const { input } = scenario(
            e,
            loadFrom(
              steps.map((n) => n * 0.5),
              '2025-01-01',
            ),
          );
          const scaled = { ...input, hourly: input.hourly.map((h) => ({ ...h, kwh: h.kwh * k })) };
          const a = averageDayBaseline(input);
          const b = averageDayBaseline(scaled);
          expect(b.days).toEqual(a.days);
          expect(
            closeTo(
              b.hourlyKw,
              a.hourlyKw.map((v) => v * k),
              1e-9 * k * 40,
            ),
          ).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reports the fallback: fewer than 10 eligible days, or fewer than 10 passing the low-usage filter', () => {
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (e, eligible, high) => {
        const eventDate = shift('2025-01-01', e.dayOffset);
        // The most recent like days, newest first (what the method walks).
        const likeDays: string[] = [];
        for (let back = 1; back <= 30; back++) {
          const d = shift(eventDate, -back);
          if (!excluded(d, eventDate, [])) likeDays.push(d);
        }
        // Only `eligible` like days have data.
        const withData = new Set(likeDays.slice(0, eligible));
        const few = averageDayBaseline(scenario(e, (d) => (withData.has(d) || isWeekend(d) ? 1 : undefined)).input);
        if (eligible === 0) {
          expect(few.reason).toMatch(/no eligible day/);
          expect(few.hourlyKw).toEqual([]);
        } else {
          expect(few.fallbackKind).toBe('fewer_days');
          expect(few.fallback).toMatch(new RegExp(`only ${eligible} eligible day`));
          expect(few.days).toEqual(likeDays.slice(0, eligible));
        }
        // `high` recent days at 10 kW, the rest at 0.1 kW: the filter keeps only the high ones.
        const highDays = new Set(likeDays.slice(0, high));
        const lowUsage = averageDayBaseline(scenario(e, (d) => (highDays.has(d) ? 10 : 0.1)).input);
        expect(lowUsage.fallbackKind).toBe('no_low_usage_filter');
        expect(lowUsage.fallback).toMatch(new RegExp(`only ${high} of 10 days passed the low-usage filter`));
        expect(lowUsage.days).toEqual(likeDays.slice(0, CBL_DAYS));
      }),
      { numRuns: 40 },
    );
  });

  it('never throws, whatever the input; it returns a reason or a finite baseline', () => {
    const weird = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -1, 8.64e15, 1e300),
      fc.string(),
      fc.constant(null),
      fc.constant(undefined),
    );
    const hourArb = fc.oneof(
      fc.record({
        hourStartMs: fc.oneof(fc.double(), fc.integer({ min: 1.7e12, max: 1.8e12 })),
        kwh: fc.oneof(fc.double(), fc.constant(1)),
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.record({
          eventStartMs: fc.oneof(weird, fc.integer({ min: 1.7e12, max: 1.8e12 })),
          eventEndMs: fc.oneof(weird, fc.integer({ min: 1.7e12, max: 1.8e12 })),
          timeZone: fc.oneof(
            fc.constantFrom(NY, 'UTC', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Nowhere/Else', ''),
            weird,
          ),
          hourly: fc.oneof(fc.array(hourArb, { maxLength: 30 }), weird),
          eventDays: fc.oneof(fc.array(fc.string(), { maxLength: 5 }), weird),
          holidays: fc.oneof(fc.array(fc.string(), { maxLength: 5 }), weird),
        }),
        (raw) => {
          for (const method of [averageDayBaseline, highFiveOfTenBaseline]) {
            const result = method(raw as unknown as CblInput);
            if (result.reason === null) {
              expect(result.hourlyKw.length).toBe(result.hourStartMs.length);
              expect(result.hourlyKw.every(Number.isFinite)).toBe(true);
            } else {
              expect(result.hourlyKw).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(averageDayBaseline(null as unknown as CblInput).reason).not.toBeNull();
  });
});
