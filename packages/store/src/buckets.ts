/**
 * Time-bucket arithmetic and merging. Pure functions, no SQL.
 *
 * Buckets are aligned to the Unix epoch (so in UTC): a bucket of width w starting at b
 * holds readings with b ≤ t < b + w.
 */

/** Width of the stored aggregates. */
export const AGGREGATE_BUCKET_MS = 5 * 60_000;

export function bucketStart(t: number, widthMs: number): number {
  return Math.floor(t / widthMs) * widthMs;
}

export function bucketCeil(t: number, widthMs: number): number {
  return Math.ceil(t / widthMs) * widthMs;
}

/** Sum rather than mean, so buckets merge exactly: mean = sum / count. */
export interface BucketSummary {
  readonly t: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
  readonly count: number;
}

export interface HistoryPoint {
  /** Sample time (raw without a step) or bucket start. */
  readonly t: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
  readonly count: number;
}

/**
 * Merge summaries (ascending by t, each wholly inside one output bucket) into buckets of
 * `widthMs`. A summary goes wholly to the output bucket containing its start.
 */
export function mergeIntoBuckets(sorted: readonly BucketSummary[], widthMs: number): BucketSummary[] {
  const merged: BucketSummary[] = [];
  let current: { t: number; sum: number; min: number; max: number; last: number; count: number } | undefined;
  for (const s of sorted) {
    const t = bucketStart(s.t, widthMs);
    if (current && current.t === t) {
      current.sum += s.sum;
      current.min = Math.min(current.min, s.min);
      current.max = Math.max(current.max, s.max);
      current.last = s.last;
      current.count += s.count;
    } else {
      if (current) merged.push(current);
      current = { t, sum: s.sum, min: s.min, max: s.max, last: s.last, count: s.count };
    }
  }
  if (current) merged.push(current);
  return merged;
}

export function toPoint(s: BucketSummary): HistoryPoint {
  return { t: s.t, mean: s.sum / s.count, min: s.min, max: s.max, last: s.last, count: s.count };
}
