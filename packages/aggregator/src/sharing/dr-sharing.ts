/**
 * The one thing the add-on talks to for data sharing: it is fed the DR changes, the per-event
 * performance and the readings, and lets out exactly what the user's sharing level allows
 * (levels.ts): HTTP batches through the outbox, and at `full` the community MQTT topics.
 *
 * Batching: DR changes and performance go out within `eventDelayMs` (10 s: a `received` and an
 * at-once `started` share one POST). Averages and 1-minute readings keep their resolution but go
 * out once per `periodMs` (60 min). Each POST to a receiver that closes idle connections pays a
 * new TCP + TLS handshake (~3.4 kB measured) plus HTTP headers: at one POST per 15 min that
 * overhead alone is ~13 MB a month, at one per hour ~3.5 MB (bench/dr-sharing-bytes.mjs).
 */
import { READING_KEY_PATTERN, type Clock, type TimerHandle } from '@sps/core';
import { z } from 'zod';
import type { DatabaseSync } from '@sps/store';
import type { AggregatorLogger, DrChange, DrEventPerformance, SharingLevel } from '../contracts.js';
import { LevelSetting } from './level-setting.js';
import { AVERAGED_KEYS, SHARED_KINDS, levelAllows, levelRank, sharingLevelSchema, type SharedKind } from './levels.js';
import { MinuteSampler, type SampledValue } from './minute-sampler.js';
import { Outbox, type OutboxStatusDetail } from './outbox.js';
import { PARTICIPANTS_TOPIC, participantPayload, participantTopic } from './participant-payload.js';
import { averageRecord, drChangeRecord, drPerformanceRecord, readingRecord } from './shared-records.js';
import { TimeWeightedAverager } from './time-weighted-averager.js';
import type { BatchEncoder, Uplink } from './uplink.js';

export const AVERAGE_WINDOW_MS = 15 * 60_000;
export const DEFAULT_PERIOD_MS = 60 * 60_000;
export const DEFAULT_EVENT_DELAY_MS = 10_000;
export const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;
const MINUTE_MS = 60_000;
/** A reading older than this is not held on into an average or the participant message. */
const MAX_HOLD_MS = 5 * 60_000;

export type SharingPublish = (topic: string, payload: string) => Promise<void>;

/** The site is also an MQTT topic level: no wildcards, no separator, no spaces. */
export const sharingSiteSchema = z
  .string()
  .regex(/^[^\s/#+]{1,64}$/, 'site: 1-64 characters without spaces, "/", "#" or "+" (it is an MQTT topic level)');

export interface DrSharingOptions {
  /** aggregator.sqlite: the outbox's and the level's tables live there. */
  readonly db: DatabaseSync;
  readonly clock: Clock;
  /** The `site` of every batch and the community participant name (no spaces, no `/#+`). */
  readonly site: string;
  /** The add-on option `aggregator.sharing`: the default level. */
  readonly level: SharingLevel;
  /** No uplink (no `uplink_url`): no HTTP batches are made at all. */
  readonly uplink?: Uplink | null;
  /** The MQTT link's publish; the community topics go only through it, at `full`. */
  readonly publish?: SharingPublish | null;
  /** For the participant message's timestamp (`aggregator.time_zone`). Default UTC. */
  readonly timeZone?: string;
  readonly logger?: AggregatorLogger;
  readonly maxBytes?: number;
  readonly encoder?: BatchEncoder;
  readonly periodMs?: number;
  readonly eventDelayMs?: number;
  /**
   * The most JSON one batch carries (default 256 KiB, ~20 KiB gzip'd): a larger hour is split
   * into several batches, well within the 1 MB body limit common web servers default to.
   */
  readonly maxBatchBytes?: number;
  readonly random?: () => number;
}

export interface DrSharingStatus {
  readonly level: SharingLevel;
  /** The add-on option (the default the level falls back to). */
  readonly option: SharingLevel;
  readonly uplinkConfigured: boolean;
  readonly outbox: OutboxStatusDetail;
  readonly participant: {
    readonly published: number;
    readonly lastError: string | null;
    readonly announced: boolean;
  };
}

interface PendingRecord {
  readonly kind: SharedKind;
  readonly record: Record<string, unknown>;
}

export class DrSharing {
  private readonly outbox: Outbox;
  private readonly setting: LevelSetting;
  private readonly averager = new TimeWeightedAverager(AVERAGED_KEYS, AVERAGE_WINDOW_MS, MAX_HOLD_MS);
  private readonly sampler = new MinuteSampler();
  private readonly latest = new Map<string, { value: SampledValue; atMs: number }>();
  private readonly periodMs: number;
  private readonly eventDelayMs: number;
  private readonly maxBatchBytes: number;
  private current: SharingLevel;
  private eventRecords: PendingRecord[] = [];
  private eventTimer: TimerHandle | null = null;
  private periodTimer: TimerHandle | null = null;
  private minuteTimer: TimerHandle | null = null;
  /** Start of the average window not yet sent. */
  private windowStartMs: number;
  private started = false;
  private stopped = false;
  private announced = false;
  private published = 0;
  private publishError: string | null = null;

  constructor(private readonly options: DrSharingOptions) {
    this.periodMs = options.periodMs ?? DEFAULT_PERIOD_MS;
    this.eventDelayMs = options.eventDelayMs ?? DEFAULT_EVENT_DELAY_MS;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const site = sharingSiteSchema.safeParse(options.site);
    if (!site.success) throw new Error(site.error.issues.map((i) => i.message).join('; '));
    this.setting = new LevelSetting(options.db, `level:${options.site}`);
    this.current = this.setting.resolve(sharingLevelSchema.parse(options.level));
    this.outbox = new Outbox({
      db: options.db,
      uplink: options.uplink ?? idleUplink,
      clock: options.clock,
      site: options.site,
      stream: 'dr_sharing',
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.encoder === undefined ? {} : { encoder: options.encoder }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    // Batches left from a higher level before a restart do not go out under a lower one.
    this.outbox.withdrawAbove(levelRank(this.current));
    this.windowStartMs = floorTo(options.clock.now(), AVERAGE_WINDOW_MS);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.options.uplink) this.outbox.start();
    this.armPeriod();
    this.armMinute();
    this.announce();
  }

  /** Stops the timers and the uplink; buffered DR changes are stored first, so none is lost. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.eventTimer?.cancel();
    this.periodTimer?.cancel();
    this.minuteTimer?.cancel();
    this.flushEvents();
    await this.outbox.stop();
    await this.options.uplink?.close();
  }

  level(): SharingLevel {
    return this.current;
  }

  /** A runtime choice (HA's select), kept across restarts. Lowering it withdraws what the new level does not allow. */
  setLevel(level: SharingLevel): void {
    const next = sharingLevelSchema.parse(level);
    if (next === this.current) return;
    const lowered = levelRank(next) < levelRank(this.current);
    this.current = next;
    this.setting.save(next, this.options.level);
    this.eventRecords = this.eventRecords.filter((r) => levelAllows(next, r.kind));
    if (lowered) this.outbox.withdrawAbove(levelRank(next));
    // Data gathered under another level starts afresh: an average never spans two levels.
    this.averager.reset();
    this.sampler.reset();
    this.latest.clear();
    this.windowStartMs = floorTo(this.options.clock.now(), AVERAGE_WINDOW_MS);
    this.announced = false;
    this.announce();
    this.options.logger?.info({ level: next }, 'sharing level changed');
  }

  noteChange(change: DrChange): void {
    this.addEventRecord('dr_change', drChangeRecord(change));
  }

  notePerformance(perf: DrEventPerformance): void {
    this.addEventRecord('dr_performance', drPerformanceRecord(perf, this.options.clock.now()));
  }

  noteReadings(deviceId: string, atMs: number, values: Readonly<Record<string, SampledValue | null>>): void {
    if (this.stopped || !Number.isFinite(atMs)) return;
    const present: Record<string, SampledValue> = {};
    for (const [key, value] of Object.entries(values)) {
      // Only reading keys (snake_case): nothing odd, `__proto__` included, reaches a record.
      if (!READING_KEY_PATTERN.test(key)) continue;
      if (value === null || value === undefined) continue;
      if (typeof value === 'number' && !Number.isFinite(value)) continue;
      present[key] = value;
    }
    if (levelAllows(this.current, 'average_15m')) this.averager.note(deviceId, atMs, present);
    if (levelAllows(this.current, 'reading_1m')) this.sampler.note(deviceId, atMs, present);
    if (levelAllows(this.current, 'participant_mqtt')) {
      for (const [key, value] of Object.entries(present)) this.latest.set(key, { value, atMs });
    }
  }

  status(): DrSharingStatus {
    return {
      level: this.current,
      option: this.options.level,
      uplinkConfigured: Boolean(this.options.uplink),
      outbox: this.outbox.status(),
      participant: { published: this.published, lastError: this.publishError, announced: this.announced },
    };
  }

  /** The announce on `OpenDemandResponse/participants`, once (at start, on reaching `full`); only at `full`. */
  announce(): void {
    if (!this.started || this.stopped || this.announced || !this.options.publish) return;
    if (!levelAllows(this.current, 'participant_mqtt')) return;
    this.announced = true;
    const publish = this.options.publish;
    Promise.resolve()
      .then(() => publish(PARTICIPANTS_TOPIC, this.options.site))
      .catch((error: unknown) => {
        this.announced = false; // the minute tick tries again
        this.publishError = `announce: ${(error as Error).message}`;
      });
  }

  /** The announce again, e.g. after an MQTT reconnect (a failed one is also retried each minute). */
  reannounce(): void {
    this.announced = false;
    this.announce();
  }

  private addEventRecord(kind: SharedKind, record: Record<string, unknown>): void {
    if (this.stopped || !levelAllows(this.current, kind) || !this.options.uplink) return;
    this.eventRecords.push({ kind, record });
    if (!this.eventTimer) {
      this.eventTimer = this.options.clock.setTimeout(() => {
        this.eventTimer = null;
        this.flushEvents();
      }, this.eventDelayMs);
    }
  }

  private flushEvents(): void {
    this.eventTimer?.cancel();
    this.eventTimer = null;
    const records = this.eventRecords;
    this.eventRecords = [];
    this.enqueue(records);
  }

  /** One batch per period: pending DR records, the closed 15-minute windows, the finished minutes. */
  private flushPeriod(nowMs: number): void {
    const records = this.eventRecords;
    this.eventRecords = [];
    this.eventTimer?.cancel();
    this.eventTimer = null;
    if (levelAllows(this.current, 'average_15m')) {
      while (this.windowStartMs + AVERAGE_WINDOW_MS <= nowMs) {
        for (const avg of this.averager.close(this.windowStartMs)) {
          records.push({ kind: 'average_15m', record: averageRecord(this.windowStartMs, avg) });
        }
        this.windowStartMs += AVERAGE_WINDOW_MS;
      }
    } else {
      this.windowStartMs = floorTo(nowMs, AVERAGE_WINDOW_MS);
    }
    if (levelAllows(this.current, 'reading_1m')) {
      for (const sample of this.sampler.take(nowMs))
        records.push({ kind: 'reading_1m', record: readingRecord(sample) });
    }
    if (this.options.uplink) this.enqueue(records);
  }

  private enqueue(records: readonly PendingRecord[]): void {
    const allowed = records.filter((r) => levelAllows(this.current, r.kind));
    if (allowed.length === 0 || !this.options.uplink) return;
    for (const chunk of chunkByBytes(allowed, this.maxBatchBytes)) {
      const rank = Math.max(...chunk.map((r) => levelRank(SHARED_KINDS[r.kind])));
      try {
        this.outbox.enqueue(
          chunk.map((r) => r.record),
          { level: this.current, rank },
        );
      } catch (error) {
        // A full disk or a broken file: the add-on carries on; the status and the log say so.
        this.options.logger?.error({ err: (error as Error).message }, 'sharing: could not store a batch');
      }
    }
  }

  private armPeriod(): void {
    const now = this.options.clock.now();
    const next = floorTo(now, this.periodMs) + this.periodMs;
    this.periodTimer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      this.flushPeriod(this.options.clock.now());
      this.armPeriod();
    }, next - now);
  }

  private armMinute(): void {
    const now = this.options.clock.now();
    const next = floorTo(now, MINUTE_MS) + MINUTE_MS;
    this.minuteTimer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      this.publishParticipant(this.options.clock.now());
      this.armMinute();
    }, next - now);
  }

  private publishParticipant(nowMs: number): void {
    const publish = this.options.publish;
    if (!publish || !levelAllows(this.current, 'participant_mqtt')) return;
    this.announce();
    const fresh: Record<string, SampledValue> = {};
    for (const [key, entry] of this.latest) if (nowMs - entry.atMs <= MAX_HOLD_MS) fresh[key] = entry.value;
    if (Object.keys(fresh).length === 0) return; // nothing measured lately: say nothing rather than blanks
    const payload = participantPayload(fresh, nowMs, this.options.timeZone ?? 'UTC');
    Promise.resolve()
      .then(() => publish(participantTopic(this.options.site), payload))
      .then(
        () => {
          this.published += 1;
          this.publishError = null;
        },
        (error: unknown) => {
          // QoS 0 in the community convention: a missed minute is not queued, just reported.
          this.publishError = `participant: ${(error as Error).message}`;
        },
      );
  }
}

/**
 * Splits records into batches of at most `maxBytes` of JSON each (a record larger than that goes
 * alone), so an hour of `full` data from a big installation stays under common body limits.
 */
function chunkByBytes(records: readonly PendingRecord[], maxBytes: number): PendingRecord[][] {
  const chunks: PendingRecord[][] = [];
  let current: PendingRecord[] = [];
  let size = 2;
  for (const r of records) {
    const bytes = Buffer.byteLength(JSON.stringify(r.record), 'utf8') + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 2;
    }
    current.push(r);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** Stands in when no uplink is configured; never called, because nothing is enqueued then. */
const idleUplink: Uplink = {
  send: () => Promise.resolve({ kind: 'retry', error: 'no uplink_url configured', retryAfterMs: null }),
  close: () => Promise.resolve(),
};
