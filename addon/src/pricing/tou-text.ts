/*
 * Time-of-use periods as HA users can type them in the add-on's options form. HA's
 * schema language has no list of dicts inside a dict, so periods are one text field:
 *
 *   peak weekdays 15:00-21:00 0.45; shoulder all 07:00-15:00 0.25/0.08; offpeak all 21:00-07:00 0.15
 *
 * one period per `;` (or line): `name days start-end import[/export] [seasons=summer,winter]`,
 * days = all | weekdays | weekends | mon,tue,…; or the same as a JSON array of
 * {name, days, start, end, import, export?, seasons?}. Seasons: `summer 12-01..02-28; winter 06-01..08-31`.
 * The result is checked again by @sps/tariffs' schedule schema.
 */

export class TouTextError extends Error {
  override readonly name = 'TouTextError';
}

export interface TouPeriodInput {
  name: string;
  days: string | string[];
  start: string;
  end: string;
  import: number;
  export?: number;
  seasons?: string[];
}

const DAY_WORDS = new Set(['all', 'weekdays', 'weekends']);
const DAY_NAMES = new Set(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);

function entries(text: string): string[] {
  return text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function rate(text: string, what: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new TouTextError(`${what} "${text}" is not a number`);
  return value;
}

function days(text: string): string | string[] {
  const word = text.toLowerCase();
  if (DAY_WORDS.has(word)) return word;
  const list = word.split(',').map((d) => d.trim());
  const bad = list.find((d) => !DAY_NAMES.has(d));
  if (bad !== undefined)
    throw new TouTextError(`days "${text}" must be all, weekdays, weekends or day names like mon,tue`);
  return list;
}

function parseOnePeriod(entry: string): TouPeriodInput {
  const words = entry.split(/\s+/);
  const [name, dayText, span, rates, ...rest] = words;
  if (name === undefined || dayText === undefined || span === undefined || rates === undefined) {
    throw new TouTextError('expected "name days HH:MM-HH:MM import[/export]"');
  }
  const times = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(span);
  if (!times) throw new TouTextError(`time span "${span}" must be HH:MM-HH:MM`);
  const [importText, exportText, extra] = rates.split('/');
  if (extra !== undefined) throw new TouTextError(`rates "${rates}" must be import or import/export`);
  const period: TouPeriodInput = {
    name,
    days: days(dayText),
    start: times[1]!,
    end: times[2]!,
    import: rate(importText ?? '', 'import rate'),
  };
  if (exportText !== undefined) period.export = rate(exportText, 'export rate');
  for (const word of rest) {
    const seasons = /^seasons=(.+)$/i.exec(word);
    if (!seasons) throw new TouTextError(`unexpected "${word}" (only seasons=a,b may follow the rates)`);
    period.seasons = seasons[1]!.split(',').filter((s) => s !== '');
  }
  return period;
}

/** Periods from the compact text or a JSON array; errors say which period is wrong. */
export function parseTouPeriods(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new TouTextError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!Array.isArray(parsed)) throw new TouTextError('a JSON value must be an array of periods');
    return parsed as unknown[];
  }
  return entries(trimmed).map((entry, i) => {
    try {
      return parseOnePeriod(entry);
    } catch (err) {
      throw new TouTextError(`period ${i + 1} ("${entry}"): ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

/** `summer 12-01..02-28; winter 06-01..08-31` → [{name, from, to}]. */
export function parseTouSeasons(text: string): { name: string; from: string; to: string }[] {
  return entries(text).map((entry, i) => {
    const m = /^(\S+)\s+(\d{2}-\d{2})\.\.(\d{2}-\d{2})$/.exec(entry);
    if (!m) throw new TouTextError(`season ${i + 1} ("${entry}"): expected "name MM-DD..MM-DD"`);
    return { name: m[1]!, from: m[2]!, to: m[3]! };
  });
}

/** `2026-12-25, 2026-12-26` → dates (checked by the schedule schema). */
export function parseHolidays(text: string): string[] {
  return text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
