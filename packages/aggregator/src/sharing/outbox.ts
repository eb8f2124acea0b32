/**
 * Store-and-forward for anything a station sends home: batches of records wait in SQLite until
 * the receiver acknowledges them (2xx), and go out one at a time, oldest first, so the receiver
 * sees them in sequence order. Generic: the records are whatever the producer put in (DR
 * participation, averages, telemetry); the encoder and the transport plug in.
 *
 * Loss is never silent: when the pending bytes pass `maxBytes`, the oldest batches are dropped,
 * counted in a persisted counter and logged. Their sequence numbers are gone for good, so the
 * receiver sees the drop as a gap in `seq`.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import type { AggregatorLogger, OutboxStatus } from '../contracts.js';
import { BACKOFF_MAX_MS, backoffDelayMs } from './backoff.js';
import { OutboxStore, type PendingBatch } from './outbox-store.js';
import { jsonBatchEncoder, type BatchEncoder, type Uplink, type UplinkResult } from './uplink.js';

/**
 * 20 MB of pending JSON (uncompressed, as stored). At the `full` level one station queues about
 * 0.7 MB a day (bench/dr-sharing-bytes.mjs, gzip off), so the bound rides out an outage of about
 * four weeks, while the SQLite file stays small next to the store on an SD card.
 */
export const DEFAULT_OUTBOX_MAX_BYTES = 20 * 1024 * 1024;

export interface OutboxOptions {
  readonly db: DatabaseSync;
  readonly uplink: Uplink;
  readonly clock: Clock;
  /** The site name every envelope carries; the sequence is per stream. */
  readonly site: string;
  /** Several outboxes can share one file (e.g. DR sharing and remote telemetry). Default `sharing`. */
  readonly stream?: string;
  readonly maxBytes?: number;
  readonly encoder?: BatchEncoder;
  readonly logger?: AggregatorLogger;
  /** For jitter; tests pass a fixed one. */
  readonly random?: () => number;
}

export interface EnqueueOptions {
  /** The envelope's `level` (the sharing level in force when the batch was made). */
  readonly level: string;
  /** How private the most private record is; `withdrawAbove` removes batches above a rank. */
  readonly rank?: number;
}

/** The contract's status plus what a diagnostic page wants. */
export interface OutboxStatusDetail extends OutboxStatus {
  /** Pending batches removed because the user lowered the sharing level. */
  readonly withdrawn: number;
  /** When the next attempt is due after a failure; null when idle or sending. */
  readonly nextAttemptAt: string | null;
  /** The receiver refused the oldest batch (4xx); retried every 10 min until it takes it. */
  readonly refusedStatus: number | null;
}

export class Outbox {
  private readonly store: OutboxStore;
  private readonly maxBytes: number;
  private readonly encoder: BatchEncoder;
  private readonly random: () => number;
  private started = false;
  private stopped = false;
  private failures = 0;
  private retryTimer: TimerHandle | null = null;
  private nextAttemptAtMs: number | null = null;
  private inFlight: { seq: number; abort: AbortController; withdrawn: boolean } | null = null;
  private draining: Promise<void> | null = null;
  private lastError: string | null = null;
  private refusedStatus: number | null = null;

  constructor(private readonly options: OutboxOptions) {
    this.store = new OutboxStore(options.db, options.stream ?? 'sharing');
    this.maxBytes = options.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
    this.encoder = options.encoder ?? jsonBatchEncoder;
    this.random = options.random ?? Math.random;
  }

  /** Starts delivering what is pending (from before a restart, too). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.options.uplink.start?.();
    this.kick();
  }

  /** Stops at once: a request on the wire is aborted and its batch stays pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.nextAttemptAtMs = null;
    this.inFlight?.abort.abort();
    await this.draining;
  }

  /**
   * Stores one batch (its sequence number assigned in the same transaction) and sends it as
   * soon as the batches before it are through. Returns the batch's seq and id.
   */
  enqueue(records: readonly unknown[], options: EnqueueOptions): { seq: number; batchId: string } {
    const json = JSON.stringify(records);
    const outcome = this.store.enqueue(
      {
        batchId: randomUUID(),
        level: options.level,
        rank: options.rank ?? 0,
        createdAtMs: this.options.clock.now(),
        records: json,
      },
      this.maxBytes,
      this.inFlight?.seq ?? null,
    );
    if (outcome.droppedSeqs.length > 0) {
      this.options.logger?.warn(
        {
          dropped: outcome.droppedSeqs.length,
          seqs: `${outcome.droppedSeqs[0]}..${outcome.droppedSeqs[outcome.droppedSeqs.length - 1]}`,
          droppedTotal: this.store.counters().dropped,
          maxBytes: this.maxBytes,
        },
        'outbox full: dropped the oldest pending batches (the receiver will see a gap in seq)',
      );
    }
    this.kick();
    return { seq: outcome.seq, batchId: outcome.batchId };
  }

  /**
   * Removes the pending batches ranked above `rank`; returns how many. One already on the wire is
   * withdrawn too and its request aborted (the receiver may still have got it by then).
   */
  withdrawAbove(rank: number): number {
    const seqs = this.store.withdrawAbove(rank);
    if (this.inFlight && seqs.includes(this.inFlight.seq)) {
      this.inFlight.withdrawn = true;
      this.inFlight.abort.abort();
    }
    if (seqs.length > 0) {
      this.options.logger?.info(
        { withdrawn: seqs.length },
        'outbox: withdrew pending batches above the new sharing level',
      );
    }
    return seqs.length;
  }

  status(): OutboxStatusDetail {
    const totals = this.store.totals();
    const counters = this.store.counters();
    return {
      pending: totals.pending,
      pendingBytes: totals.bytes,
      maxBytes: this.maxBytes,
      dropped: counters.dropped,
      sent: counters.sent,
      nextSeq: counters.nextSeq,
      lastError: this.lastError,
      lastSentAt: counters.lastSentAtMs === null ? null : new Date(counters.lastSentAtMs).toISOString(),
      withdrawn: counters.withdrawn,
      nextAttemptAt: this.nextAttemptAtMs === null ? null : new Date(this.nextAttemptAtMs).toISOString(),
      refusedStatus: this.refusedStatus,
    };
  }

  /** Sends now unless sending, waiting out a back-off, or stopped. */
  private kick(): void {
    if (!this.started || this.stopped || this.draining || this.retryTimer) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // A batch enqueued after the loop found the table empty, but before this ran, was not
      // picked up by that loop: look once more.
      if (!this.retryTimer && this.store.oldest()) this.kick();
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const batch = this.store.oldest();
        if (!batch) return;
        const { result, withdrawn } = await this.send(batch);
        if (this.stopped && result.kind !== 'ack') return;
        // Withdrawn while on the wire: no back-off for an attempt we cut short ourselves.
        if (withdrawn && result.kind !== 'ack') continue;
        if (result.kind === 'ack') {
          this.store.acknowledge(batch.seq, this.options.clock.now());
          this.failures = 0;
          this.lastError = null;
          this.refusedStatus = null;
          continue;
        }
        this.scheduleRetry(result, batch.seq);
        return;
      }
    } catch (error) {
      // A SQLite or encoder failure: keep the batches, report, try again after a back-off.
      this.lastError = `outbox: ${(error as Error).message}`;
      this.options.logger?.error({ err: (error as Error).message }, 'outbox: delivery failed');
      if (!this.stopped) this.scheduleRetry({ kind: 'retry', error: this.lastError, retryAfterMs: null }, null);
    }
  }

  private async send(batch: PendingBatch): Promise<{ result: UplinkResult; withdrawn: boolean }> {
    const envelope = {
      batch_id: batch.batchId,
      seq: batch.seq,
      site: this.options.site,
      level: batch.level,
      sent_at: new Date(this.options.clock.now()).toISOString(),
      records: JSON.parse(batch.records) as unknown[],
    };
    const inFlight = { seq: batch.seq, abort: new AbortController(), withdrawn: false };
    this.inFlight = inFlight;
    try {
      const result = await this.options.uplink.send(
        {
          batchId: batch.batchId,
          seq: batch.seq,
          body: this.encoder.encode(envelope),
          contentType: this.encoder.contentType,
        },
        inFlight.abort.signal,
      );
      return { result, withdrawn: inFlight.withdrawn };
    } finally {
      this.inFlight = null;
    }
  }

  private scheduleRetry(result: Exclude<UplinkResult, { kind: 'ack' }>, seq: number | null): void {
    this.failures += 1;
    let delay: number;
    if (result.kind === 'refused') {
      // A 4xx is mostly a setting the user can fix (token, URL): keep the batch, try again slowly,
      // and say so in the status, rather than drop data or skip it out of order.
      delay = BACKOFF_MAX_MS;
      if (this.refusedStatus !== result.status) {
        this.options.logger?.warn(
          { status: result.status, seq, error: result.error },
          'outbox: the receiver refused a batch; retrying every 10 minutes (check uplink_url and uplink_token)',
        );
      }
      this.refusedStatus = result.status;
    } else {
      delay = result.retryAfterMs ?? backoffDelayMs(this.failures, this.random);
      this.refusedStatus = null;
      if (this.failures === 1 || this.lastError !== result.error) {
        this.options.logger?.info({ seq, error: result.error, retryInMs: delay }, 'outbox: send failed; will retry');
      }
    }
    this.lastError = result.error;
    this.nextAttemptAtMs = this.options.clock.now() + delay;
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      this.nextAttemptAtMs = null;
      this.kick();
    }, delay);
  }
}
