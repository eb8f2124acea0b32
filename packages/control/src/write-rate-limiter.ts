import { CommandRejectedError, systemClock, type Clock, type Command, type CommandOutcome } from '@sps/core';
import { RelayHolds, type RelayHoldSpec } from './relay-hold.js';
import type { WriteLedger } from './write-ledger.js';

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
  /**
   * Writes made by other processes (the `sps` CLI and the add-on share one in the data dir):
   * counted against the same per-minute budget. Default: this process only.
   */
  readonly ledger?: WriteLedger;
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

/** How a guarded write ended for this caller. */
export type GuardedWrite =
  /** This caller's command was written (it took a slot of the budget). */
  | { readonly status: 'written'; readonly outcome: CommandOutcome }
  /** An identical command was being written when this one arrived: this is that write's outcome. */
  | { readonly status: 'joined'; readonly outcome: CommandOutcome }
  /** An identical command was written moments ago; nothing was sent. */
  | { readonly status: 'duplicate'; readonly sentAt: number };

/**
 * Commands that end a forced mode. They are never refused by the per-minute cap (leaving a battery
 * forced is worse than one more flash write) and never answered from the duplicate memory (the
 * adapters read before they write, so a repeated restore costs a read, not a flash write) — but
 * they still take a slot, so a storm of them holds every other write back.
 */
const SAFETY_COMMANDS: ReadonlySet<Command['type']> = new Set(['restore_normal']);

interface DeviceWriteHistory {
  /** The last command written successfully, while no other write has been reserved since. */
  lastCommandKey?: string;
  lastSentAt?: number;
  /** Times of recent reservations (written or failed), oldest first. */
  sentAt: number[];
  /** Writes reserved and not yet settled, by command key: an identical command joins one. */
  readonly inFlight: Map<string, Promise<CommandOutcome>>;
  /** Bumped by each reservation: only the latest write may become the duplicate memory. */
  seq: number;
}

const MINUTE_MS = 60_000;

export class WriteRateLimiter {
  private readonly duplicateWindowMs: number;
  private readonly maxWritesPerMinute: number;
  private readonly ledger: WriteLedger | undefined;
  private readonly history = new Map<string, DeviceWriteHistory>();
  readonly relayHolds: RelayHolds;

  constructor(
    options: WriteRateLimitOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.duplicateWindowMs = options.duplicateWindowMs ?? 30_000;
    this.maxWritesPerMinute = options.maxWritesPerMinute ?? 12;
    this.ledger = options.ledger;
    this.relayHolds = new RelayHolds(clock, options.ledger);
  }

  /** Keep a relay channel that switches a transfer switch from chattering, whoever writes to it. */
  holdRelay(spec: RelayHoldSpec): void {
    this.relayHolds.add(spec);
  }

  /**
   * Admit, reserve and start one write as a single synchronous step — nothing is awaited between
   * the budget check and taking the slot, so concurrent callers (HTTP, HA, controller, a station
   * writing to its members) can never all pass the check before any of them is counted.
   *
   * - An identical command already in flight: this caller shares its outcome (or its failure).
   * - An identical command written successfully within the duplicate window: nothing is sent.
   * - A relay inside its minimum on/off time: refused (RelayHoldError) before a slot is taken.
   * - Over the per-minute budget: refused (WriteRateLimitedError), except restore_normal.
   * - Otherwise the slot is taken and `send` starts. The slot stays counted when the write fails:
   *   a timed-out or dropped write may well have reached the flash, and a retry storm against a
   *   flaky device is exactly what the budget must slow down. A failure also clears the duplicate
   *   memory, so a retry of the same command is written rather than answered from memory.
   */
  write(deviceId: string, command: Command, send: () => Promise<CommandOutcome>): Promise<GuardedWrite> {
    let outcome: Promise<CommandOutcome>;
    try {
      const now = this.clock.now();
      const entry = this.entry(deviceId, now);
      const key = commandKey(command);
      const joined = entry.inFlight.get(key);
      if (joined) return joined.then((o) => ({ status: 'joined', outcome: o }));
      const safety = SAFETY_COMMANDS.has(command.type);
      if (
        !safety &&
        entry.lastCommandKey === key &&
        entry.lastSentAt !== undefined &&
        now - entry.lastSentAt < this.duplicateWindowMs
      ) {
        return Promise.resolve({ status: 'duplicate', sentAt: entry.lastSentAt });
      }
      this.relayHolds.check(deviceId, command);
      const recent = this.recentWrites(deviceId, entry, now);
      if (!safety && recent.length >= this.maxWritesPerMinute) {
        const retryAfterMs = Math.max(0, (recent[0] ?? now) + MINUTE_MS - now);
        throw new WriteRateLimitedError(
          `write rate limit: device ${deviceId} already had ${recent.length} writes in the last minute ` +
            `(limit ${this.maxWritesPerMinute}); retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`,
          retryAfterMs,
        );
      }
      // The reservation: counted, remembered as in flight, and the duplicate memory voided (what the
      // device holds after this write is this command, or unknown if it fails).
      entry.sentAt.push(now);
      this.ledger?.record(deviceId, now);
      this.relayHolds.noteWrite(deviceId, command);
      const seq = ++entry.seq;
      delete entry.lastCommandKey;
      delete entry.lastSentAt;
      outcome = Promise.resolve().then(send);
      entry.inFlight.set(key, outcome);
      outcome.then(
        () => {
          if (entry.inFlight.get(key) === outcome) entry.inFlight.delete(key);
          if (entry.seq === seq) {
            entry.lastCommandKey = key;
            entry.lastSentAt = now;
          }
        },
        () => {
          if (entry.inFlight.get(key) === outcome) entry.inFlight.delete(key);
        },
      );
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return outcome.then((o) => ({ status: 'written', outcome: o }));
  }

  /** Forget the last command, e.g. after the device reconnected and its state is unknown. */
  forgetLast(deviceId: string): void {
    const entry = this.history.get(deviceId);
    if (!entry) return;
    delete entry.lastCommandKey;
    delete entry.lastSentAt;
  }

  /** Writes reserved for the device in the last minute (this process and the shared ledger). */
  writesInLastMinute(deviceId: string): number {
    const now = this.clock.now();
    return this.recentWrites(deviceId, this.entry(deviceId, now), now).length;
  }

  private recentWrites(deviceId: string, entry: DeviceWriteHistory, now: number): readonly number[] {
    if (!this.ledger) return entry.sentAt;
    // The ledger holds this process's writes too; it is the whole truth when there is one.
    return this.ledger.recent(deviceId, now - MINUTE_MS);
  }

  private entry(deviceId: string, now: number): DeviceWriteHistory {
    let entry = this.history.get(deviceId);
    if (!entry) {
      entry = { sentAt: [], inFlight: new Map(), seq: 0 };
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
