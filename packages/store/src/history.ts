/**
 * History queries: choose the resolution, then read raw rows or 5-minute aggregates and
 * merge them to the requested step.
 *
 * - raw: when the whole range is inside raw retention and no step (or a step below
 *   5 minutes) is asked for. Without a step every stored sample is a point (count 1);
 *   with one, samples are summarised into step buckets.
 * - 5m: otherwise. Closed buckets come from agg_5m; buckets not rolled up yet (the one in
 *   progress, or ones awaiting the next flush) are summarised from raw on the fly, so a
 *   chart of the last hour ends at the newest flushed reading. A step above 5 minutes
 *   merges whole 5-minute buckets into step buckets (each goes to the step bucket holding
 *   its start); a smaller step cannot be honoured from aggregates and yields 5 minutes.
 *
 * Bucketed points cover [from, to): every bucket overlapping the range, each with all its
 * data. Raw samples without a step are those with from ≤ t < to.
 */
import { z } from 'zod';
import {
  AGGREGATE_BUCKET_MS,
  bucketCeil,
  bucketStart,
  mergeIntoBuckets,
  toPoint,
  type BucketSummary,
  type HistoryPoint,
} from './buckets.js';
import { StoreInputError, describeZodError } from './errors.js';
import type { BucketRollup } from './rollup.js';
import type { DatabaseSync, StatementSync } from './sqlite.js';

export interface HistoryQuery {
  deviceId: string;
  key: string;
  /** ms since the epoch, inclusive. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
  stepMs?: number;
}

export type HistoryResolution = 'raw' | '5m';

export interface HistoryResult {
  resolution: HistoryResolution;
  points: HistoryPoint[];
}

const finiteMs = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

const querySchema = z
  .object({
    deviceId: z.string().min(1),
    key: z.string().min(1),
    from: finiteMs,
    to: finiteMs,
    stepMs: z.number().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((q) => q.to >= q.from, { message: 'must not be before from', path: ['to'] });

export function parseHistoryQuery(query: unknown): HistoryQuery {
  const parsed = querySchema.safeParse(query);
  if (!parsed.success) throw new StoreInputError(`invalid history query: ${describeZodError(parsed.error)}`);
  const q = parsed.data;
  return {
    deviceId: q.deviceId,
    key: q.key,
    from: Math.floor(q.from),
    to: Math.ceil(q.to),
    ...(q.stepMs === undefined ? {} : { stepMs: Math.max(1, Math.round(q.stepMs)) }),
  };
}

export function chooseResolution(q: HistoryQuery, now: number, rawRetentionMs: number): HistoryResolution {
  const withinRawRetention = q.from >= now - rawRetentionMs;
  const smallStep = q.stepMs === undefined || q.stepMs < AGGREGATE_BUCKET_MS;
  return withinRawRetention && smallStep ? 'raw' : '5m';
}

interface SampleRow {
  t: number;
  v: number;
}

export class HistoryReader {
  private readonly samples: StatementSync;
  private readonly aggregates: StatementSync;

  constructor(
    db: DatabaseSync,
    private readonly rollup: BucketRollup,
  ) {
    // Archived rows are older than any recent row, so the two ranges simply concatenate.
    this.samples = db.prepare(
      `SELECT t, v FROM raw WHERE series_id = :series AND t >= :from AND t < :to
       UNION ALL
       SELECT t, v FROM raw_recent WHERE series_id = :series AND t >= :from AND t < :to
       ORDER BY t`,
    );
    this.aggregates = db.prepare(
      'SELECT t, sum, min, max, last, count FROM agg_5m WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t',
    );
  }

  /** Samples or step buckets from raw rows. */
  raw(seriesId: number, q: HistoryQuery): HistoryPoint[] {
    if (q.stepMs === undefined) {
      const rows = this.samples.all({ series: seriesId, from: q.from, to: q.to }) as unknown as SampleRow[];
      return rows.map((r) => ({ t: r.t, mean: r.v, min: r.v, max: r.v, last: r.v, count: 1 }));
    }
    const from = bucketStart(q.from, q.stepMs);
    const to = bucketCeil(q.to, q.stepMs);
    return this.rollup.summariseRaw(seriesId, from, to, q.stepMs).map(toPoint);
  }

  /** 5-minute buckets (stored, or summarised from raw past the roll-up watermark), merged to the step. */
  aggregated(seriesId: number, q: HistoryQuery, watermark: number): HistoryPoint[] {
    const width = Math.max(AGGREGATE_BUCKET_MS, q.stepMs ?? AGGREGATE_BUCKET_MS);
    const first = bucketStart(q.from, width);
    // Source 5-minute buckets whose start falls in [from, to) of the widened range.
    const from = bucketStart(first, AGGREGATE_BUCKET_MS);
    const to = bucketCeil(bucketCeil(q.to, width), AGGREGATE_BUCKET_MS);
    const stored =
      from < Math.min(to, watermark)
        ? (this.aggregates.all(seriesId, from, Math.min(to, watermark)) as unknown as BucketSummary[])
        : [];
    const pending =
      Math.max(from, watermark) < to
        ? this.rollup.summariseRaw(seriesId, Math.max(from, watermark), to, AGGREGATE_BUCKET_MS)
        : [];
    const merged =
      width === AGGREGATE_BUCKET_MS ? [...stored, ...pending] : mergeIntoBuckets([...stored, ...pending], width);
    return merged.filter((s) => s.t >= first && s.t < q.to).map(toPoint);
  }
}
