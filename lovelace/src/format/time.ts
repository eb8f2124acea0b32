/**
 * Times as the user reads them: in one IANA zone and one 12/24-hour format everywhere (the HA
 * user's profile inside HA, the browser's outside it), so the chart, the table and the status
 * lines never disagree.
 */
export interface TimeSettings {
  /** IANA zone, e.g. `Australia/Sydney`. */
  readonly timeZone: string;
  readonly hour12: boolean;
  /** BCP 47 language tag for month/day names, e.g. `en-AU`. */
  readonly locale: string;
}

/** The subset of HA's `hass` object the time settings come from. */
export interface HassTimeFacts {
  readonly locale?: { readonly language?: string; readonly time_format?: string; readonly time_zone?: string };
  readonly language?: string;
  readonly config?: { readonly time_zone?: string };
}

/** The browser's own settings: the host outside HA (the add-on's panel, `pnpm start`). */
export function browserTimeSettings(): TimeSettings {
  const resolved = new Intl.DateTimeFormat().resolvedOptions();
  const hour12 = new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hour12 ?? false;
  return { timeZone: resolved.timeZone, hour12, locale: resolved.locale };
}

/**
 * HA's profile settings: `time_zone` is `server` (HA's configured zone) or `local` (the browser's);
 * `time_format` is `12`, `24`, `language` or `system` (both of the latter follow the language).
 */
export function hassTimeSettings(hass: HassTimeFacts, browser: TimeSettings = browserTimeSettings()): TimeSettings {
  const locale = hass.locale?.language ?? hass.language ?? browser.locale;
  const zoneChoice = hass.locale?.time_zone ?? 'server';
  const serverZone = hass.config?.time_zone;
  const timeZone = zoneChoice === 'local' || !serverZone || !isValidZone(serverZone) ? browser.timeZone : serverZone;
  const format = hass.locale?.time_format ?? 'language';
  const hour12 =
    format === '12'
      ? true
      : format === '24'
        ? false
        : format === 'system'
          ? browser.hour12
          : (safeFormat(locale, { hour: 'numeric' }).resolvedOptions().hour12 ?? false);
  return { timeZone, hour12, locale: safeLocale(locale) };
}

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function safeLocale(locale: string): string {
  try {
    return new Intl.DateTimeFormat(locale).resolvedOptions().locale;
  } catch {
    return 'en';
  }
}

function safeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(locale, options);
  } catch {
    return new Intl.DateTimeFormat('en', options);
  }
}

const toMs = (t: string | number | Date): number =>
  typeof t === 'number' ? t : t instanceof Date ? t.getTime() : Date.parse(t);

/** `17:00` or `5:00 pm` in the user's zone. */
export function formatTime(t: string | number | Date, s: TimeSettings): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  return safeFormat(s.locale, { hour: 'numeric', minute: '2-digit', hour12: s.hour12, timeZone: s.timeZone }).format(
    ms,
  );
}

/** `Fri 17:00`: for a 48-hour axis, where the time alone is ambiguous. */
export function formatDayTime(t: string | number | Date, s: TimeSettings): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  return safeFormat(s.locale, {
    weekday: 'short',
    hour: 'numeric',
    minute: '2-digit',
    hour12: s.hour12,
    timeZone: s.timeZone,
  }).format(ms);
}

/** `Fri 4 Dec`: a day label for the 7-day history. */
export function formatDay(t: string | number | Date, s: TimeSettings): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  return safeFormat(s.locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: s.timeZone }).format(ms);
}

/** An axis label on the hour: `18:00`, or `6 PM` in 12-hour format (shorter, so more labels fit). */
export function formatAxisHour(t: string | number | Date, s: TimeSettings): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  if (!s.hour12) return formatTime(ms, s);
  return safeFormat(s.locale, { hour: 'numeric', hour12: true, timeZone: s.timeZone }).format(ms);
}

/** `Sun`: the label a time axis puts on midnight. */
export function formatWeekday(t: string | number | Date, s: TimeSettings): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  return safeFormat(s.locale, { weekday: 'short', timeZone: s.timeZone }).format(ms);
}

export function isZonedMidnight(t: string | number | Date, timeZone: string): boolean {
  const { hour, minute } = zonedHourMinute(t, timeZone);
  return hour === 0 && minute === 0;
}

/** The hour (0–23) and minute of an instant in the user's zone: where the chart puts its gridlines. */
export function zonedHourMinute(t: string | number | Date, timeZone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(toMs(t));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return { hour, minute };
}

/**
 * Gridline instants between `from` and `to`: every `everyHours` hours on the hour in the user's zone
 * (so a label sits on its own gridline, and 17:00 means 17:00 where the user lives, DST included).
 */
export function hourTicks(from: number, to: number, everyHours: number, timeZone: string): number[] {
  const ticks: number[] = [];
  const HOUR = 3_600_000;
  // Start at the first whole hour at or after `from` (zones with 30/45-minute offsets included).
  let t = Math.ceil(from / 60_000) * 60_000;
  for (let guard = 0; t <= to && guard < 24 * 60 * 40; guard++) {
    const { hour, minute } = zonedHourMinute(t, timeZone);
    if (minute === 0 && hour % everyHours === 0) {
      ticks.push(t);
      t += HOUR;
    } else {
      t += minute === 0 ? HOUR : (60 - minute) * 60_000;
    }
  }
  return ticks;
}

/** `in 2 h 5 min` / `5 min ago` style relative text for an end time. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
