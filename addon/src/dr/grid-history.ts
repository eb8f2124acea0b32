/**
 * The history a customer baseline needs, read from the add-on's ReadingStore: grid-import energy
 * per local hour for one power reading (a Sungrow's `grid_power`, the station's P1 relay power…),
 * and the local dates of past DR events.
 *
 * The store keeps raw readings for 10 days and 5-minute aggregates for 2 years; a baseline looks
 * back 30 days, so this reads 5-minute buckets (the store summarises not-yet-rolled-up raw rows
 * into the same buckets). A bucket's import is its mean power when the bucket never exported
 * (min ≥ 0), 0 when it never imported (max ≤ 0), and max(0, mean) when it did both: a lower bound,
 * because the aggregate cannot tell how much of the bucket was import. An hour counts only when at
 * least MIN_BUCKETS_PER_HOUR of its 12 buckets have data (the rest are filled with the hour's
 * mean); with fewer it is left out, and the baseline treats the day as incomplete.
 *
 * The result is structurally the `HourlyEnergy[]` of @sps/aggregator's baseline functions.
 */
import { LocalTimeCache, isValidTimeZone } from '@sps/core';
import type { HistoryPoint, HistoryQuery, HistoryResult } from '@sps/store';

const HOUR_MS = 3_600_000;
const BUCKET_MS = 5 * 60_000;
const BUCKETS_PER_HOUR = HOUR_MS / BUCKET_MS;
/** 9 of 12 five-minute buckets (45 minutes) make an hour. */
export const MIN_BUCKETS_PER_HOUR = 9;
/** The baseline's 30-day lookback plus the event day. */
export const BASELINE_HISTORY_DAYS = 31;

/** The one store query this module needs (ReadingStore fits). */
export interface HistorySource {
  history(query: HistoryQuery): HistoryResult;
}

export interface GridImportQuery {
  readonly deviceId: string;
  /** A power reading in W with > 0 import (grid_power, or a P1 relay's power). */
  readonly key: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Hours are local hours of this zone (they differ from UTC hours in half-hour zones). */
  readonly timeZone: string;
}

export interface HourlyImport {
  readonly hourStartMs: number;
  readonly kwh: number;
}

function bucketImportW(p: HistoryPoint): number {
  if (p.min >= 0) return p.mean;
  if (p.max <= 0) return 0;
  return Math.max(0, p.mean);
}

/**
 * Grid-import kWh per complete local hour in [fromMs, toMs), oldest first. Throws a RangeError
 * for a time zone that is not an IANA zone, and whatever the store throws (StoreInputError for a
 * bad range, StoreClosedError after close): the caller computes the baseline without it then.
 */
export function gridImportHourly(store: HistorySource, query: GridImportQuery): HourlyImport[] {
  if (!isValidTimeZone(query.timeZone)) {
    throw new RangeError(`grid history: time zone ${query.timeZone} is not an IANA zone`);
  }
  const { points } = store.history({
    deviceId: query.deviceId,
    key: query.key,
    from: Math.max(0, Math.floor(query.fromMs)),
    to: Math.max(0, Math.ceil(query.toMs)),
    stepMs: BUCKET_MS,
  });
  const local = new LocalTimeCache(query.timeZone);
  const hours = new Map<number, { sumW: number; buckets: number }>();
  for (const p of points) {
    if (p.count <= 0 || !Number.isFinite(p.mean)) continue;
    // Start of the local hour holding the bucket: local hours are whole hours of local time.
    const offset = local.offset(p.t);
    const hourStart = Math.floor((p.t + offset) / HOUR_MS) * HOUR_MS - offset;
    const h = hours.get(hourStart) ?? { sumW: 0, buckets: 0 };
    h.sumW += bucketImportW(p);
    h.buckets += 1;
    hours.set(hourStart, h);
  }
  return [...hours.entries()]
    .filter(([start, h]) => h.buckets >= MIN_BUCKETS_PER_HOUR && h.buckets <= BUCKETS_PER_HOUR && start >= query.fromMs)
    .sort((a, b) => a[0] - b[0])
    .map(([hourStartMs, h]) => ({ hourStartMs, kwh: h.sumW / h.buckets / 1000 }));
}

/** What an event calendar entry needs to mark its day. */
export interface PastEventWindow {
  readonly startMs: number;
  readonly endMs: number;
  /** Cancelled events did not change anyone's load; anything else (opted out included) marks the day. */
  readonly status?: 'active' | 'cancelled';
}

/**
 * Local dates (YYYY-MM-DD) touched by events, for the baseline's exclusions. Opted-out and
 * simulated events count too: the day was announced, and the station may have pre-charged.
 */
export function eventDaysOf(events: readonly PastEventWindow[], timeZone: string): string[] {
  if (!isValidTimeZone(timeZone)) throw new RangeError(`event days: time zone ${timeZone} is not an IANA zone`);
  const local = new LocalTimeCache(timeZone);
  const days = new Set<string>();
  const dateOf = (ms: number): string => new Date(ms + local.offset(ms)).toISOString().slice(0, 10);
  for (const e of events) {
    if (e.status === 'cancelled' || !Number.isFinite(e.startMs) || !Number.isFinite(e.endMs)) continue;
    const end = Math.max(e.startMs, e.endMs - 1);
    // Every local day the window touches (an event past midnight marks both days).
    for (let t = e.startMs; t < end + HOUR_MS && t - e.startMs <= 2 * 24 * HOUR_MS; t += HOUR_MS) {
      days.add(dateOf(Math.min(t, end)));
    }
  }
  return [...days].sort();
}
