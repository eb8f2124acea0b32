/**
 * Wall-clock arithmetic in an IANA time zone using only Intl (no tz library):
 * tariffs ("peak 16:00–21:00 on weekdays"), load profiles and forecast timestamps are local while every
 * interval we hand out is UTC.
 */
export interface LocalParts {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number; // 0–23
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const out: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS[out.weekday ?? 'Sun'] ?? 0,
  };
}

/** Offset of local time from UTC at the instant `ms`, in ms (e.g. +10 h for AEST). */
export function offsetMs(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant of a local wall-clock time. In the spring-forward gap the
 * result lands one hour later; in the repeated autumn hour it is the first one.
 */
export function zonedToUtc(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const first = wall - offsetMs(wall, timeZone);
  const second_ = wall - offsetMs(first, timeZone);
  if (second_ === first) return first;
  // Ambiguous or gap: prefer the earlier instant whose local time matches the wall clock.
  const candidates = [first, second_].sort((a, b) => a - b);
  for (const c of candidates) if (c + offsetMs(c, timeZone) === wall) return c;
  return Math.max(first, second_);
}

/** UTC instant of local midnight starting the local day that contains `ms`. */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return zonedToUtc(timeZone, p.year, p.month, p.day);
}

/** Add whole local days to a local date (handles month/year rollover). */
export function addLocalDays(year: number, month: number, day: number, days: number): [number, number, number] {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** Minutes since local midnight by the wall clock. */
export function localMinuteOfDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return p.hour * 60 + p.minute;
}

/**
 * Fast local-time lookups for long histories: the UTC offset only changes on hour
 * boundaries, so it is computed once per UTC hour and cached.
 */
export class LocalTimeCache {
  private readonly offsets = new Map<number, number>();
  private readonly midnights = new Map<number, number>();
  constructor(readonly timeZone: string) {}

  offset(ms: number): number {
    const hour = Math.floor(ms / 3_600_000);
    let o = this.offsets.get(hour);
    if (o === undefined) {
      o = offsetMs(hour * 3_600_000, this.timeZone);
      this.offsets.set(hour, o);
    }
    return o;
  }

  /** Local wall clock of `ms` as fields (weekday 0 = Sunday) plus the UTC ms of that local midnight. */
  fields(ms: number): { weekday: number; minuteOfDay: number; dayKey: number; localMidnight: number } {
    const local = new Date(ms + this.offset(ms));
    const minuteOfDay = local.getUTCHours() * 60 + local.getUTCMinutes();
    const dayKey = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
    let localMidnight = this.midnights.get(dayKey);
    if (localMidnight === undefined) {
      localMidnight = zonedToUtc(this.timeZone, local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate());
      this.midnights.set(dayKey, localMidnight);
    }
    return { weekday: local.getUTCDay(), minuteOfDay, dayKey, localMidnight };
  }
}
