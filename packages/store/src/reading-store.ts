/**
 * The local time-series store: readings are queued in memory by append(), written in one
 * transaction per batch by flush() (at most flushIntervalMs late), rolled up into 5-minute
 * aggregates as buckets close, and pruned by age.
 */
import type { z } from 'zod';
import { systemClock, type Clock, type ReadingSet, type TimerHandle } from '@sps/core';
import { startBackgroundTimer } from './background-timer.js';
import { AGGREGATE_BUCKET_MS, bucketStart } from './buckets.js';
import { StoreClosedError, asError } from './errors.js';
import {
  StoreCorruptError,
  failureCause,
  headerProblem,
  quickCheckProblem,
  type StoreFailureCause,
} from './integrity.js';
import {
  HistoryReader,
  chooseResolution,
  parseHistoryQuery,
  type HistoryQuery,
  type HistoryResult,
} from './history.js';
import { LatestValues, encodeLatest, type LatestByDevice } from './latest-values.js';
import { resolveOptions, type ReadingStoreOptions, type ResolvedOptions, type StoreProblem } from './options.js';
import { checkReadings } from './reading-input.js';
import { BucketRollup } from './rollup.js';
import {
  BUSY_TIMEOUT_MS,
  META_CLEAN_CLOSE,
  META_ROLLUP_WATERMARK,
  applySchema,
  configureConnection,
  readMeta,
  writeMeta,
} from './schema.js';
import { SeriesRegistry } from './series-registry.js';
import { MultiRowInsert } from './multi-row-insert.js';
import { createPrivateDatabaseFile } from './private-files.js';
import { loadSqlite, type DatabaseSync, type StatementSync } from './sqlite.js';
import { StateTable } from './state-table.js';

interface PendingSample {
  readonly deviceId: string;
  readonly key: string;
  readonly t: number;
  readonly v: number;
}

interface PendingLatest {
  readonly deviceId: string;
  readonly key: string;
  readonly t: number;
  readonly value: ReturnType<typeof encodeLatest>;
}

export interface StoreStats {
  /** Numeric values appended but not yet written. */
  readonly pendingValues: number;
  /** Values written since open. */
  readonly writtenValues: number;
  /** Values refused since open (invalid, too old, or appended after close). */
  readonly rejectedValues: number;
  /** Values discarded because flushes kept failing and the queue hit its bound. */
  readonly droppedValues: number;
  readonly lastFlushAt: number | undefined;
}

/**
 * Whether the store can write, as told to `watchWrites` listeners: every failed write (a flush,
 * a putState) reports `ok: false`; the first successful flush after failures reports `ok: true`
 * with what was dropped meanwhile.
 */
export type StoreWriteStatus =
  | {
      readonly ok: true;
      /** When writes started failing (absent when they never did). */
      readonly failedSince?: number;
      /** Values dropped from the bounded queue while writes failed. */
      readonly droppedValues: number;
    }
  | {
      readonly ok: false;
      readonly cause: StoreFailureCause;
      readonly error: Error;
      readonly failedSince: number;
      /** Values queued in memory, waiting for a write to succeed. */
      readonly pendingValues: number;
      /** Values dropped (oldest first) since writes started failing, because the queue was full. */
      readonly droppedValues: number;
      /** The most values the queue holds before it drops the oldest. */
      readonly queueBound: number;
    };

/** How many batches may queue up while flushes fail (e.g. disk full) before the oldest are dropped. */
const PENDING_BATCHES_BOUND = 10;
/** SQLite's largest max_page_count: no limit beyond the disk. */
const NO_PAGE_LIMIT = 4294967294;

export class ReadingStore {
  private readonly db: DatabaseSync;
  private readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly onProblem: (problem: StoreProblem) => void;
  private readonly series: SeriesRegistry;
  private readonly rollup: BucketRollup;
  private readonly historyReader: HistoryReader;
  private readonly state: StateTable;
  private readonly latestValues = new LatestValues();
  private readonly insertRaw: MultiRowInsert;
  private readonly insertRecent: MultiRowInsert;
  private readonly upsertLatest: MultiRowInsert;
  private readonly setWatermark: StatementSync;
  private readonly pruneRaw: StatementSync;
  private readonly pruneAggregates: StatementSync;
  private readonly timers: TimerHandle[] = [];
  private pendingSamples: PendingSample[] = [];
  private pendingLatest = new Map<string, PendingLatest>();
  /** Start of the first bucket not yet in agg_5m; mirrors meta.rollup_watermark. */
  private watermark: number;
  private closed = false;
  private flushing = false;
  private writeStatusNow: StoreWriteStatus = { ok: true, droppedValues: 0 };
  private readonly writeWatchers = new Set<(status: StoreWriteStatus) => void>();
  private droppedByLastRequeue = 0;
  /** Set when SQLite called the file malformed: the next open must check it in full. */
  private sawCorruption = false;
  private counters = {
    writtenValues: 0,
    rejectedValues: 0,
    droppedValues: 0,
    lastFlushAt: undefined as number | undefined,
  };

  private constructor(options: ReadingStoreOptions) {
    this.options = resolveOptions(options);
    this.clock = options.clock ?? systemClock;
    this.onProblem = options.onProblem ?? defaultProblemReporter();
    const { DatabaseSync } = loadSqlite();
    const path = this.options.path;
    const inMemory = path === ':memory:';
    if (!inMemory) {
      const damage = headerProblem(path);
      if (damage !== null) throw new StoreCorruptError(path, damage);
      createPrivateDatabaseFile(path);
    }
    this.db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      configureConnection(this.db, inMemory);
      applySchema(this.db, this.clock.now(), AGGREGATE_BUCKET_MS);
      if (!inMemory) this.checkAfterUncleanClose(path);
      this.watermark = readMeta(this.db, META_ROLLUP_WATERMARK) ?? 0;
      this.series = new SeriesRegistry(this.db);
      this.rollup = new BucketRollup(this.db);
      this.historyReader = new HistoryReader(this.db, this.rollup);
      this.state = new StateTable(this.db);
      this.insertRaw = new MultiRowInsert(this.db, 'INSERT OR REPLACE INTO raw (series_id, t, v)', 3);
      this.insertRecent = new MultiRowInsert(this.db, 'INSERT OR REPLACE INTO raw_recent (t, series_id, v)', 3);
      this.upsertLatest = new MultiRowInsert(
        this.db,
        'INSERT INTO latest (series_id, t, kind, value)',
        4,
        `ON CONFLICT (series_id) DO UPDATE SET t = excluded.t, kind = excluded.kind, value = excluded.value
         WHERE excluded.t >= latest.t`,
      );
      this.setWatermark = this.db.prepare(`UPDATE meta SET value = ? WHERE name = '${META_ROLLUP_WATERMARK}'`);
      this.pruneRaw = this.db.prepare('DELETE FROM raw WHERE series_id IN (SELECT id FROM series) AND t < ?');
      this.pruneAggregates = this.db.prepare('DELETE FROM agg_5m WHERE series_id IN (SELECT id FROM series) AND t < ?');
      this.latestValues.load(this.db);
      if (this.options.maxSizeBytes !== undefined) this.setSizeLimit(this.options.maxSizeBytes);
    } catch (error) {
      this.db.close();
      if (failureCause(error) === 'corrupt' && !(error instanceof StoreCorruptError)) {
        throw new StoreCorruptError(path, asError(error).message, { cause: error });
      }
      throw error;
    }
  }

  /**
   * A full `PRAGMA quick_check` reads the whole file (bench/store-open-check.mjs: 1.2 s for 283 MB
   * on the dev machine, several seconds from a Pi's SD card), too slow for every start. So it runs only when
   * the last session did not close cleanly (killed, power cut) or met a malformed page; the
   * clean-close marker is cleared here and set again by close(). Opening (header, schema, latest
   * values, the first prune) catches damage to the pages every start touches anyway.
   */
  private checkAfterUncleanClose(path: string): void {
    if (readMeta(this.db, META_CLEAN_CLOSE) !== 1) {
      const damage = quickCheckProblem(this.db);
      if (damage !== null) throw new StoreCorruptError(path, damage);
    }
    try {
      writeMeta(this.db, META_CLEAN_CLOSE, 0);
    } catch (error) {
      // A full disk must not keep the store shut; a malformed page must.
      if (failureCause(error) === 'corrupt') throw error;
    }
  }

  /** Opens (creating if needed) the database, prunes it, and starts the background flush and prune timers. */
  static open(options: ReadingStoreOptions): ReadingStore {
    const store = new ReadingStore(options);
    try {
      store.prune();
    } catch (error) {
      if (failureCause(error) === 'corrupt') {
        store.closeWithoutFlush();
        throw new StoreCorruptError(store.options.path, asError(error).message, { cause: error });
      }
      // A full disk must not stop the store opening: the prune timer tries again.
      store.noteWriteFailed(error);
      store.onProblem({ kind: 'prune_failed', error: asError(error) });
    }
    store.timers.push(
      startBackgroundTimer(options.clock, () => store.flushInBackground(), store.options.flushIntervalMs),
      startBackgroundTimer(options.clock, () => store.pruneInBackground(), store.options.pruneIntervalMs),
    );
    return store;
  }

  /**
   * Queues one poll's readings. Numbers (and booleans as 0/1) become time series; strings
   * and nulls are kept only as latest values. Never throws: invalid values are dropped and
   * reported through onProblem.
   */
  append(deviceId: string, set: ReadingSet): void {
    const checked = checkReadings(deviceId, set);
    const name = typeof deviceId === 'string' ? deviceId : String(deviceId);
    if ('error' in checked) return this.reject(name, undefined, checked.error, countValues(set));
    if (this.closed) return this.reject(name, undefined, 'store is closed', checked.accepted.length);
    if (checked.timestamp < this.oldestAcceptedTimestamp()) {
      return this.reject(name, undefined, 'older than raw retention', checked.accepted.length);
    }
    for (const rejected of checked.rejected) this.reject(name, rejected.key, rejected.reason, 1);
    const t = checked.timestamp;
    for (const value of checked.accepted) {
      if (value.numeric !== undefined)
        this.pendingSamples.push({ deviceId: name, key: value.key, t, v: value.numeric });
      if (this.latestValues.offer(name, value.key, t, value.latest)) {
        this.pendingLatest.set(`${name}\u0000${value.key}`, {
          deviceId: name,
          key: value.key,
          t,
          value: encodeLatest(value.latest),
        });
      }
    }
    if (this.pendingSamples.length >= this.options.maxBatchSize) this.flushInBackground();
  }

  /**
   * Writes the pending batch in one transaction and, in the same transaction, rolls closed
   * 5-minute buckets up into aggregates. Either all of it lands or none of it does.
   * Throws if the database refuses the write; the batch then stays queued for the next try.
   */
  flush(): void {
    this.assertOpen('flush');
    if (this.flushing) return;
    const now = this.clock.now();
    const closedUpTo = bucketStart(now, AGGREGATE_BUCKET_MS);
    const samples = this.pendingSamples;
    const latest = this.pendingLatest;
    if (samples.length === 0 && latest.size === 0 && closedUpTo <= this.watermark) return;
    this.flushing = true;
    this.pendingSamples = [];
    this.pendingLatest = new Map();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const lateBuckets = this.writeSamples(samples);
      const latestRows: (number | string | null)[] = [];
      for (const l of latest.values()) {
        latestRows.push(this.series.findOrCreate(l.deviceId, l.key), l.t, l.value.kind, l.value.value);
      }
      this.upsertLatest.run(latestRows);
      // Buckets that closed since the last flush are summarised from raw in one pass; buckets
      // that were already rolled up but just got a late reading are recomputed one by one.
      for (const late of lateBuckets) this.rollup.recomputeBucket(late.seriesId, late.bucket);
      if (closedUpTo > this.watermark) {
        this.rollup.rollUpRange(this.watermark, closedUpTo);
        this.setWatermark.run(closedUpTo);
      }
      this.db.exec('COMMIT');
      if (closedUpTo > this.watermark) this.watermark = closedUpTo;
      this.counters.writtenValues += samples.length;
      this.counters.lastFlushAt = now;
      this.noteWriteOk();
    } catch (error) {
      this.rollBack();
      this.requeue(samples, latest);
      this.noteWriteFailed(error);
      throw error;
    } finally {
      this.flushing = false;
    }
  }

  /** Newest value of every key, per device, including readings not yet flushed. Unknown device → {}. */
  latest(deviceId?: string): LatestByDevice {
    this.assertOpen('latest');
    return this.latestValues.snapshot(deviceId);
  }

  /** Flushed history of one numeric series; see history.ts for how the resolution is chosen. */
  history(query: HistoryQuery): HistoryResult {
    this.assertOpen('history');
    const q = parseHistoryQuery(query);
    const resolution = chooseResolution(q, this.clock.now(), this.options.rawRetentionMs);
    const seriesId = this.series.find(q.deviceId, q.key);
    if (seriesId === undefined || q.from === q.to) return { resolution, points: [] };
    const points =
      resolution === 'raw'
        ? this.historyReader.raw(seriesId, q)
        : this.historyReader.aggregated(seriesId, q, this.watermark);
    return { resolution, points };
  }

  /** Every (device, key) ever stored or appended, sorted. Unknown device → []. */
  keys(deviceId?: string): { deviceId: string; key: string }[] {
    this.assertOpen('keys');
    return this.latestValues.keys(deviceId);
  }

  /**
   * Deletes raw rows older than rawRetentionMs and aggregates older than aggregateRetentionMs
   * (both cut at a 5-minute boundary). Raw rows not yet rolled up are never deleted.
   */
  prune(now: number = this.clock.now()): { raw: number; aggregates: number } {
    this.assertOpen('prune');
    const rawCutoff = Math.min(this.rawCutoff(now), this.watermark);
    const aggregateCutoff = bucketStart(now - this.options.aggregateRetentionMs, AGGREGATE_BUCKET_MS);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const raw = Number(this.pruneRaw.run(rawCutoff).changes);
      const aggregates = Number(this.pruneAggregates.run(aggregateCutoff).changes);
      this.db.exec('COMMIT');
      return { raw, aggregates };
    } catch (error) {
      this.rollBack();
      throw error;
    }
  }

  putState(namespace: string, key: string, value: unknown): void {
    this.assertOpen('putState');
    try {
      this.state.put(namespace, key, value, this.clock.now());
    } catch (error) {
      // Bad input (StoreInputError) says nothing about the disk.
      if (failureCause(error) !== 'other') this.noteWriteFailed(error);
      throw error;
    }
    // Not a recovery: a small update may fit in a page already there while a batch of readings
    // still cannot, and reporting it would flap. The next successful flush says it.
  }

  /** With a zod schema the value is validated; one that no longer matches reads as undefined. */
  getState<T>(namespace: string, key: string, schema?: z.ZodType<T>): T | undefined {
    this.assertOpen('getState');
    return this.state.get(namespace, key, schema, (reason) =>
      this.onProblem({ kind: 'state_invalid', namespace, key, reason }),
    );
  }

  deleteState(namespace: string, key: string): boolean {
    this.assertOpen('deleteState');
    return this.state.delete(namespace, key);
  }

  stats(): StoreStats {
    return { pendingValues: this.pendingSamples.length, ...this.counters };
  }

  /** Whether writes currently succeed; see StoreWriteStatus. */
  writeStatus(): StoreWriteStatus {
    return this.writeStatusNow;
  }

  /** Told every failed write and the first successful flush after failures; returns the unsubscribe. */
  watchWrites(listener: (status: StoreWriteStatus) => void): () => void {
    this.writeWatchers.add(listener);
    return () => this.writeWatchers.delete(listener);
  }

  /**
   * Caps the database at about `bytes` (SQLite's max_page_count; never below its current size):
   * growing past it fails exactly as a full disk does (SQLITE_FULL). null lifts the cap. Returns
   * the cap in force, in bytes.
   */
  setSizeLimit(bytes: number | null): number {
    this.assertOpen('setSizeLimit');
    const pageSize = Number((this.db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
    const pages = bytes === null ? NO_PAGE_LIMIT : Math.max(1, Math.floor(bytes / pageSize));
    const row = this.db.prepare(`PRAGMA max_page_count = ${pages}`).get() as { max_page_count: number };
    return Number(row.max_page_count) * pageSize;
  }

  /** Stops the timers, writes what is pending and closes the database. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    for (const timer of this.timers) timer.cancel();
    try {
      this.flush();
      // The next open may skip the full check: nothing was left half-written or found malformed.
      if (!this.sawCorruption && this.options.path !== ':memory:') writeMeta(this.db, META_CLEAN_CLOSE, 1);
    } catch (error) {
      this.onProblem({ kind: 'flush_failed', error: asError(error), pendingValues: this.pendingSamples.length });
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private closeWithoutFlush(): void {
    for (const timer of this.timers) timer.cancel();
    this.closed = true;
    this.db.close();
  }

  private noteWriteOk(): void {
    const was = this.writeStatusNow;
    if (was.ok) return;
    this.setWriteStatus({ ok: true, failedSince: was.failedSince, droppedValues: was.droppedValues });
  }

  private noteWriteFailed(error: unknown): void {
    const cause = failureCause(error);
    if (cause === 'corrupt') this.sawCorruption = true;
    const was = this.writeStatusNow;
    this.setWriteStatus({
      ok: false,
      cause,
      error: asError(error),
      failedSince: was.ok ? this.clock.now() : was.failedSince,
      pendingValues: this.pendingSamples.length,
      droppedValues: (was.ok ? 0 : was.droppedValues) + this.droppedByLastRequeue,
      queueBound: this.queueBound,
    });
    this.droppedByLastRequeue = 0;
  }

  private setWriteStatus(status: StoreWriteStatus): void {
    this.writeStatusNow = status;
    for (const listener of this.writeWatchers) {
      try {
        listener(status);
      } catch {
        // A listener's failure is its own; the store keeps going.
      }
    }
  }

  private get queueBound(): number {
    return this.options.maxBatchSize * PENDING_BATCHES_BOUND;
  }

  private writeSamples(samples: readonly PendingSample[]): { seriesId: number; bucket: number }[] {
    const late = new Map<string, { seriesId: number; bucket: number }>();
    const recentRows: number[] = [];
    const archivedRows: number[] = [];
    for (const s of samples) {
      const id = this.series.findOrCreate(s.deviceId, s.key);
      if (s.t >= this.watermark) {
        recentRows.push(s.t, id, s.v);
      } else {
        // Its bucket is already rolled up and archived: the reading joins it there.
        archivedRows.push(id, s.t, s.v);
        const bucket = bucketStart(s.t, AGGREGATE_BUCKET_MS);
        late.set(`${id}:${bucket}`, { seriesId: id, bucket });
      }
    }
    // Row order is kept, so of two readings for the same instant the later one wins.
    this.insertRecent.run(recentRows);
    this.insertRaw.run(archivedRows);
    return [...late.values()];
  }

  private rollBack(): void {
    try {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
    }
    this.series.forget();
  }

  /** Puts a failed batch back in front of anything appended since, within a bound. */
  private requeue(samples: PendingSample[], latest: Map<string, PendingLatest>): void {
    const all = samples.concat(this.pendingSamples);
    const excess = all.length - this.queueBound;
    if (excess > 0) {
      this.counters.droppedValues += excess;
      this.droppedByLastRequeue += excess;
      this.onProblem({ kind: 'batch_dropped', droppedValues: excess, reason: 'flushes keep failing' });
    }
    this.pendingSamples = excess > 0 ? all.slice(excess) : all;
    for (const [k, v] of this.pendingLatest) latest.set(k, v);
    this.pendingLatest = latest;
  }

  private flushInBackground(): void {
    if (this.closed) return;
    try {
      this.flush();
    } catch (error) {
      this.onProblem({ kind: 'flush_failed', error: asError(error), pendingValues: this.pendingSamples.length });
    }
  }

  private pruneInBackground(): void {
    if (this.closed) return;
    try {
      this.prune();
    } catch (error) {
      this.onProblem({ kind: 'prune_failed', error: asError(error) });
    }
  }

  private rawCutoff(now: number): number {
    return bucketStart(now - this.options.rawRetentionMs, AGGREGATE_BUCKET_MS);
  }

  /**
   * Readings older than the raw cutoff would be pruned at once, and their bucket may
   * already have lost its other raw rows, so recomputing it would be wrong: refuse them.
   */
  private oldestAcceptedTimestamp(): number {
    return this.rawCutoff(this.clock.now());
  }

  private reject(deviceId: string, key: string | undefined, reason: string, values: number): void {
    this.counters.rejectedValues += values;
    this.onProblem({ kind: 'rejected_reading', deviceId, ...(key === undefined ? {} : { key }), reason });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StoreClosedError(operation);
  }
}

function countValues(set: unknown): number {
  const values = typeof set === 'object' && set !== null ? (set as { values?: unknown }).values : undefined;
  return typeof values === 'object' && values !== null ? Object.keys(values).length : 0;
}

/** One stderr line per distinct problem, so a device that sends NaN every second does not flood the log. */
function defaultProblemReporter(): (problem: StoreProblem) => void {
  const seen = new Set<string>();
  return (problem) => {
    const line = describeProblem(problem);
    if (problem.kind === 'rejected_reading' || problem.kind === 'state_invalid') {
      if (seen.has(line) || seen.size > 1000) return;
      seen.add(line);
    }
    console.warn(`[store] ${line}`);
  };
}

export function describeProblem(problem: StoreProblem): string {
  switch (problem.kind) {
    case 'rejected_reading':
      return `rejected reading from ${problem.deviceId}${problem.key === undefined ? '' : ` (${problem.key})`}: ${problem.reason}`;
    case 'flush_failed':
      return `flush failed, ${problem.pendingValues} values queued: ${problem.error.message}`;
    case 'prune_failed':
      return `prune failed: ${problem.error.message}`;
    case 'batch_dropped':
      return `dropped ${problem.droppedValues} queued values: ${problem.reason}`;
    case 'state_invalid':
      return `stored state ${problem.namespace}/${problem.key} is invalid: ${problem.reason}`;
  }
}
