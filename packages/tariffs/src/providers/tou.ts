import { z } from 'zod';
import type { PriceProvider } from '../provider.js';
import { HOUR, MINUTE, floorTo } from '../provider.js';
import type { PriceInterval, PriceSeries } from '../series.js';
import { isValidTimeZone, localParts } from '@sps/core';

/*
 * Time-of-use and flat tariffs: named periods by day type and local time of day,
 * optionally limited to seasons, evaluated in the tariff's IANA time zone so that
 * daylight-saving changes move the UTC edges of each period.
 */

export const hhmmSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00–24:00)')
  .transform((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5)));
const mmdd = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD')
  .transform((s) => Number(s.slice(0, 2)) * 100 + Number(s.slice(3, 5)));
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const dayName = z.enum(DAY_NAMES);

export const timeZoneSchema = z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/London');

export const touPeriodSchema = z.object({
  name: z.string().min(1),
  /** `all`, `weekdays` (Mon–Fri, not holidays), `weekends` (Sat, Sun, holidays) or a list of day names (a holiday counts as `sun`). */
  days: z.union([z.enum(['all', 'weekdays', 'weekends']), z.array(dayName).min(1)]).default('all'),
  /** Local start, inclusive. `start` = `end` means all day; `start` > `end` wraps past midnight. */
  start: hhmmSchema.default(0),
  end: hhmmSchema.default(24 * 60),
  /** Season names this period applies in; absent = all year. */
  seasons: z.array(z.string()).optional(),
  /** Currency per kWh. */
  import: z.number(),
  /** Currency per kWh earned; absent → the schedule's defaultExport. */
  export: z.number().optional(),
});

export const touSeasonSchema = z.object({
  name: z.string().min(1),
  /** Inclusive local dates; `from` > `to` wraps over new year (e.g. 11-01 → 03-31). */
  from: mmdd,
  to: mmdd,
});

export const touScheduleSchema = z.object({
  currency: z.string().length(3, 'must be an ISO 4217 code such as AUD, GBP, EUR').default('AUD'),
  timeZone: timeZoneSchema,
  /** First matching period wins, so list specific periods before general ones. */
  periods: z.array(touPeriodSchema).default([]),
  seasons: z.array(touSeasonSchema).default([]),
  /** Local dates (YYYY-MM-DD) treated as weekend days. */
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')).default([]),
  /** Import price when no period matches; absent → such slots have no price (the scheduler falls back). */
  defaultImport: z.number().optional(),
  defaultExport: z.number().default(0),
  slotMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(30),
  horizonHours: z
    .number()
    .positive()
    .max(24 * 14)
    .default(48),
});
export type TouSchedule = z.output<typeof touScheduleSchema>;
export type TouScheduleInput = z.input<typeof touScheduleSchema>;
export type TouPeriod = z.output<typeof touPeriodSchema>;

export interface TouRate {
  import: number;
  export: number;
  period: string;
}

function seasonMatches(schedule: TouSchedule, names: readonly string[] | undefined, monthDay: number): boolean {
  if (!names) return true;
  return schedule.seasons.some((s) => {
    if (!names.includes(s.name)) return false;
    return s.from <= s.to ? monthDay >= s.from && monthDay <= s.to : monthDay >= s.from || monthDay <= s.to;
  });
}

function dayMatches(days: TouPeriod['days'], weekday: number, holiday: boolean): boolean {
  if (days === 'all') return true;
  const weekend = holiday || weekday === 0 || weekday === 6;
  if (days === 'weekdays') return !weekend;
  if (days === 'weekends') return weekend;
  // A holiday counts as a Sunday for explicit day lists.
  return days.includes(holiday ? 'sun' : DAY_NAMES[weekday]!);
}

function timeMatches(start: number, end: number, minute: number): boolean {
  if (start === end) return true;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** The rate in force at UTC instant `ms`, or undefined when nothing applies and there is no default. */
export function touRateAt(schedule: TouSchedule, ms: number): TouRate | undefined {
  const p = localParts(ms, schedule.timeZone);
  const date = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  const holiday = schedule.holidays.includes(date);
  const minute = p.hour * 60 + p.minute;
  const monthDay = p.month * 100 + p.day;
  for (const period of schedule.periods) {
    if (!dayMatches(period.days, p.weekday, holiday)) continue;
    if (!timeMatches(period.start, period.end, minute)) continue;
    if (!seasonMatches(schedule, period.seasons, monthDay)) continue;
    return { import: period.import, export: period.export ?? schedule.defaultExport, period: period.name };
  }
  if (schedule.defaultImport === undefined) return undefined;
  return { import: schedule.defaultImport, export: schedule.defaultExport, period: 'default' };
}

/**
 * Slots on the UTC grid of `slotMinutes`, each priced at its start. Every zone with a
 * whole- or half-hour offset (all of AU/UK/EU/US) puts local :00/:30 edges on that grid.
 */
export function touIntervals(schedule: TouSchedule, from: number, to: number): PriceInterval[] {
  const step = schedule.slotMinutes * MINUTE;
  const out: PriceInterval[] = [];
  for (let t = floorTo(from, step); t < to; t += step) {
    const rate = touRateAt(schedule, t);
    if (!rate) continue;
    out.push({
      start: t,
      end: t + step,
      import: rate.import,
      export: rate.export,
      kind: 'actual',
      descriptor: rate.period,
    });
  }
  return out;
}

/** A fixed tariff needs no network; `fetch` just lays the schedule over the horizon. */
export class TouPriceProvider implements PriceProvider {
  readonly key: string;
  readonly currency: string;

  constructor(
    private readonly schedule: TouSchedule,
    readonly id: 'tou' | 'flat' = 'tou',
  ) {
    this.currency = schedule.currency;
    this.key = `${id}:${JSON.stringify(schedule).length}:${hashString(JSON.stringify(schedule))}`;
  }

  fetch(now: number): Promise<PriceSeries> {
    const intervals = touIntervals(this.schedule, now, now + this.schedule.horizonHours * HOUR);
    return Promise.resolve({ provider: this.id, currency: this.currency, fetchedAt: now, intervals });
  }

  /** Nothing changes remotely; refresh every 15 minutes so the horizon keeps rolling forward. */
  nextPollDelayMs(): number {
    return 15 * MINUTE;
  }
}

/** Small stable string hash (FNV-1a) so a changed schedule gets a new storage key. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
