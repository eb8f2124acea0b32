/**
 * The remote-telemetry wire format: one batch of minute samples as CBOR (RFC 8949), each value
 * column delta-encoded over scaled integers, the whole compressed. Stored batches in the outbox
 * stay JSON (records as the profile made them); this runs when a batch goes on the wire, so the
 * format can change without touching what is queued.
 *
 * Frame: one header byte, then the compressed CBOR.
 *   header = 0x10 | compression  (high nibble: format 1; low: 0 none, 1 deflate-raw, 2 brotli, 3 gzip)
 * CBOR (a map with short text keys):
 *   { f: 1, id: batch_id, q: seq, s: site, l: level, at: sent_at (unix s),
 *     d: [ { n: device, t: [t0, Δt, Δt, …] (unix s),
 *            c: [ [key, decimals, [x0, Δx, Δx, …]], … ] }, … ],
 *     a: [ [t (unix s), alarm id, active, device | null, message | null], … ] }
 * A value column holds integers round(value × 10^decimals); the first present value is absolute,
 * each later one the difference from the previous present value; null where a minute lacks it.
 * Deltas of slowly moving battery values are mostly 0 or ±1, one CBOR byte each, and runs of
 * them compress to almost nothing.
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants as zlibConstants,
  deflateRawSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
} from 'node:zlib';
import { Decoder, Encoder } from 'cbor-x';
import { z } from 'zod';
import type { BatchEncoder, BatchEnvelope } from '../sharing/uplink.js';
import { fieldDecimals, MAX_TELEMETRY_MAGNITUDE } from './telemetry-fields.js';

export const TELEMETRY_FORMAT = 1;
export const TELEMETRY_CONTENT_TYPE = 'application/vnd.sps.telemetry+cbor';

export type TelemetryCompression = 'none' | 'deflate-raw' | 'brotli' | 'gzip';
const COMPRESSION_CODES: Readonly<Record<TelemetryCompression, number>> = {
  none: 0,
  'deflate-raw': 1,
  brotli: 2,
  gzip: 3,
};
/**
 * Brotli: on a 15-minute batch of the default fields it gives the smallest frame of the three
 * (bench/telemetry-bytes.mjs prints the comparison; DOCS.md quotes it).
 */
export const DEFAULT_TELEMETRY_COMPRESSION: TelemetryCompression = 'brotli';

/** A decoded frame never inflates past this: a hostile "zip bomb" is a reason, not an out-of-memory. */
export const MAX_DECODED_BYTES = 4 * 1024 * 1024;

/** One minute's values of one device, as the profile stores it in the outbox. */
export interface TelemetrySampleRecord {
  readonly k: 's';
  /** Unix ms (whole seconds). */
  readonly t: number;
  readonly d: string;
  readonly v: Readonly<Record<string, number>>;
}

/** An alarm starting or clearing (when `include_alarms` is on). */
export interface TelemetryAlarmRecord {
  readonly k: 'a';
  readonly t: number;
  readonly id: string;
  readonly on: boolean;
  readonly d: string | null;
  readonly m: string | null;
}

export type TelemetryRecord = TelemetrySampleRecord | TelemetryAlarmRecord;

export interface TelemetrySample {
  readonly t: number;
  readonly device: string;
  /** Values at the wire's resolution (the field's decimals). */
  readonly values: Readonly<Record<string, number>>;
}

export interface TelemetryAlarm {
  readonly t: number;
  readonly id: string;
  readonly active: boolean;
  readonly device: string | null;
  readonly message: string | null;
}

export interface TelemetryBatch {
  readonly batchId: string;
  readonly seq: number;
  readonly site: string;
  readonly level: string;
  /** Unix ms (whole seconds). */
  readonly sentAtMs: number;
  /** Per device in the order they first appear, each device's minutes in time order. */
  readonly samples: readonly TelemetrySample[];
  readonly alarms: readonly TelemetryAlarm[];
}

export type DecodeResult =
  { readonly ok: true; readonly batch: TelemetryBatch } | { readonly ok: false; readonly reason: string };

// Plain RFC 8949 CBOR: cbor-x's record extension (tag 105) and its typed-array tags are off, so any
// CBOR decoder on the receiving end can read a frame.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });
// Maps decode as Map, never as objects: a key like `__proto__` from a hostile frame stays a key.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** Scaled integers, first absolute then differences from the previous present value. */
export function deltaEncode(values: ReadonlyArray<number | null>): Array<number | null> {
  let previous: number | null = null;
  return values.map((value) => {
    if (value === null) return null;
    const out = previous === null ? value : value - previous;
    previous = value;
    return out;
  });
}

export function deltaDecode(column: ReadonlyArray<number | null>): Array<number | null> {
  let previous: number | null = null;
  return column.map((entry) => {
    if (entry === null) return null;
    const value: number = previous === null ? entry : previous + entry;
    previous = value;
    return value;
  });
}

function scaled(value: number, decimals: number): number | null {
  if (!Number.isFinite(value) || Math.abs(value) > MAX_TELEMETRY_MAGNITUDE) return null;
  return Math.round(value * 10 ** decimals);
}

function toSeconds(ms: number): number {
  return Math.round(ms / 1000);
}

/** The CBOR structure of one batch, uncompressed. */
export function telemetryBatchCbor(envelope: BatchEnvelope): Uint8Array {
  const devices = new Map<string, TelemetrySampleRecord[]>();
  const alarms: Array<[number, string, boolean, string | null, string | null]> = [];
  for (const record of envelope.records as readonly TelemetryRecord[]) {
    if (record.k === 's') {
      const list = devices.get(record.d);
      if (list) list.push(record);
      else devices.set(record.d, [record]);
    } else if (record.k === 'a') {
      alarms.push([toSeconds(record.t), record.id, record.on, record.d, record.m]);
    }
  }
  const d = [...devices].map(([name, samples]) => {
    const rows = [...samples].sort((a, b) => a.t - b.t);
    const keys: string[] = [];
    for (const row of rows) for (const key of Object.keys(row.v)) if (!keys.includes(key)) keys.push(key);
    return {
      n: name,
      t: deltaEncode(rows.map((r) => toSeconds(r.t))),
      c: keys.map((key) => {
        const decimals = fieldDecimals(key);
        const column = rows.map((r) => (Object.hasOwn(r.v, key) ? scaled(r.v[key] as number, decimals) : null));
        return [key, decimals, deltaEncode(column)];
      }),
    };
  });
  return encoder.encode({
    f: TELEMETRY_FORMAT,
    id: envelope.batch_id,
    q: envelope.seq,
    s: envelope.site,
    l: envelope.level,
    at: toSeconds(Date.parse(envelope.sent_at)),
    d,
    ...(alarms.length > 0 ? { a: alarms } : {}),
  });
}

export function compress(bytes: Uint8Array, compression: TelemetryCompression): Buffer {
  switch (compression) {
    case 'none':
      return Buffer.from(bytes);
    case 'deflate-raw':
      return deflateRawSync(bytes, { level: 9 });
    case 'gzip':
      return gzipSync(bytes, { level: 9 });
    case 'brotli':
      return brotliCompressSync(bytes, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      });
  }
}

/** The whole frame: header byte + compressed CBOR. */
export function encodeTelemetryBatch(
  envelope: BatchEnvelope,
  compression: TelemetryCompression = DEFAULT_TELEMETRY_COMPRESSION,
): Uint8Array {
  const body = compress(telemetryBatchCbor(envelope), compression);
  const frame = Buffer.allocUnsafe(body.length + 1);
  frame[0] = (TELEMETRY_FORMAT << 4) | COMPRESSION_CODES[compression];
  body.copy(frame, 1);
  return frame;
}

/** The outbox's encoder for the telemetry stream. */
export function telemetryBatchEncoder(compression: TelemetryCompression = DEFAULT_TELEMETRY_COMPRESSION): BatchEncoder {
  return { contentType: TELEMETRY_CONTENT_TYPE, encode: (envelope) => encodeTelemetryBatch(envelope, compression) };
}

// ---------- decoding (the receiving end) ----------

const int = z.number().int().refine(Number.isSafeInteger, 'not a safe integer');
const column = z.array(int.nullable());
const wireSchema = z.strictObject({
  f: z.literal(TELEMETRY_FORMAT),
  id: z.string().max(128),
  q: int.nonnegative(),
  s: z.string().max(256),
  l: z.string().max(64),
  at: int,
  d: z.array(
    z.strictObject({
      n: z.string().max(256),
      t: column,
      c: z.array(z.tuple([z.string().max(128), z.number().int().min(0).max(9), column])),
    }),
  ),
  a: z
    .array(
      z.tuple([int, z.string().max(256), z.boolean(), z.string().max(256).nullable(), z.string().max(1024).nullable()]),
    )
    .optional(),
});

/** Year 5138: a time beyond it is garbage, and ×1000 stays a safe integer. */
const MAX_UNIX_SECONDS = 1e11;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** CBOR maps (decoded as Map) to plain objects; a non-text or hostile key is an error. */
function plain(value: unknown, depth = 0): unknown {
  if (depth > 16) throw new Error('nested too deeply');
  if (value instanceof Map) {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [key, entry] of value) {
      if (typeof key !== 'string') throw new Error('a map key is not text');
      if (FORBIDDEN_KEYS.has(key)) throw new Error(`forbidden key "${key}"`);
      out[key] = plain(entry, depth + 1);
    }
    return { ...out };
  }
  if (Array.isArray(value)) return value.map((entry) => plain(entry, depth + 1));
  return value;
}

function decompress(code: number, body: Buffer): Buffer {
  const limit = { maxOutputLength: MAX_DECODED_BYTES };
  switch (code) {
    case 0:
      if (body.length > MAX_DECODED_BYTES) throw new Error('frame too large');
      return body;
    case 1:
      return inflateRawSync(body, limit);
    case 2:
      return brotliDecompressSync(body, limit);
    case 3:
      return gunzipSync(body, limit);
    default:
      throw new Error(`unknown compression ${code}`);
  }
}

/**
 * A frame back to its samples and alarms, or the reason it cannot be read. Never throws: the
 * receiving end gets hostile and truncated input as a reason it can log.
 */
export function decodeTelemetryBatch(frame: Uint8Array): DecodeResult {
  if (frame.length < 2) return { ok: false, reason: 'telemetry: frame too short' };
  const header = frame[0] as number;
  if (header >> 4 !== TELEMETRY_FORMAT) return { ok: false, reason: `telemetry: unknown format ${header >> 4}` };
  let cbor: Buffer;
  try {
    cbor = decompress(header & 0x0f, Buffer.from(frame.buffer, frame.byteOffset + 1, frame.length - 1));
  } catch (error) {
    return { ok: false, reason: `telemetry: cannot decompress (${(error as Error).message})` };
  }
  let raw: unknown;
  try {
    raw = plain(decoder.decode(cbor));
  } catch (error) {
    return { ok: false, reason: `telemetry: not CBOR (${(error as Error).message})` };
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `telemetry: ${issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'bad frame'}`,
    };
  }
  const wire = parsed.data;
  const samples: TelemetrySample[] = [];
  for (const [index, device] of wire.d.entries()) {
    const times = deltaDecode(device.t);
    if (times.some((t) => t === null)) return { ok: false, reason: `telemetry: d.${index}.t: a time is missing` };
    if (times.some((t) => (t as number) < 0 || (t as number) > MAX_UNIX_SECONDS)) {
      return { ok: false, reason: `telemetry: d.${index}.t: a time is out of range` };
    }
    const columns: Array<{ key: string; scale: number; values: Array<number | null> }> = [];
    for (const [key, decimals, deltas] of device.c) {
      if (deltas.length !== times.length) {
        return {
          ok: false,
          reason: `telemetry: d.${index}: column ${key} has ${deltas.length} values for ${times.length} times`,
        };
      }
      if (FORBIDDEN_KEYS.has(key)) return { ok: false, reason: `telemetry: d.${index}: forbidden key "${key}"` };
      const values = deltaDecode(deltas);
      if (values.some((v) => v !== null && !Number.isSafeInteger(v))) {
        return { ok: false, reason: `telemetry: d.${index}: column ${key} overflows` };
      }
      columns.push({ key, scale: 10 ** decimals, values });
    }
    times.forEach((t, row) => {
      const values: Record<string, number> = {};
      for (const c of columns) {
        const v = c.values[row];
        if (v !== null && v !== undefined) values[c.key] = v / c.scale;
      }
      samples.push({ t: (t as number) * 1000, device: device.n, values });
    });
  }
  return {
    ok: true,
    batch: {
      batchId: wire.id,
      seq: wire.q,
      site: wire.s,
      level: wire.l,
      sentAtMs: wire.at * 1000,
      samples,
      alarms: (wire.a ?? []).map(([t, id, active, device, message]) => ({ t: t * 1000, id, active, device, message })),
    },
  };
}
