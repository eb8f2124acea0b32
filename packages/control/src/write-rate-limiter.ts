import { CommandRejectedError, systemClock, type Clock, type Command } from '@sps/core';

/**
 * Inverter settings often live in flash with a limited number of write cycles, so
 * writes are rationed per device: an identical command inside a short window is
 * answered from memory instead of being written again, and more than a fixed number
 * of writes in a rolling minute is refused outright.
 */
export interface WriteRateLimitOptions {
  /** An identical command within this window is not re-sent, ms. Default 30 s. */
  readonly duplicateWindowMs?: number;
  /** Writes allowed per device in any rolling 60 s. Default 12. */
  readonly maxWritesPerMinute?: number;
}

/** A write refused because the device had too many writes in the last minute. */
export class WriteRateLimitedError extends CommandRejectedError {
  constructor(
    message: string,
    /** When a write will be accepted again, ms from now. */
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export type WriteDecision =
  { readonly action: 'send' } | { readonly action: 'skip_duplicate'; readonly sentAt: number };

interface DeviceWriteHistory {
  lastCommandKey?: string;
  lastSentAt?: number;
  /** Times of recent writes, oldest first. */
  sentAt: number[];
}

const MINUTE_MS = 60_000;

export class WriteRateLimiter {
  private readonly duplicateWindowMs: number;
  private readonly maxWritesPerMinute: number;
  private readonly history = new Map<string, DeviceWriteHistory>();

  constructor(
    options: WriteRateLimitOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.duplicateWindowMs = options.duplicateWindowMs ?? 30_000;
    this.maxWritesPerMinute = options.maxWritesPerMinute ?? 12;
  }

  /**
   * Decide whether a command may be written now. Throws WriteRateLimitedError when the
   * device is over its budget. Call `recordWrite` once the device accepted the command.
   */
  admit(deviceId: string, command: Command): WriteDecision {
    const now = this.clock.now();
    const entry = this.entry(deviceId, now);
    if (
      entry.lastCommandKey === commandKey(command) &&
      entry.lastSentAt !== undefined &&
      now - entry.lastSentAt < this.duplicateWindowMs
    ) {
      return { action: 'skip_duplicate', sentAt: entry.lastSentAt };
    }
    if (entry.sentAt.length >= this.maxWritesPerMinute) {
      const retryAfterMs = (entry.sentAt[0] ?? now) + MINUTE_MS - now;
      throw new WriteRateLimitedError(
        `write rate limit: device ${deviceId} already had ${entry.sentAt.length} writes in the last minute ` +
          `(limit ${this.maxWritesPerMinute}); retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        retryAfterMs,
      );
    }
    return { action: 'send' };
  }

  /** Remember a write the device accepted. */
  recordWrite(deviceId: string, command: Command): void {
    const now = this.clock.now();
    const entry = this.entry(deviceId, now);
    entry.sentAt.push(now);
    entry.lastCommandKey = commandKey(command);
    entry.lastSentAt = now;
  }

  /** Forget the last command, e.g. after the device reconnected and its state is unknown. */
  forgetLast(deviceId: string): void {
    const entry = this.history.get(deviceId);
    if (!entry) return;
    delete entry.lastCommandKey;
    delete entry.lastSentAt;
  }

  private entry(deviceId: string, now: number): DeviceWriteHistory {
    let entry = this.history.get(deviceId);
    if (!entry) {
      entry = { sentAt: [] };
      this.history.set(deviceId, entry);
    }
    while (entry.sentAt.length > 0 && now - (entry.sentAt[0] ?? now) >= MINUTE_MS) entry.sentAt.shift();
    return entry;
  }
}

/** Field order must not make two equal commands look different. */
function commandKey(command: Command): string {
  const record = command as Readonly<Record<string, unknown>>;
  return JSON.stringify(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k]]),
  );
}
