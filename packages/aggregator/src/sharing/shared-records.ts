/**
 * The records a batch carries, as the receiver sees them (snake_case, ISO 8601 UTC times).
 * Each names its `kind`, one of the kinds in levels.ts, so the level table decides what goes.
 */
import type { DrChange, DrEventPerformance } from '../contracts.js';
import type { MinuteSample } from './minute-sampler.js';
import type { WindowAverage } from './time-weighted-averager.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function drChangeRecord(change: DrChange): Record<string, unknown> {
  const e = change.event;
  return {
    kind: 'dr_change',
    change: change.kind,
    at: iso(change.atMs),
    event: {
      id: e.id,
      program: e.program,
      type: e.type,
      start: iso(e.startMs),
      end: iso(e.endMs),
      goal_kw: e.goalKw,
      goal_pct: e.goalPct,
      status: e.status,
      opted_out: e.optedOut,
      simulated: e.simulated,
    },
  };
}

/** The monthly value (the user's own money at their programme's rate) stays at home. */
export function drPerformanceRecord(perf: DrEventPerformance, atMs: number): Record<string, unknown> {
  return {
    kind: 'dr_performance',
    at: iso(atMs),
    event_id: perf.eventId,
    baseline_method: perf.baselineMethod,
    baseline_days: perf.baselineDays,
    baseline_fallback: perf.baselineFallback,
    goal_kw: perf.goalKw,
    avoided_kwh: perf.avoidedKwh,
    goal_met_pct: perf.goalMetPct,
    hours: perf.hours.map((h) => ({
      start: iso(h.hourStartMs),
      baseline_kw: h.baselineKw,
      actual_kw: h.actualKw,
      avoided_kwh: h.avoidedKwh,
      goal_met_pct: h.goalMetPct,
    })),
  };
}

export function averageRecord(windowStartMs: number, average: WindowAverage): Record<string, unknown> {
  return {
    kind: 'average_15m',
    device: average.deviceId,
    start: iso(windowStartMs),
    covered_s: average.coveredS,
    values: average.values,
  };
}

export function readingRecord(sample: MinuteSample): Record<string, unknown> {
  return { kind: 'reading_1m', device: sample.deviceId, at: iso(sample.minuteStartMs), values: sample.values };
}
