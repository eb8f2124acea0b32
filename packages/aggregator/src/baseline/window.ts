/**
 * The event window as hour slices, and local-date arithmetic for baseline days. Pure.
 *
 * An event is cut into consecutive one-hour slices from its start; the last slice is shorter
 * when the event does not last a whole number of hours. Slice `i` of a baseline day is the same
 * local wall-clock time on that day, so across a daylight-saving change the baseline still
 * compares 16:00–17:00 with 16:00–17:00.
 */
import { isValidTimeZone, localParts, zonedToUtc } from '@sps/core';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Longer windows are not demand-response events (Con Edison's run 4 h). */
export const MAX_WINDOW_HOURS = 24;

export interface WindowSlice {
  /** UTC start of the slice on the event day. */
  readonly startMs: number;
  readonly lengthMs: number;
  /** Local wall clock of the slice start, and how many local days after the event's start date it falls. */
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly dayOffset: number;
}

/** YYYY-MM-DD of a local calendar date. */
export function dateKey(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** The local date (YYYY-MM-DD) containing the instant `ms`. */
export function localDate(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return dateKey(p.year, p.month, p.day);
}

/** Calendar arithmetic on YYYY-MM-DD keys (UTC-based, so no time zone can shift it). */
export function shiftDate(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return dateKey(y, m, d + days);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOfDate(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Why a window cannot be cut into slices, or null when it can. */
export function windowProblem(startMs: number, endMs: number, timeZone: string): string | null {
  if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone))
    return `time zone ${String(timeZone)} is not an IANA zone`;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return 'the event window has no finite start and end';
  if (Math.abs(startMs) > 8.64e15 || Math.abs(endMs) > 8.64e15)
    return 'the event window is outside the representable dates';
  if (endMs <= startMs) return 'the event ends before it starts';
  if (endMs - startMs > MAX_WINDOW_HOURS * HOUR_MS)
    return `the event lasts more than ${MAX_WINDOW_HOURS} h, which no baseline covers`;
  return null;
}

/** The event window's slices; call windowProblem first. */
export function windowSlices(startMs: number, endMs: number, timeZone: string): WindowSlice[] {
  const eventDate = localDate(startMs, timeZone);
  const slices: WindowSlice[] = [];
  for (let s = startMs; s < endMs; s += HOUR_MS) {
    const p = localParts(s, timeZone);
    const date = dateKey(p.year, p.month, p.day);
    const dayOffset = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${eventDate}T00:00:00Z`)) / DAY_MS);
    slices.push({
      startMs: s,
      lengthMs: Math.min(HOUR_MS, endMs - s),
      hour: p.hour,
      minute: p.minute,
      second: p.second,
      dayOffset,
    });
  }
  return slices;
}

/** UTC start of a slice's wall-clock time on another local day (`date` is the day standing for the event day). */
export function sliceStartOn(slice: WindowSlice, date: string, timeZone: string): number {
  const [y, m, d] = shiftDate(date, slice.dayOffset).split('-').map(Number) as [number, number, number];
  return zonedToUtc(timeZone, y, m, d, slice.hour, slice.minute, slice.second);
}
