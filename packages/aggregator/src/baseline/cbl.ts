/**
 * Customer baseline load (CBL): what the household would have imported during an event, per hour
 * of the event window, from its own history of like days. Pure: the caller supplies the hourly
 * grid-import energy; nothing here reads a clock or a store, and nothing throws.
 *
 * The average-day method follows Con Edison's DR programmes as the community VPP's research code
 * (demandResponse_UX_research `calcAverageDayMethod`, see docs) implements it:
 *  - like days: weekdays before the event day, within LOOKBACK_DAYS, that are not holidays, not
 *    event days and not the day before an event (an upcoming event's pre-charge lands there; the
 *    current event's own day counts as an event day, so the day before it is never used);
 *  - a day with any window hour missing from the history is not eligible;
 *  - walking back from the most recent day, a day is kept unless its window mean is below 25 % of
 *    the running average of the days kept so far (low-usage filter), until 10 are kept;
 *  - fallback 1: fewer than 10 pass, so the 10 most recent eligible days are taken without the
 *    filter; fallback 2: fewer than 10 are eligible at all, so all of them are taken.
 *  - the baseline of each hour is the average of that hour over ALL kept days. The research code
 *    calls its last step `fiveDayCBL` but only sorts the days, so it averages all of them; that
 *    looks like a bug, and the "5 highest" variant is offered separately (highFiveOfTenBaseline)
 *    rather than silently changing what average-day means.
 */
import { isUsFederalHoliday } from './holidays.js';
import {
  HOUR_MS,
  localDate,
  shiftDate,
  sliceStartOn,
  weekdayOfDate,
  windowProblem,
  windowSlices,
  type WindowSlice,
} from './window.js';

/** Grid-import energy of one local hour, [hourStartMs, hourStartMs + 1 h). */
export interface HourlyEnergy {
  readonly hourStartMs: number;
  readonly kwh: number;
}

export interface CblInput {
  readonly eventStartMs: number;
  readonly eventEndMs: number;
  /** IANA zone the programme's days and hours are counted in (Con Edison: America/New_York). */
  readonly timeZone: string;
  readonly hourly: readonly HourlyEnergy[];
  /** Local dates (YYYY-MM-DD) of past events; the current event's date is added. */
  readonly eventDays: readonly string[];
  /** Local dates to skip as holidays; default the US federal holidays (observed dates included). */
  readonly holidays?: readonly string[];
}

export type CblMethod = 'average_day' | 'high_5_of_10';
export type CblFallbackKind = 'no_low_usage_filter' | 'fewer_days';

export interface CblResult {
  readonly method: CblMethod;
  /** Baseline power per slice of the event window (kWh per hour = kW); empty when `reason` is set. */
  readonly hourlyKw: number[];
  /** UTC start of each slice on the event day (one per hour from the start; the last may be short). */
  readonly hourStartMs: number[];
  /** The days the baseline averages, newest first. */
  readonly days: string[];
  /** Which fallback was taken, in words for the user; null when the method's first choice worked. */
  readonly fallback: string | null;
  readonly fallbackKind: CblFallbackKind | null;
  /** Why there is no baseline (no eligible day, a bad window); null when `hourlyKw` is filled. */
  readonly reason: string | null;
}

/** Like days wanted. */
export const CBL_DAYS = 10;
/** Calendar days before the event that may supply like days (Con Edison's 30-day window). */
export const LOOKBACK_DAYS = 30;
/** A day whose window mean is below this share of the kept days' running average is a low-usage day. */
export const LOW_USAGE_SHARE = 0.25;
/** Days averaged by the high-5-of-10 method. */
export const HIGH_DAYS = 5;

interface DayUsage {
  readonly date: string;
  /** kWh in each slice. */
  readonly sliceKwh: readonly number[];
  /** Mean power over the window (kW). */
  readonly meanKw: number;
}

interface Selection {
  readonly days: readonly DayUsage[];
  readonly fallbackKind: CblFallbackKind | null;
  readonly fallback: string | null;
}

/** Valid hours sorted by start; a bucket overlapping the one before it is dropped (the input is hours). */
function cleanHours(hourly: readonly HourlyEnergy[]): HourlyEnergy[] {
  const byStart = new Map<number, number>();
  for (const h of Array.isArray(hourly) ? hourly : []) {
    if (typeof h !== 'object' || h === null) continue;
    const { hourStartMs, kwh } = h;
    if (!Number.isFinite(hourStartMs) || !Number.isFinite(kwh) || kwh < 0) continue;
    byStart.set(hourStartMs, kwh);
  }
  const sorted = [...byStart.entries()].sort((a, b) => a[0] - b[0]);
  const out: HourlyEnergy[] = [];
  for (const [hourStartMs, kwh] of sorted) {
    const last = out[out.length - 1];
    if (last && hourStartMs < last.hourStartMs + HOUR_MS) continue;
    out.push({ hourStartMs, kwh });
  }
  return out;
}

/** Index of the first hour whose end is after `t` (binary search). */
function firstEndingAfter(hours: readonly HourlyEnergy[], t: number): number {
  let lo = 0;
  let hi = hours.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hours[mid]!.hourStartMs + HOUR_MS <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Energy in [from, from + length), pro-rata from the hours it overlaps; null when any part is missing. */
function energyIn(hours: readonly HourlyEnergy[], from: number, length: number): number | null {
  const to = from + length;
  let covered = 0;
  let kwh = 0;
  for (let i = firstEndingAfter(hours, from); i < hours.length && hours[i]!.hourStartMs < to; i++) {
    const h = hours[i]!;
    const overlap = Math.min(to, h.hourStartMs + HOUR_MS) - Math.max(from, h.hourStartMs);
    if (overlap <= 0) continue;
    covered += overlap;
    kwh += (h.kwh * overlap) / HOUR_MS;
  }
  return covered >= length - 1 ? kwh : null;
}

function isWeekend(date: string): boolean {
  const wd = weekdayOfDate(date);
  return wd === 0 || wd === 6;
}

/** Eligible days with complete data, most recent first, within the lookback. */
function eligibleDays(input: CblInput, slices: readonly WindowSlice[]): DayUsage[] {
  const eventDate = localDate(input.eventStartMs, input.timeZone);
  const eventDays = new Set([...(Array.isArray(input.eventDays) ? input.eventDays : []), eventDate]);
  const holidays = Array.isArray(input.holidays) ? new Set(input.holidays) : undefined;
  const isHoliday = (d: string): boolean => (holidays ? holidays.has(d) : isUsFederalHoliday(d));
  const hours = cleanHours(input.hourly);
  const windowMs = slices.reduce((sum, s) => sum + s.lengthMs, 0);
  const out: DayUsage[] = [];
  for (let back = 1; back <= LOOKBACK_DAYS; back++) {
    const date = shiftDate(eventDate, -back);
    if (isWeekend(date) || isHoliday(date) || eventDays.has(date) || eventDays.has(shiftDate(date, 1))) continue;
    const sliceKwh: number[] = [];
    for (const slice of slices) {
      const kwh = energyIn(hours, sliceStartOn(slice, date, input.timeZone), slice.lengthMs);
      if (kwh === null) break;
      sliceKwh.push(kwh);
    }
    if (sliceKwh.length < slices.length) continue;
    const totalKwh = sliceKwh.reduce((a, b) => a + b, 0);
    out.push({ date, sliceKwh, meanKw: totalKwh / (windowMs / HOUR_MS) });
  }
  return out;
}

/** The walk back with the low-usage filter: a day is dropped when below 25 % of the running average. */
function withLowUsageFilter(candidates: readonly DayUsage[]): DayUsage[] {
  const kept: DayUsage[] = [];
  let sum = 0;
  for (const day of candidates) {
    if (kept.length >= CBL_DAYS) break;
    if (kept.length > 0 && day.meanKw < LOW_USAGE_SHARE * (sum / kept.length)) continue;
    kept.push(day);
    sum += day.meanKw;
  }
  return kept;
}

function selectDays(method: CblMethod, candidates: readonly DayUsage[]): Selection {
  const filtered = withLowUsageFilter(candidates);
  if (filtered.length >= CBL_DAYS) return { days: filtered, fallbackKind: null, fallback: null };
  if (candidates.length >= CBL_DAYS) {
    return {
      days: candidates.slice(0, CBL_DAYS),
      fallbackKind: 'no_low_usage_filter',
      fallback: `only ${filtered.length} of ${CBL_DAYS} days passed the low-usage filter, so the ${CBL_DAYS} most recent eligible days were used without it`,
    };
  }
  return {
    days: candidates,
    fallbackKind: 'fewer_days',
    fallback: `only ${candidates.length} eligible day${candidates.length === 1 ? '' : 's'} with complete data in the last ${LOOKBACK_DAYS} days (${CBL_DAYS} wanted), so ${method === 'average_day' || candidates.length <= HIGH_DAYS ? 'all of them were used' : `the ${HIGH_DAYS} highest of them were used`}`,
  };
}

function averageSlices(days: readonly DayUsage[], slices: readonly WindowSlice[]): number[] {
  return slices.map((slice, i) => {
    const kwh = days.reduce((sum, d) => sum + d.sliceKwh[i]!, 0) / days.length;
    return kwh / (slice.lengthMs / HOUR_MS);
  });
}

function unavailable(method: CblMethod, hourStartMs: number[], reason: string): CblResult {
  return { method, hourlyKw: [], hourStartMs, days: [], fallback: null, fallbackKind: null, reason };
}

function computeBaseline(method: CblMethod, input: CblInput): CblResult {
  if (typeof input !== 'object' || input === null) return unavailable(method, [], 'no input');
  const problem = windowProblem(input.eventStartMs, input.eventEndMs, input.timeZone);
  if (problem !== null) return unavailable(method, [], problem);
  const slices = windowSlices(input.eventStartMs, input.eventEndMs, input.timeZone);
  const hourStartMs = slices.map((s) => s.startMs);
  const candidates = eligibleDays(input, slices);
  if (candidates.length === 0) {
    return unavailable(
      method,
      hourStartMs,
      `no eligible day (a weekday that is not a holiday, an event day or the day before one) with complete data for the event hours in the last ${LOOKBACK_DAYS} days`,
    );
  }
  const selection = selectDays(method, candidates);
  const days =
    method === 'average_day'
      ? selection.days
      : // Highest window energy first; a tie keeps the more recent day (sort is stable).
        [...selection.days].sort((a, b) => b.meanKw - a.meanKw).slice(0, HIGH_DAYS);
  return {
    method,
    hourlyKw: averageSlices(days, slices),
    hourStartMs,
    days: days.map((d) => d.date),
    fallback: selection.fallback,
    fallbackKind: selection.fallbackKind,
    reason: null,
  };
}

function guarded(method: CblMethod, input: CblInput): CblResult {
  try {
    return computeBaseline(method, input);
  } catch (error) {
    // Belt and braces: the checks above should leave nothing to throw, but a baseline must never
    // take the event (or the add-on) down with it.
    return unavailable(method, [], `baseline failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Con Edison-style average-day CBL: all kept like days (10, or the fallback's) averaged per hour. */
export function averageDayBaseline(input: CblInput): CblResult {
  return guarded('average_day', input);
}

/** The 5 highest (by window energy) of the 10 like days the average-day selection keeps, averaged per hour. */
export function highFiveOfTenBaseline(input: CblInput): CblResult {
  return guarded('high_5_of_10', input);
}

/** Either method by name (the add-on's option). */
export function customerBaseline(method: CblMethod, input: CblInput): CblResult {
  return method === 'high_5_of_10' ? highFiveOfTenBaseline(input) : averageDayBaseline(input);
}
