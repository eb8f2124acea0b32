import { DeviceError, toDeviceError, type Clock } from '@sps/core';
import { MAX_RETRY_AFTER_MS, RateLimitedError } from './client.js';

/** One API write; `key` says which writes replace each other (one endpoint, one setting). */
export interface QueuedWrite {
  readonly key: string;
  readonly body: Record<string, unknown>;
}

export interface WriteResult {
  /** The body actually sent (after merging with later writes of the same key). */
  readonly sent: Record<string, unknown>;
  /** True when this write rode along with another one: one API call for both. */
  readonly coalesced: boolean;
}

export interface CommandQueueOptions {
  readonly clock: Clock;
  readonly send: (write: QueuedWrite) => Promise<void>;
  /** Attempts for a transient failure (5xx, timeout, reset), the first included. Default 4. */
  readonly attempts?: number;
  /** First back-off, doubled each retry. Default 1 s. */
  readonly backoffMs?: number;
  /** The longest a 429's Retry-After is waited for inside one command; longer → `busy` to the caller. */
  readonly maxRetryAfterWaitMs?: number;
}

interface Pending {
  key: string;
  body: Record<string, unknown>;
  waiters: { resolve: (r: WriteResult) => void; reject: (e: DeviceError) => void; first: boolean }[];
}

/**
 * The Powerwall's writes, one at a time. Writes that arrive while another one is in flight (or in
 * the same turn) wait; two waiting writes with the same key become one call whose body merges
 * both, the later value winning (two quick reserve changes → one `POST backup`). Transient failures
 * are retried with doubling back-off; a 429 waits for its Retry-After when that is short, else the
 * caller is told `busy` (the API asks to be asked later). Refusals and a rejected token are not retried.
 */
export class CommandQueue {
  private readonly pending: Pending[] = [];
  private draining = false;
  private closed = false;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterWaitMs: number;

  constructor(private readonly options: CommandQueueOptions) {
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxRetryAfterWaitMs = options.maxRetryAfterWaitMs ?? 60_000;
  }

  /** Writes waiting (not yet sent). */
  get size(): number {
    return this.pending.length;
  }

  enqueue(write: QueuedWrite): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new DeviceError('not_connected', 'the Teslemetry connection is closed'));
    return new Promise<WriteResult>((resolve, reject) => {
      const same = this.pending.find((p) => p.key === write.key);
      if (same) {
        same.body = { ...same.body, ...write.body };
        same.waiters.push({ resolve, reject, first: false });
      } else {
        this.pending.push({ key: write.key, body: { ...write.body }, waiters: [{ resolve, reject, first: true }] });
      }
      if (!this.draining) {
        this.draining = true;
        // Start on the next turn so writes issued together coalesce before the first leaves.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Fails every waiting write; the one in flight finishes or fails on its own timeout. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) {
      for (const w of p.waiters) w.reject(new DeviceError('not_connected', 'the Teslemetry connection was closed'));
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        const item = next;
        try {
          await this.sendWithRetries(item);
          for (const w of item.waiters) w.resolve({ sent: item.body, coalesced: !w.first || item.waiters.length > 1 });
        } catch (err) {
          const error = toDeviceError(err);
          for (const w of item.waiters) w.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async sendWithRetries(item: Pending): Promise<void> {
    let delay = this.backoffMs;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new DeviceError('not_connected', 'the Teslemetry connection was closed');
      try {
        await this.options.send({ key: item.key, body: item.body });
        return;
      } catch (err) {
        const error = toDeviceError(err);
        if (error instanceof RateLimitedError) {
          const wait = error.retryAtMs - this.options.clock.now();
          if (wait > Math.min(this.maxRetryAfterWaitMs, MAX_RETRY_AFTER_MS) || attempt >= this.attempts) throw error;
          await this.options.clock.sleep(Math.max(0, wait));
          continue;
        }
        const transient = !error.isRefusal && error.kind !== 'auth_failed' && error.kind !== 'not_connected';
        if (!transient || attempt >= this.attempts) throw error;
        await this.options.clock.sleep(delay);
        delay *= 2;
      }
    }
  }
}
