import fc from 'fast-check';
import { eventPerformance, importIntegralWms, type CblResult } from '@sps/aggregator';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 16, 20); // 16:00 New York

function baseline(hourlyKw: number[], reason: string | null = null): CblResult {
  return {
    method: 'average_day',
    hourlyKw: reason === null ? hourlyKw : [],
    hourStartMs: hourlyKw.map((_, i) => T0 + i * HOUR),
    days: reason === null ? ['2026-03-13'] : [],
    fallback: null,
    fallbackKind: null,
    reason,
  };
}

describe('eventPerformance', () => {
  it('compares each hour with its baseline, the running hour pro-rata, and totals the avoided energy', () => {
    const perf = eventPerformance({
      eventId: 'CSRP-1',
      eventStartMs: T0,
      eventEndMs: T0 + 4 * HOUR,
      baseline: baseline([2, 2, 2, 2]),
      actual: [
        { hourStartMs: T0, importKwh: 1, measuredMs: HOUR },
        // Above the baseline: shown negative in the hour, adds 0 to the avoided total.
        { hourStartMs: T0 + HOUR, importKwh: 3, measuredMs: HOUR },
        // 30 minutes into the third hour, 0.25 kWh imported: 0.5 kW against 2 kW for half an hour.
        { hourStartMs: T0 + 2 * HOUR, importKwh: 0.25, measuredMs: HOUR / 2 },
      ],
      goalKw: 1,
      ratePerKwMonth: 18,
    });
    expect(perf.hours.map((h) => h.baselineKw)).toEqual([2, 2, 2, 2]);
    expect(perf.hours.map((h) => h.actualKw)).toEqual([1, 3, 0.5, null]);
    expect(perf.hours.map((h) => h.avoidedKwh)).toEqual([1, -1, 0.75, null]);
    expect(perf.hours.map((h) => h.goalMetPct)).toEqual([100, -100, 150, null]);
    expect(perf.avoidedKwh).toBeCloseTo(1.75, 12);
    // Signed average reduction: (1 − 1 + 0.75) kWh over 2.5 measured hours = 0.3 kW.
    expect(perf.goalMetPct).toBeCloseTo(30, 10);
    expect(perf.monthlyValue).toBeCloseTo(0.3 * 18, 10);
    expect(perf.baselineMethod).toBe('average_day');
    expect(perf.baselineDays).toEqual(['2026-03-13']);
  });

  it('without a baseline shows the import and the reason, but no avoided energy or value', () => {
    const perf = eventPerformance({
      eventId: 'x',
      eventStartMs: T0,
      eventEndMs: T0 + 2 * HOUR,
      baseline: baseline([0, 0], 'no eligible day'),
      actual: [{ hourStartMs: T0, importKwh: 1.5, measuredMs: HOUR }],
      goalKw: 1,
      ratePerKwMonth: 18,
    });
    expect(perf.hours[0]).toEqual({
      hourStartMs: T0,
      baselineKw: 0,
      actualKw: 1.5,
      avoidedKwh: null,
      goalMetPct: null,
    });
    expect(perf.avoidedKwh).toBe(0);
    expect(perf.goalMetPct).toBeNull();
    expect(perf.monthlyValue).toBeNull();
    expect(perf.baselineFallback).toBe('no eligible day');
  });

  it('has no percentage without a goal and no monthly value without a rate; a short last hour is its own slice', () => {
    const perf = eventPerformance({
      eventId: 'x',
      eventStartMs: T0,
      eventEndMs: T0 + 1.5 * HOUR,
      baseline: baseline([2, 4]),
      actual: [{ hourStartMs: T0 + HOUR, importKwh: 1, measuredMs: HOUR / 2 }],
      goalKw: 0,
      ratePerKwMonth: null,
    });
    expect(perf.hours.map((h) => h.hourStartMs)).toEqual([T0, T0 + HOUR]);
    expect(perf.hours[1]).toMatchObject({ baselineKw: 4, actualKw: 2, avoidedKwh: 1, goalMetPct: null });
    expect(perf.goalMetPct).toBeNull();
    expect(perf.monthlyValue).toBeNull();
  });
});

/** Equal within rounding, relative to the size of the value. */
function near(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe('eventPerformance properties', () => {
  it('totals agree with the hours: avoided = Σ positive hours, % and value from the signed average', () => {
    const hourArb = fc.record({
      baselineKw: fc.double({ min: 0, max: 20, noNaN: true }),
      importKwh: fc.double({ min: 0, max: 20, noNaN: true }),
      measuredMs: fc.integer({ min: 0, max: HOUR }),
    });
    fc.assert(
      fc.property(
        fc.array(hourArb, { minLength: 1, maxLength: 8 }),
        fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 10, noNaN: true })),
        fc.option(fc.double({ min: 0, max: 50, noNaN: true })),
        (hours, goalKw, rate) => {
          const perf = eventPerformance({
            eventId: 'p',
            eventStartMs: T0,
            eventEndMs: T0 + hours.length * HOUR,
            baseline: baseline(hours.map((h) => h.baselineKw)),
            actual: hours.map((h, i) => ({
              hourStartMs: T0 + i * HOUR,
              importKwh: h.importKwh,
              measuredMs: h.measuredMs,
            })),
            goalKw,
            ratePerKwMonth: rate,
          });
          expect(perf.hours).toHaveLength(hours.length);
          const measured = perf.hours.filter((h) => h.avoidedKwh !== null);
          expect(measured).toHaveLength(hours.filter((h) => h.measuredMs > 0).length);
          const positive = measured.reduce((sum, h) => sum + Math.max(0, h.avoidedKwh!), 0);
          expect(near(perf.avoidedKwh, positive)).toBe(true);
          expect(perf.avoidedKwh).toBeGreaterThanOrEqual(0);
          const signed = measured.reduce((sum, h) => sum + h.avoidedKwh!, 0);
          const measuredH = hours.reduce((sum, h) => sum + h.measuredMs / HOUR, 0);
          if (measured.length === 0) {
            expect(perf.goalMetPct).toBeNull();
            expect(perf.monthlyValue).toBeNull();
            return;
          }
          const average = signed / measuredH;
          if (goalKw > 0) expect(near(perf.goalMetPct!, (average / goalKw) * 100)).toBe(true);
          else expect(perf.goalMetPct).toBeNull();
          if (rate === null) expect(perf.monthlyValue).toBeNull();
          else expect(near(perf.monthlyValue!, Math.max(0, average) * rate)).toBe(true);
        },
      ),
    );
  });
});

describe('importIntegralWms', () => {
  it('is the trapezoid when importing, 0 when exporting, and the import triangle across zero', () => {
    expect(importIntegralWms(0, 1000, 1000, 3000, 0, 1000)).toBe(2000 * 1000);
    expect(importIntegralWms(0, -1000, 1000, -10, 0, 1000)).toBe(0);
    // From −1000 W to +1000 W over 1 s: zero at 0.5 s, then a triangle of 1000 W × 0.5 s / 2.
    expect(importIntegralWms(0, -1000, 1000, 1000, 0, 1000)).toBeCloseTo(250_000, 6);
    expect(importIntegralWms(0, 1000, 1000, -1000, 0, 1000)).toBeCloseTo(250_000, 6);
    // A sub-range uses the line between the two samples.
    expect(importIntegralWms(0, 0, 1000, 1000, 500, 1000)).toBeCloseTo(375_000, 6);
  });
});
