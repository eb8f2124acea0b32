/**
 * US federal holidays (5 U.S.C. 6103), the day list Con Edison's DR programmes (DLRP, CSRP) use
 * when they pick like days for a customer baseline. Pure: computed for any year, no table.
 *
 * A holiday that falls on a Saturday is observed the Friday before, one on a Sunday the Monday
 * after (Executive Order 11582). Both the date itself and the observed date are returned: a
 * baseline must skip the day offices were closed, and the date itself is a weekend anyway.
 */

/** YYYY-MM-DD of a calendar date (month 1–12); Date.UTC normalises overflowing days. */
function isoDate(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** Day of week (0 = Sunday) of a calendar date. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The `n`-th (1-based) `weekday` of a month, or the last one when `n` is -1. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = weekdayOf(year, month, 1);
    return 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = weekdayOf(year, month, lastDay);
  return lastDay - ((last - weekday + 7) % 7);
}

/** A fixed-date holiday plus the weekday it is observed on when it falls on a weekend. */
function fixedWithObserved(year: number, month: number, day: number): string[] {
  const wd = weekdayOf(year, month, day);
  const out = [isoDate(year, month, day)];
  if (wd === 6) out.push(isoDate(year, month, day - 1));
  if (wd === 0) out.push(isoDate(year, month, day + 1));
  return out;
}

const MONDAY = 1;
const THURSDAY = 4;

/**
 * The federal holidays of `year` (and their observed dates), sorted. New Year's Day of the next
 * year is observed on 31 December of this one when it falls on a Saturday, so that date is
 * included here too. Juneteenth counts from 2021 (when it became a federal holiday).
 */
export function usFederalHolidays(year: number): string[] {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return [];
  const days = [
    ...fixedWithObserved(year, 1, 1),
    isoDate(year, 1, nthWeekday(year, 1, MONDAY, 3)), // Birthday of Martin Luther King, Jr.
    isoDate(year, 2, nthWeekday(year, 2, MONDAY, 3)), // Washington's Birthday
    isoDate(year, 5, nthWeekday(year, 5, MONDAY, -1)), // Memorial Day
    ...(year >= 2021 ? fixedWithObserved(year, 6, 19) : []), // Juneteenth
    ...fixedWithObserved(year, 7, 4),
    isoDate(year, 9, nthWeekday(year, 9, MONDAY, 1)), // Labor Day
    isoDate(year, 10, nthWeekday(year, 10, MONDAY, 2)), // Columbus Day
    ...fixedWithObserved(year, 11, 11), // Veterans Day
    isoDate(year, 11, nthWeekday(year, 11, THURSDAY, 4)), // Thanksgiving Day
    ...fixedWithObserved(year, 12, 25),
  ];
  if (year < 9999 && weekdayOf(year + 1, 1, 1) === 6) days.push(isoDate(year, 12, 31));
  // The observed New Year of `year` itself may be 31 Dec of the year before: not this year's list.
  return [...new Set(days.filter((d) => d.startsWith(`${String(year).padStart(4, '0')}-`)))].sort();
}

/** Whether a local date (YYYY-MM-DD) is a US federal holiday or the day one is observed. */
export function isUsFederalHoliday(date: string): boolean {
  const year = Number(date.slice(0, 4));
  return usFederalHolidays(year).includes(date);
}
