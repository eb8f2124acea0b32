/**
 * Remote telemetry for a capped link (issue 13, part 7): once a minute it takes the latest value
 * of each chosen field of each chosen device, keeps the minutes in memory, and every `batchMs`
 * hands them to the outbox as one batch (stream `telemetry`, in the same SQLite file as DR
 * sharing). The outbox stores the batch, sends it through the uplink (HTTP or MQTT) when the link
 * is up, retries with back-off when it is not, and keeps the order (seq). The telemetry encoder
 * turns each batch into delta-encoded, compressed CBOR on the way out.
 *
 * Loss: minutes still in memory are stored by stop() (SIGTERM), so a clean shutdown loses
 * nothing; a hard crash (power cut) loses at most the minutes of the batch being gathered.
 */
import type { Clock, TimerHandle } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import type { AggregatorLogger } from '../contracts.js';
import { Outbox, type OutboxStatusDetail } from '../sharing/outbox.js';
import type { Uplink } from '../sharing/uplink.js';
import {
  DEFAULT_TELEMETRY_COMPRESSION,
  telemetryBatchEncoder,
  type TelemetryAlarmRecord,
  type TelemetryCompression,
  type TelemetryRecord,
  type TelemetrySampleRecord,
} from './telemetry-codec.js';
import { DEFAULT_TELEMETRY_FIELDS, MAX_TELEMETRY_MAGNITUDE } from './telemetry-fields.js';

export const TELEMETRY_STREAM = 'telemetry';
export const DEFAULT_TELEMETRY_INTERVAL_MS = 60_000;
/**
 * 15 minutes of samples per batch. Each batch costs a fixed overhead on the wire (HTTP headers and
 * the response, TLS records, TCP/IP packets and ACKs: about 0.7 kB on a kept-alive HTTPS
 * connection), so fewer batches are cheaper; 15 min keeps a remote view at most a quarter of an
 * hour old while the overhead stays near 2 MB a month (bench/telemetry-bytes.mjs).
 */
export const DEFAULT_TELEMETRY_BATCH_MS = 15 * 60_000;
/** A reading older than this is not repeated into a minute: a silent device shows as a gap. */
export const DEFAULT_TELEMETRY_MAX_AGE_MS = 3 * 60_000;
/**
 * 20 MB of pending JSON (as stored; the wire frames are ~27 times smaller): two batteries with the
 * default fields queue 7.4 kB per 15-minute batch, 0.71 MB a day, so about four weeks of outage.
 */
export const DEFAULT_TELEMETRY_MAX_BYTES = 20 * 1024 * 1024;

/** An alarm starting or clearing; the alarms module (issue 13, part 5) feeds these when `include_alarms` is on. */
export interface TelemetryAlarmEvent {
  /** Stable id of the rule and subject, e.g. `battery_alarm:pylontech`. */
  readonly id: string;
  readonly active: boolean;
  readonly atMs: number;
  readonly device?: string;
  readonly message?: string;
}

export interface TelemetryProfileOptions {
  /** aggregator.sqlite (shared with DR sharing: another stream in the same outbox tables). */
  readonly db: DatabaseSync;
  readonly clock: Clock;
  readonly site: string;
  readonly uplink: Uplink;
  /** Reading keys to send; default the seed's battery fields. */
  readonly fields?: readonly string[];
  /**
   * Device ids to send. Null (the default): every battery, i.e. every device whose readings carry
   * `battery_soc` (found as they report, so a battery added later is included).
   */
  readonly devices?: readonly string[] | null;
  readonly includeAlarms?: boolean;
  readonly intervalMs?: number;
  readonly batchMs?: number;
  readonly maxAgeMs?: number;
  readonly maxBytes?: number;
  readonly compression?: TelemetryCompression;
  readonly logger?: AggregatorLogger;
  readonly random?: () => number;
}

export interface TelemetryStatus {
  readonly devices: readonly string[];
  readonly fields: readonly string[];
  /** Minutes sampled and not yet handed to the outbox. */
  readonly gathering: number;
  readonly samples: number;
  readonly alarms: number;
  readonly outbox: OutboxStatusDetail;
}

export class TelemetryProfile {
  private readonly outbox: Outbox;
  private readonly fields: readonly string[];
  private readonly devices: Set<string>;
  private readonly autoDevices: boolean;
  private readonly intervalMs: number;
  private readonly batchMs: number;
  private readonly maxAgeMs: number;
  private readonly latest = new Map<string, Map<string, { value: number; atMs: number }>>();
  private gathered: TelemetryRecord[] = [];
  private tickTimer: TimerHandle | null = null;
  private batchStartMs: number;
  private started = false;
  private stopped = false;
  private samples = 0;
  private alarms = 0;

  constructor(private readonly options: TelemetryProfileOptions) {
    this.fields = [...(options.fields ?? DEFAULT_TELEMETRY_FIELDS)];
    this.autoDevices = options.devices === undefined || options.devices === null;
    this.devices = new Set(options.devices ?? []);
    this.intervalMs = options.intervalMs ?? DEFAULT_TELEMETRY_INTERVAL_MS;
    this.batchMs = Math.max(this.intervalMs, options.batchMs ?? DEFAULT_TELEMETRY_BATCH_MS);
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_TELEMETRY_MAX_AGE_MS;
    this.outbox = new Outbox({
      db: options.db,
      uplink: options.uplink,
      clock: options.clock,
      site: options.site,
      stream: TELEMETRY_STREAM,
      maxBytes: options.maxBytes ?? DEFAULT_TELEMETRY_MAX_BYTES,
      encoder: telemetryBatchEncoder(options.compression ?? DEFAULT_TELEMETRY_COMPRESSION),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.batchStartMs = floorTo(options.clock.now(), this.batchMs);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.outbox.start();
    this.armTick();
  }

  /** Stores the minutes gathered so far (nothing is lost on SIGTERM), then stops the uplink. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.tickTimer?.cancel();
    this.tickTimer = null;
    this.flush();
    await this.outbox.stop();
    await this.options.uplink.close();
  }

  /** Every reading of every device goes through here; only the chosen devices and fields are kept. */
  noteReadings(deviceId: string, atMs: number, values: Readonly<Record<string, unknown>>): void {
    if (this.stopped || !Number.isFinite(atMs)) return;
    if (!this.devices.has(deviceId)) {
      if (!this.autoDevices || !Object.hasOwn(values, 'battery_soc') || typeof values['battery_soc'] !== 'number')
        return;
      this.devices.add(deviceId);
    }
    let latest = this.latest.get(deviceId);
    for (const key of this.fields) {
      if (!Object.hasOwn(values, key)) continue;
      const value = values[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_TELEMETRY_MAGNITUDE) continue;
      if (!latest) {
        latest = new Map();
        this.latest.set(deviceId, latest);
      }
      latest.set(key, { value, atMs });
    }
  }

  /** The alarms hook: ignored unless `includeAlarms`; an alarm goes out with the next batch. */
  noteAlarm(alarm: TelemetryAlarmEvent): void {
    if (this.stopped || !this.options.includeAlarms || !Number.isFinite(alarm.atMs)) return;
    const record: TelemetryAlarmRecord = {
      k: 'a',
      t: Math.round(alarm.atMs / 1000) * 1000,
      id: alarm.id.slice(0, 256),
      on: alarm.active,
      d: alarm.device?.slice(0, 256) ?? null,
      m: alarm.message?.slice(0, 1024) ?? null,
    };
    this.gathered.push(record);
    this.alarms += 1;
  }

  status(): TelemetryStatus {
    return {
      devices: [...this.devices],
      fields: this.fields,
      gathering: this.gathered.length,
      samples: this.samples,
      alarms: this.alarms,
      outbox: this.outbox.status(),
    };
  }

  private sample(atMs: number): void {
    const t = Math.floor(atMs / 1000) * 1000;
    for (const device of this.devices) {
      const latest = this.latest.get(device);
      if (!latest) continue;
      const v: Record<string, number> = {};
      for (const [key, entry] of latest) if (atMs - entry.atMs <= this.maxAgeMs) v[key] = entry.value;
      if (Object.keys(v).length === 0) continue;
      const record: TelemetrySampleRecord = { k: 's', t, d: device, v };
      this.gathered.push(record);
      this.samples += 1;
    }
  }

  private flush(): void {
    const records = this.gathered;
    this.gathered = [];
    if (records.length === 0) return;
    try {
      this.outbox.enqueue(records, { level: TELEMETRY_STREAM });
    } catch (error) {
      // A full disk or a broken file: the add-on carries on; the log and the status say so.
      this.options.logger?.error({ err: (error as Error).message }, 'telemetry: could not store a batch');
    }
  }

  private armTick(): void {
    const now = this.options.clock.now();
    const next = floorTo(now, this.intervalMs) + this.intervalMs;
    this.tickTimer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      const at = this.options.clock.now();
      // A batch closes at its boundary: the minutes before it go out; the boundary minute opens the next.
      if (at >= this.batchStartMs + this.batchMs) {
        this.flush();
        this.batchStartMs = floorTo(at, this.batchMs);
      }
      this.sample(at);
      this.armTick();
    }, next - now);
  }
}

function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}
