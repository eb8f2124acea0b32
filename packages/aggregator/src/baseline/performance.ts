/**
 * How an event went, hour by hour, against its baseline. Pure.
 *
 * Per slice of the event window: the baseline (kW), the actual grid import (kW, averaged over the
 * part of the hour that was measured), the avoided energy (baseline − actual over that part, kWh)
 * and the share of the goal met. The hour in progress is therefore compared pro-rata: 20 minutes
 * into an hour, 20 minutes of baseline against 20 minutes of import.
 *
 * Totals: `avoidedKwh` adds only hours that avoided something (an hour above its baseline shows
 * its negative value in the hour but adds 0), so the event figure and the lifetime counter
 * (DrPerformanceTracker.totalAvoidedKwh, a total_increasing sensor) agree. `goalMetPct` and the
 * monthly value use the signed average reduction over the measured time: an hour above the
 * baseline does pull the event's average down, as it does in the programme's settlement.
 */
import type { DrEventPerformance, DrHourPerformance } from '../contracts.js';
import type { CblResult } from './cbl.js';
import { HOUR_MS, MAX_WINDOW_HOURS } from './window.js';

/** Grid import measured in one slice of the event window. */
export interface MeasuredSlice {
  readonly hourStartMs: number;
  /** Import energy over the measured part (kWh). */
  readonly importKwh: number;
  /** How much of the slice was measured (ms); 0 = no data. */
  readonly measuredMs: number;
}

export interface EventPerformanceInput {
  readonly eventId: string;
  readonly eventStartMs: number;
  readonly eventEndMs: number;
  readonly baseline: CblResult;
  /** Import so far; slices not listed have no data yet. */
  readonly actual: readonly MeasuredSlice[];
  /** The reduction asked for (kW); 0 or less: no goal, so no percentage. */
  readonly goalKw: number;
  /** The programme's $/kW-month; null: no monthly value. */
  readonly ratePerKwMonth: number | null;
}

/** UTC starts of the event's one-hour slices (the last may be shorter). */
export function eventHourStarts(startMs: number, endMs: number): number[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return [];
  const out: number[] = [];
  const end = Math.min(endMs, startMs + MAX_WINDOW_HOURS * HOUR_MS);
  for (let s = startMs; s < end; s += HOUR_MS) out.push(s);
  return out;
}

export function eventPerformance(input: EventPerformanceInput): DrEventPerformance {
  const { baseline } = input;
  const hasBaseline = baseline.reason === null && baseline.hourlyKw.length > 0;
  const goal = Number.isFinite(input.goalKw) && input.goalKw > 0 ? input.goalKw : 0;
  const measured = new Map(input.actual.map((m) => [m.hourStartMs, m]));
  let avoidedPositive = 0;
  let signedAvoided = 0;
  let measuredHours = 0;
  const hours: DrHourPerformance[] = eventHourStarts(input.eventStartMs, input.eventEndMs).map((start, i) => {
    const baselineKw = hasBaseline ? (baseline.hourlyKw[i] ?? 0) : 0;
    const m = measured.get(start);
    if (!m || !(m.measuredMs > 0) || !Number.isFinite(m.importKwh)) {
      return { hourStartMs: start, baselineKw, actualKw: null, avoidedKwh: null, goalMetPct: null };
    }
    const h = m.measuredMs / HOUR_MS;
    const actualKw = m.importKwh / h;
    if (!hasBaseline) return { hourStartMs: start, baselineKw, actualKw, avoidedKwh: null, goalMetPct: null };
    const avoidedKwh = (baselineKw - actualKw) * h;
    avoidedPositive += Math.max(0, avoidedKwh);
    signedAvoided += avoidedKwh;
    measuredHours += h;
    const goalMetPct = goal > 0 ? ((baselineKw - actualKw) / goal) * 100 : null;
    return { hourStartMs: start, baselineKw, actualKw, avoidedKwh, goalMetPct };
  });
  const averageReductionKw = measuredHours > 0 ? signedAvoided / measuredHours : null;
  const rate = input.ratePerKwMonth;
  return {
    eventId: input.eventId,
    baselineMethod: baseline.method,
    baselineDays: baseline.days,
    baselineFallback: baseline.reason ?? baseline.fallback,
    goalKw: goal,
    hours,
    avoidedKwh: avoidedPositive,
    goalMetPct: averageReductionKw !== null && goal > 0 ? (averageReductionKw / goal) * 100 : null,
    monthlyValue:
      averageReductionKw !== null && rate !== null && Number.isFinite(rate)
        ? Math.max(0, averageReductionKw) * rate
        : null,
  };
}
