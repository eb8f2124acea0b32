/**
 * DrPerformanceTracker: measures events as they happen and keeps the lifetime avoided energy.
 *
 * - `beginEvent` fixes the event's baseline and goal (computed once, at the start, from history
 *   before the event) and stores them; calling it again for the same event (a restart mid-event)
 *   resumes the stored hours instead of starting over.
 * - `recordGrid` integrates grid import (trapezoid, export counted as 0) into the event's hour
 *   slices. Two samples more than GRID_SAMPLE_MAX_GAP_MS apart are not integrated across: the hour shows less
 *   measured time and is compared pro-rata, rather than guessing what happened in the gap.
 * - `totalAvoidedKwh` is a total_increasing counter: each event hour adds its avoided energy when
 *   it closes (its end passed, or the event ended), if positive: an hour above its baseline adds 0
 *   but shows its negative value. The running hour is not in it: its avoided energy can still
 *   fall (a kettle in its last minutes), and a counter that had already shown the higher figure
 *   could then neither go down nor stay exact. The event's own figure (current()) is live. The
 *   counter only moves once written to SQLite together with the hours it sums, so a restart can
 *   never show a lower value.
 *
 * Writes are batched (every PERSIST_EVERY_MS, at each hour end and on flush) because a write per
 * reading would wear an SD card; a crash loses at most that much of the running hour's data.
 */
import { z } from 'zod';
import type { DatabaseSync, StatementSync } from '@sps/store';
import type { AggregatorLogger, DrEvent, DrEventPerformance } from '../contracts.js';
import type { CblResult } from './cbl.js';
import { WMS_PER_KWH, importIntegralWms } from './import-integral.js';
import { eventPerformance, eventHourStarts, type MeasuredSlice } from './performance.js';
import { HOUR_MS } from './window.js';

/** Samples further apart than this are not integrated across. */
export const GRID_SAMPLE_MAX_GAP_MS = 5 * 60_000;
const PERSIST_EVERY_MS = 60_000;

export interface DrPerformanceTrackerOptions {
  /** The add-on's aggregator.sqlite; the tracker creates its own tables (dr_perf_*). */
  readonly db: DatabaseSync;
  /** The user's goal (kW) when an event carries neither goal_kw nor goal_pct. */
  readonly defaultGoalKw?: number;
  /** The programme's $/kW-month (option aggregator.rate_per_kw_month); absent: no monthly value. */
  readonly ratePerKwMonth?: number | null;
  readonly logger?: AggregatorLogger;
  /** How often the running hour is written at most (ms). Default 60 s. */
  readonly persistEveryMs?: number;
}

const storedBaseline = z.object({
  method: z.enum(['average_day', 'high_5_of_10']),
  hourlyKw: z.array(z.number()),
  hourStartMs: z.array(z.number()),
  days: z.array(z.string()),
  fallback: z.string().nullable(),
  fallbackKind: z.enum(['no_low_usage_filter', 'fewer_days']).nullable(),
  reason: z.string().nullable(),
});

interface SliceState {
  readonly startMs: number;
  readonly endMs: number;
  importWms: number;
  measuredMs: number;
  closed: boolean;
}

interface TrackedEvent {
  readonly id: string;
  readonly startMs: number;
  /** May be moved earlier by endEvent (a cancellation). */
  endMs: number;
  readonly goalKw: number;
  readonly baseline: CblResult;
  readonly slices: SliceState[];
}

interface EventRow {
  event_id: string;
  start_ms: number;
  end_ms: number;
  goal_kw: number;
  baseline_json: string;
}

interface SliceRow {
  slice_start_ms: number;
  import_wms: number;
  measured_ms: number;
  closed: number;
}

const META_COMMITTED = 'committed_kwh';
const META_REPORTED = 'reported_kwh';
const META_LAST_T = 'last_sample_ms';
const META_LAST_W = 'last_sample_w';

export class DrPerformanceTracker {
  private readonly db: DatabaseSync;
  private readonly log: AggregatorLogger | undefined;
  private readonly defaultGoalKw: number;
  private readonly rate: number | null;
  private readonly persistEveryMs: number;
  private readonly stmt: {
    insertEvent: StatementSync;
    upsertSlice: StatementSync;
    setMeta: StatementSync;
    getMeta: StatementSync;
    eventById: StatementSync;
    latestEvent: StatementSync;
    slicesOf: StatementSync;
    pastEvents: StatementSync;
  };
  private event: TrackedEvent | undefined;
  private last: { t: number; w: number } | undefined;
  /** Σ max(0, avoided) of closed hours, all events. */
  private committedKwh = 0;
  /** The counter as last written (and shown): committedKwh once it is on disk. */
  private reportedKwh = 0;
  private lastPersistAt = -Infinity;
  private dirty = false;

  constructor(options: DrPerformanceTrackerOptions) {
    this.db = options.db;
    this.log = options.logger;
    this.defaultGoalKw = finiteOr(options.defaultGoalKw, 0);
    this.rate = options.ratePerKwMonth ?? null;
    this.persistEveryMs = finiteOr(options.persistEveryMs, PERSIST_EVERY_MS);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS dr_perf_event (
        event_id TEXT PRIMARY KEY,
        begun_seq INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        goal_kw REAL NOT NULL,
        baseline_json TEXT NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS dr_perf_slice (
        event_id TEXT NOT NULL,
        slice_start_ms INTEGER NOT NULL,
        import_wms REAL NOT NULL,
        measured_ms REAL NOT NULL,
        closed INTEGER NOT NULL,
        PRIMARY KEY (event_id, slice_start_ms)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS dr_perf_meta (name TEXT PRIMARY KEY, value REAL NOT NULL) STRICT;
    `);
    this.stmt = {
      insertEvent: this.db.prepare(
        `INSERT INTO dr_perf_event (event_id, begun_seq, start_ms, end_ms, goal_kw, baseline_json)
         VALUES (?, (SELECT COALESCE(MAX(begun_seq), 0) + 1 FROM dr_perf_event), ?, ?, ?, ?)
         ON CONFLICT (event_id) DO UPDATE SET end_ms = excluded.end_ms`,
      ),
      upsertSlice: this.db.prepare(
        `INSERT INTO dr_perf_slice (event_id, slice_start_ms, import_wms, measured_ms, closed) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (event_id, slice_start_ms) DO UPDATE SET
           import_wms = excluded.import_wms, measured_ms = excluded.measured_ms, closed = excluded.closed`,
      ),
      setMeta: this.db.prepare(
        'INSERT INTO dr_perf_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
      getMeta: this.db.prepare('SELECT value FROM dr_perf_meta WHERE name = ?'),
      eventById: this.db.prepare(
        'SELECT event_id, start_ms, end_ms, goal_kw, baseline_json FROM dr_perf_event WHERE event_id = ?',
      ),
      latestEvent: this.db.prepare(
        'SELECT event_id, start_ms, end_ms, goal_kw, baseline_json FROM dr_perf_event ORDER BY begun_seq DESC LIMIT 1',
      ),
      slicesOf: this.db.prepare(
        'SELECT slice_start_ms, import_wms, measured_ms, closed FROM dr_perf_slice WHERE event_id = ? ORDER BY slice_start_ms',
      ),
      pastEvents: this.db.prepare('SELECT event_id, start_ms, end_ms FROM dr_perf_event ORDER BY start_ms'),
    };
    this.committedKwh = this.meta(META_COMMITTED) ?? 0;
    this.reportedKwh = Math.max(this.committedKwh, this.meta(META_REPORTED) ?? 0);
    const lastT = this.meta(META_LAST_T);
    const lastW = this.meta(META_LAST_W);
    if (lastT !== undefined && lastW !== undefined) this.last = { t: lastT, w: lastW };
    const latest = this.stmt.latestEvent.get() as EventRow | undefined;
    if (latest) this.event = this.restore(latest);
  }

  /**
   * Start measuring `event` against `baseline` (computed before the event from the store's
   * history). The goal: `goalKw` if given, else the event's goal_kw, else its goal_pct of the
   * baseline's average, else the user's default. The same event again (a restart) resumes it.
   */
  beginEvent(event: DrEvent, baseline: CblResult, goalKw?: number): void {
    if (this.event?.id === event.id) return;
    const stored = this.stmt.eventById.get(event.id) as EventRow | undefined;
    if (stored) {
      this.finishCurrent();
      const resumed = this.restore(stored);
      if (resumed) this.event = resumed;
      this.persist(this.last?.t ?? 0, true);
      return;
    }
    if (!(event.endMs > event.startMs)) {
      this.log?.warn({ eventId: event.id }, 'DR performance: the event ends before it starts; not measured');
      return;
    }
    this.finishCurrent();
    const tracked: TrackedEvent = {
      id: event.id,
      startMs: event.startMs,
      endMs: event.endMs,
      goalKw: eventGoalKw(goalKw, event, baseline, this.defaultGoalKw),
      baseline,
      slices: eventHourStarts(event.startMs, event.endMs).map((s) => ({
        startMs: s,
        endMs: Math.min(s + HOUR_MS, event.endMs),
        importWms: 0,
        measuredMs: 0,
        closed: false,
      })),
    };
    this.event = tracked;
    this.tryWrite('begin event', () => {
      this.stmt.insertEvent.run(tracked.id, tracked.startMs, tracked.endMs, tracked.goalKw, JSON.stringify(baseline));
    });
    this.persist(this.last?.t ?? 0, true);
  }

  /**
   * The event stopped early (cancelled at `atMs`): hours after it are dropped, the running one
   * is cut there. Other ids are ignored.
   */
  endEvent(eventId: string, atMs: number): void {
    const ev = this.event;
    if (!ev || ev.id !== eventId || !Number.isFinite(atMs) || atMs >= ev.endMs) return;
    ev.endMs = Math.max(ev.startMs, atMs);
    const kept = ev.slices.filter((s) => s.startMs < ev.endMs);
    ev.slices.splice(0, ev.slices.length, ...kept);
    this.closeAll(ev);
    this.tryWrite('end event', () => {
      this.db.prepare('DELETE FROM dr_perf_slice WHERE event_id = ? AND slice_start_ms >= ?').run(ev.id, ev.endMs);
      this.db.prepare('UPDATE dr_perf_event SET end_ms = ? WHERE event_id = ?').run(ev.endMs, ev.id);
    });
    this.persist(atMs, true);
  }

  /** A grid power sample (W, > 0 import). Out-of-order and non-finite samples are ignored. */
  recordGrid(atMs: number, gridW: number): void {
    if (!Number.isFinite(atMs) || !Number.isFinite(gridW)) return;
    const prev = this.last;
    if (prev && atMs <= prev.t) return;
    this.last = { t: atMs, w: gridW };
    const ev = this.event;
    if (!ev) return;
    if (prev && atMs - prev.t <= GRID_SAMPLE_MAX_GAP_MS) {
      for (const slice of ev.slices) {
        const a = Math.max(prev.t, slice.startMs);
        const b = Math.min(atMs, slice.endMs);
        if (b <= a || slice.closed) continue;
        slice.importWms += importIntegralWms(prev.t, prev.w, atMs, gridW, a, b);
        slice.measuredMs += b - a;
        this.dirty = true;
      }
    }
    let closedOne = false;
    for (const slice of ev.slices) {
      if (!slice.closed && slice.endMs <= atMs) {
        this.close(ev, slice);
        closedOne = true;
      }
    }
    this.persist(atMs, closedOne);
  }

  /** The current or last event's performance; null before any event was begun. */
  current(nowMs: number): DrEventPerformance | null {
    const ev = this.event;
    if (!ev) return null;
    return eventPerformance({
      eventId: ev.id,
      eventStartMs: ev.startMs,
      eventEndMs: ev.endMs,
      baseline: ev.baseline,
      actual: this.measured(ev, nowMs),
      goalKw: ev.goalKw,
      ratePerKwMonth: this.rate,
    });
  }

  /** The baseline (kW) of the event hour containing `nowMs`; null outside an event or without a baseline. */
  baselineNowKw(nowMs: number): number | null {
    const ev = this.event;
    if (!ev || ev.baseline.reason !== null) return null;
    const i = ev.slices.findIndex((s) => nowMs >= s.startMs && nowMs < s.endMs);
    return i < 0 ? null : (ev.baseline.hourlyKw[i] ?? null);
  }

  /** The newest grid import (kW, export shown as 0); null before any sample. */
  actualNowKw(): number | null {
    return this.last ? Math.max(0, this.last.w) / 1000 : null;
  }

  /** Lifetime avoided energy (kWh): only grows, survives restarts. */
  totalAvoidedKwh(): number {
    return this.reportedKwh;
  }

  /** Every event measured so far (for the baseline's event-day exclusions), oldest first. */
  pastEvents(): { id: string; startMs: number; endMs: number }[] {
    const rows = this.stmt.pastEvents.all() as unknown as { event_id: string; start_ms: number; end_ms: number }[];
    return rows.map((r) => ({ id: r.event_id, startMs: r.start_ms, endMs: r.end_ms }));
  }

  /** Write the running hour now (shutdown). */
  flush(): void {
    this.persist(this.last?.t ?? 0, true);
  }

  private measured(ev: TrackedEvent, nowMs: number): MeasuredSlice[] {
    return ev.slices
      .filter((s) => s.measuredMs > 0 && (!Number.isFinite(nowMs) || s.startMs <= nowMs))
      .map((s) => ({ hourStartMs: s.startMs, importKwh: s.importWms / WMS_PER_KWH, measuredMs: s.measuredMs }));
  }

  private avoidedKwh(ev: TrackedEvent, slice: SliceState): number {
    const i = ev.slices.indexOf(slice);
    if (ev.baseline.reason !== null || slice.measuredMs <= 0) return 0;
    const baselineKw = ev.baseline.hourlyKw[i] ?? 0;
    return (baselineKw * slice.measuredMs) / HOUR_MS - slice.importWms / WMS_PER_KWH;
  }

  private close(ev: TrackedEvent, slice: SliceState): void {
    slice.closed = true;
    this.committedKwh += Math.max(0, this.avoidedKwh(ev, slice));
    this.dirty = true;
  }

  /** Close and write the event being replaced, before another becomes current. */
  private finishCurrent(): void {
    if (!this.event) return;
    this.closeAll(this.event);
    this.persist(this.last?.t ?? 0, true);
  }

  private closeAll(ev: TrackedEvent | undefined): void {
    if (!ev) return;
    for (const slice of ev.slices) if (!slice.closed) this.close(ev, slice);
  }

  /** Writes slices, the counter and the last sample in one transaction, at most every persistEveryMs. */
  private persist(atMs: number, force: boolean): void {
    if (!force && (!this.dirty || atMs - this.lastPersistAt < this.persistEveryMs)) {
      return;
    }
    const ev = this.event;
    const reported = Math.max(this.reportedKwh, this.committedKwh);
    try {
      this.transaction(() => {
        if (ev) {
          for (const s of ev.slices)
            this.stmt.upsertSlice.run(ev.id, s.startMs, s.importWms, s.measuredMs, s.closed ? 1 : 0);
        }
        this.stmt.setMeta.run(META_COMMITTED, this.committedKwh);
        this.stmt.setMeta.run(META_REPORTED, reported);
        if (this.last) {
          this.stmt.setMeta.run(META_LAST_T, this.last.t);
          this.stmt.setMeta.run(META_LAST_W, this.last.w);
        }
      });
      // The counter moves only once what it sums is on disk: after a restart it cannot be lower.
      this.reportedKwh = reported;
      this.lastPersistAt = atMs;
      this.dirty = false;
    } catch (error) {
      // A full disk must not stop the measurement; the next write tries again with everything.
      this.log?.warn({ err: error }, 'DR performance: could not write to SQLite; will retry');
    }
  }

  private restore(row: EventRow): TrackedEvent | undefined {
    let baseline: CblResult;
    try {
      baseline = storedBaseline.parse(JSON.parse(row.baseline_json));
    } catch (error) {
      this.log?.warn(
        { eventId: row.event_id, err: error },
        'DR performance: stored baseline unreadable; event not resumed',
      );
      return undefined;
    }
    const stored = new Map(
      (this.stmt.slicesOf.all(row.event_id) as unknown as SliceRow[]).map((r) => [r.slice_start_ms, r]),
    );
    return {
      id: row.event_id,
      startMs: row.start_ms,
      endMs: row.end_ms,
      goalKw: row.goal_kw,
      baseline,
      slices: eventHourStarts(row.start_ms, row.end_ms).map((s) => {
        const r = stored.get(s);
        return {
          startMs: s,
          endMs: Math.min(s + HOUR_MS, row.end_ms),
          importWms: r?.import_wms ?? 0,
          measuredMs: r?.measured_ms ?? 0,
          closed: r?.closed === 1,
        };
      }),
    };
  }

  /** A write whose failure (a full disk) is logged, not thrown: measuring goes on in memory. */
  private tryWrite(what: string, work: () => void): void {
    try {
      this.transaction(work);
    } catch (error) {
      this.log?.warn({ err: error }, `DR performance: could not write (${what}) to SQLite`);
    }
  }

  private meta(name: string): number | undefined {
    const row = this.stmt.getMeta.get(name) as { value: number } | undefined;
    return row && Number.isFinite(row.value) ? row.value : undefined;
  }

  private transaction(work: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

function finiteOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}

/** The event's goal in kW: explicit, else the event's kW, else its % of the baseline's mean, else the default. */
export function eventGoalKw(
  goalKw: number | undefined,
  event: Pick<DrEvent, 'goalKw' | 'goalPct'>,
  baseline: CblResult,
  defaultGoalKw: number,
): number {
  if (goalKw !== undefined && Number.isFinite(goalKw)) return Math.max(0, goalKw);
  if (event.goalKw !== null && Number.isFinite(event.goalKw)) return Math.max(0, event.goalKw);
  if (event.goalPct !== null && Number.isFinite(event.goalPct) && baseline.hourlyKw.length > 0) {
    const mean = baseline.hourlyKw.reduce((a, b) => a + b, 0) / baseline.hourlyKw.length;
    return Math.max(0, (mean * event.goalPct) / 100);
  }
  return Math.max(0, defaultGoalKw);
}
