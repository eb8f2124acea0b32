/**
 * Database layout and connection settings.
 *
 * Compact on purpose (years on a Raspberry Pi SD card): devices, keys and (device, key)
 * series get small integer ids once; the big tables store only (series_id, t, values) in
 * WITHOUT ROWID b-trees whose primary key is their only index.
 *
 * Raw readings are kept in two tables because of how a b-tree takes writes. Keyed by
 * (series_id, t), every flush would append one row to each series' own leaf page: a
 * batch of n series dirties n pages, so each commit writes n × 4 KiB to the WAL for a
 * few bytes per reading (measured: ~250× the data size). So readings land first in
 * `raw_recent`, keyed by (t, series_id), where a batch is appended at the right edge of the
 * tree and dirties a page or two. When a 5-minute bucket closes, its rows are rolled up
 * into `agg_5m` and moved to `raw`, keyed by (series_id, t), sorted by series — a few
 * page writes per series per 5 minutes — where per-series history queries are index
 * range scans. `raw_recent` therefore only ever holds the buckets not yet rolled up.
 *
 * Integral values in REAL columns are written to disk as small integers by SQLite,
 * which is why `agg_5m` stores the sum (usually integral for integral readings) rather
 * than the mean.
 */
import type { DatabaseSync } from './sqlite.js';

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS device (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS reading_key (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS series (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL,
  key_id    INTEGER NOT NULL,
  UNIQUE (device_id, key_id)
);

-- One row per numeric (or boolean as 0/1) reading in a bucket not yet rolled up.
-- t: ms since the Unix epoch. Time-major so a batch is an append.
CREATE TABLE IF NOT EXISTS raw_recent (
  t         INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  v         REAL    NOT NULL,
  PRIMARY KEY (t, series_id)
) WITHOUT ROWID;

-- The same rows once their bucket is rolled up, series-major for history queries.
CREATE TABLE IF NOT EXISTS raw (
  series_id INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  v         REAL    NOT NULL,
  PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

-- One row per series per closed 5-minute bucket; t is the bucket start.
CREATE TABLE IF NOT EXISTS agg_5m (
  series_id INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  sum       REAL    NOT NULL,
  min       REAL    NOT NULL,
  max       REAL    NOT NULL,
  last      REAL    NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

-- Newest value of every series, of any type. kind: 0 number, 1 boolean, 2 string, 3 null.
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY,
  t         INTEGER NOT NULL,
  kind      INTEGER NOT NULL,
  value
);

-- Small JSON documents for other packages (last prices, timed overrides, ...).
CREATE TABLE IF NOT EXISTS state (
  namespace  TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
`;

/** Names of the integer values kept in `meta`. */
export const META_SCHEMA_VERSION = 'schema_version';
/** Start of the first 5-minute bucket not yet rolled up into agg_5m. */
export const META_ROLLUP_WATERMARK = 'rollup_watermark';
/** 1 when the last session closed cleanly (close() after a good flush); 0 while open. */
export const META_CLEAN_CLOSE = 'clean_close';

export const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL: readers never block the writer and a commit is one append to the -wal file, so a
 * process killed mid-write leaves either the whole transaction or none of it.
 * synchronous=NORMAL: the WAL is fsynced at checkpoints, not at every commit — commits
 * survive a killed process (they are in the OS page cache) but the newest ones may roll
 * back after a power cut; the database stays consistent either way (see README).
 */
export function configureConnection(db: DatabaseSync, inMemory: boolean): void {
  if (!inMemory) {
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: unknown } | undefined;
    if (mode?.journal_mode !== 'wal') throw new Error(`could not switch the database to WAL mode`);
  }
  db.exec('PRAGMA synchronous = NORMAL');
  // A big prune leaves a big -wal file behind; truncate it back after checkpoints.
  db.exec('PRAGMA journal_size_limit = 16777216');
  db.exec('PRAGMA temp_store = MEMORY');
}

export function applySchema(db: DatabaseSync, now: number, bucketMs: number): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(DDL);
    const version = readMeta(db, META_SCHEMA_VERSION);
    if (version === undefined) writeMeta(db, META_SCHEMA_VERSION, SCHEMA_VERSION);
    else if (version > SCHEMA_VERSION) {
      throw new Error(`database schema version ${version} is newer than this store understands (${SCHEMA_VERSION})`);
    }
    // A new database starts rolling up at the current bucket; older readings written later
    // are handled as late data (their buckets are recomputed individually).
    if (readMeta(db, META_ROLLUP_WATERMARK) === undefined) {
      writeMeta(db, META_ROLLUP_WATERMARK, Math.floor(now / bucketMs) * bucketMs);
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

export function readMeta(db: DatabaseSync, name: string): number | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined;
  return row?.value;
}

export function writeMeta(db: DatabaseSync, name: string, value: number): void {
  db.prepare(
    'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  ).run(name, value);
}
