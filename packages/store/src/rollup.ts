/**
 * Raw rows live in two tables (see schema.ts): `raw_recent`, time-major, for buckets not
 * yet rolled up, and `raw`, series-major, for everything older. This module owns the
 * move between them and every summary computed from raw rows:
 *
 * - rollUpRange: when buckets close, summarise them from raw_recent into agg_5m, move
 *   their rows to raw sorted by series, and delete them from raw_recent — one pass over
 *   the closed range, never a rescan of older data;
 * - recomputeBucket: a late reading for an already rolled-up bucket lands in raw, and
 *   that one bucket is summarised again from raw;
 * - summariseRaw: history's on-the-fly summaries over both tables.
 */
import { AGGREGATE_BUCKET_MS, type BucketSummary } from './buckets.js';
import type { DatabaseSync, StatementSync } from './sqlite.js';

const BUCKET = String(AGGREGATE_BUCKET_MS);

// `last` is the value at the greatest t in the bucket: the inner query finds that t and the
// join fetches its row through the primary key. Integer division floors for t ≥ 0.
const SUMMARISE_RECENT = `
  SELECT g.series_id, g.b, g.s, g.mn, g.mx, r.v, g.c
  FROM (
    SELECT series_id, (t / ${BUCKET}) * ${BUCKET} AS b, sum(v) AS s, min(v) AS mn, max(v) AS mx, max(t) AS lt,
           count(*) AS c
    FROM raw_recent WHERE t >= :from AND t < :to
    GROUP BY series_id, b
  ) AS g
  JOIN raw_recent AS r ON r.t = g.lt AND r.series_id = g.series_id`;

const SUMMARISE_ONE_ARCHIVED = `
  SELECT g.series_id, g.b, g.s, g.mn, g.mx, r.v, g.c
  FROM (
    SELECT series_id, (t / ${BUCKET}) * ${BUCKET} AS b, sum(v) AS s, min(v) AS mn, max(v) AS mx, max(t) AS lt,
           count(*) AS c
    FROM raw WHERE series_id = :series AND t >= :from AND t < :to
    GROUP BY series_id, b
  ) AS g
  JOIN raw AS r ON r.series_id = g.series_id AND r.t = g.lt`;

/** Both tables, each searched through its own primary key; they never hold the same (series, t). */
const SUMMARISE_ONE_ANYWHERE = `
  SELECT g.b AS t, g.s AS sum, g.mn AS min, g.mx AS max, g.c AS count,
         coalesce((SELECT v FROM raw WHERE series_id = :series AND t = g.lt),
                  (SELECT v FROM raw_recent WHERE t = g.lt AND series_id = :series)) AS last
  FROM (
    SELECT (t / CAST(:width AS INTEGER)) * CAST(:width AS INTEGER) AS b, sum(v) AS s, min(v) AS mn, max(v) AS mx,
           max(t) AS lt, count(*) AS c
    FROM (
      SELECT t, v FROM raw WHERE series_id = :series AND t >= :from AND t < :to
      UNION ALL
      SELECT t, v FROM raw_recent WHERE series_id = :series AND t >= :from AND t < :to
    )
    GROUP BY b
  ) AS g
  ORDER BY g.b`;

const UPSERT_AGGREGATE = 'INSERT OR REPLACE INTO agg_5m (series_id, t, sum, min, max, last, count)';

interface SummaryRow {
  t: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  count: number;
}

export class BucketRollup {
  private readonly aggregateRecent: StatementSync;
  private readonly archiveRecent: StatementSync;
  private readonly dropRecent: StatementSync;
  private readonly aggregateArchived: StatementSync;
  private readonly summariseAnywhere: StatementSync;

  constructor(db: DatabaseSync) {
    this.aggregateRecent = db.prepare(`${UPSERT_AGGREGATE} ${SUMMARISE_RECENT}`);
    // Sorted by series so each series' rows are appended together at the end of its range
    // in `raw`: a few page writes per series per bucket instead of one per flush.
    this.archiveRecent = db.prepare(
      'INSERT OR REPLACE INTO raw (series_id, t, v) SELECT series_id, t, v FROM raw_recent WHERE t < :to ORDER BY series_id, t',
    );
    this.dropRecent = db.prepare('DELETE FROM raw_recent WHERE t < :to');
    this.aggregateArchived = db.prepare(`${UPSERT_AGGREGATE} ${SUMMARISE_ONE_ARCHIVED}`);
    this.summariseAnywhere = db.prepare(SUMMARISE_ONE_ANYWHERE);
  }

  /** Roll up every series' buckets in [from, to) (both bucket-aligned) and archive their raw rows. */
  rollUpRange(from: number, to: number): void {
    this.aggregateRecent.run({ from, to });
    this.archiveRecent.run({ to });
    this.dropRecent.run({ to });
  }

  /** Recompute one archived bucket from raw, e.g. after a late reading landed in it. */
  recomputeBucket(seriesId: number, bucket: number): void {
    this.aggregateArchived.run({ series: seriesId, from: bucket, to: bucket + AGGREGATE_BUCKET_MS });
  }

  /** Summaries of one series' raw rows in [from, to), in buckets of widthMs, ascending. */
  summariseRaw(seriesId: number, from: number, to: number, widthMs: number): BucketSummary[] {
    const rows = this.summariseAnywhere.all({ series: seriesId, from, to, width: widthMs }) as unknown as SummaryRow[];
    return rows.map((r) => ({ t: r.t, sum: r.sum, min: r.min, max: r.max, last: r.last, count: r.count }));
  }
}
