import { z } from 'zod';
import type { Clock } from '@sps/core';
import { StoreInputError, describeZodError } from './errors.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface ReadingStoreOptions {
  /** File path of the database, or ':memory:'. */
  path: string;
  /** How long raw readings are kept. Default 10 days. */
  rawRetentionMs?: number;
  /** How long 5-minute aggregates are kept. Default 2 years. */
  aggregateRetentionMs?: number;
  /** Pending readings are written at most this late. Default 1000 ms. */
  flushIntervalMs?: number;
  /** A batch this large (in stored values) is written at once, without waiting for the timer. Default 20 000. */
  maxBatchSize?: number;
  /** How often retention runs in the background (it also runs on open). Default 1 hour. */
  pruneIntervalMs?: number;
  /**
   * Cap the database file at about this many bytes (SQLite's max_page_count); past it writes fail
   * as on a full disk. Default: no cap. See `setSizeLimit`.
   */
  maxSizeBytes?: number;
  /** Time source. Given a clock, the background timers run on it (tests drive a ManualClock). */
  clock?: Clock;
  /**
   * Told about problems that must not throw into the caller: readings dropped as invalid,
   * background flush or prune failures. Default: one line on stderr.
   */
  onProblem?: (problem: StoreProblem) => void;
}

export type StoreProblem =
  | { kind: 'rejected_reading'; deviceId: string; key?: string; reason: string }
  | { kind: 'flush_failed'; error: Error; pendingValues: number }
  | { kind: 'prune_failed'; error: Error }
  | { kind: 'batch_dropped'; droppedValues: number; reason: string }
  | { kind: 'state_invalid'; namespace: string; key: string; reason: string };

const positiveMs = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const optionsSchema = z.object({
  path: z.string().min(1),
  rawRetentionMs: positiveMs.optional(),
  aggregateRetentionMs: positiveMs.optional(),
  flushIntervalMs: positiveMs.optional(),
  maxBatchSize: z.number().int().positive().max(10_000_000).optional(),
  pruneIntervalMs: positiveMs.optional(),
  maxSizeBytes: z.number().int().positive().optional(),
});

export interface ResolvedOptions {
  readonly path: string;
  readonly rawRetentionMs: number;
  readonly aggregateRetentionMs: number;
  readonly flushIntervalMs: number;
  readonly maxBatchSize: number;
  readonly pruneIntervalMs: number;
  readonly maxSizeBytes: number | undefined;
}

export function resolveOptions(options: ReadingStoreOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new StoreInputError(`invalid store options: ${describeZodError(parsed.error)}`);
  const o = parsed.data;
  return {
    path: o.path,
    rawRetentionMs: o.rawRetentionMs ?? 10 * DAY_MS,
    aggregateRetentionMs: o.aggregateRetentionMs ?? 2 * 365 * DAY_MS,
    flushIntervalMs: o.flushIntervalMs ?? 1000,
    maxBatchSize: o.maxBatchSize ?? 20_000,
    pruneIntervalMs: o.pruneIntervalMs ?? HOUR_MS,
    maxSizeBytes: o.maxSizeBytes,
  };
}
