/** Hourly grid-import histories in local time for the baseline tests. */
import { LocalTimeCache, zonedToUtc } from '@sps/core';
import type { HourlyEnergy } from '@sps/aggregator';

export const NY = 'America/New_York';
export const HOUR = 3_600_000;

/** Local date and hour of an instant. */
export function localOf(cache: LocalTimeCache, ms: number): { date: string; hour: number } {
  const local = new Date(ms + cache.offset(ms));
  return { date: local.toISOString().slice(0, 10), hour: local.getUTCHours() };
}

/**
 * One entry per hour from local midnight of `fromDate` to local midnight of `toDate` (exclusive),
 * kWh given by `kwh(date, localHour)`; `undefined` leaves the hour out.
 */
export function hourlyHistory(
  timeZone: string,
  fromDate: string,
  toDate: string,
  kwh: (date: string, hour: number) => number | undefined,
): HourlyEnergy[] {
  const [fy, fm, fd] = fromDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = toDate.split('-').map(Number) as [number, number, number];
  const from = zonedToUtc(timeZone, fy, fm, fd);
  const to = zonedToUtc(timeZone, ty, tm, td);
  const cache = new LocalTimeCache(timeZone);
  const out: HourlyEnergy[] = [];
  for (let t = from; t < to; t += HOUR) {
    const { date, hour } = localOf(cache, t);
    const v = kwh(date, hour);
    if (v !== undefined) out.push({ hourStartMs: t, kwh: v });
  }
  return out;
}

export function shift(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function at(timeZone: string, date: string, hour: number, minute = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedToUtc(timeZone, y, m, d, hour, minute);
}
