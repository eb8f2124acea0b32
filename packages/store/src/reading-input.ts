/**
 * Checks what append() is given. A bad envelope (device id, timestamp) drops the whole set;
 * a bad value drops only that value. Nothing here throws: readings arrive from device
 * event handlers, where an exception would travel into someone else's poll loop.
 */
import { z } from 'zod';
import { READING_KEY_PATTERN, type ReadingValue } from '@sps/core';
import { describeZodError } from './errors.js';

export const MAX_DEVICE_ID_LENGTH = 128;
/** Longer strings are cut: they are status texts for the live page, not documents. */
export const MAX_STRING_VALUE_LENGTH = 1024;
/** Year 2100: later timestamps are a broken clock, not a reading. */
const MAX_TIMESTAMP = Date.UTC(2100, 0, 1);

// Device ids become SQL values and HA ids elsewhere; forbid control characters (NUL
// separates device and key in the series cache).
// eslint-disable-next-line no-control-regex
const DEVICE_ID_PATTERN = /^[^\u0000-\u001f\u007f]+$/;

const envelopeSchema = z.object({
  deviceId: z.string().min(1).max(MAX_DEVICE_ID_LENGTH).regex(DEVICE_ID_PATTERN, 'must not contain control characters'),
  timestamp: z.number().nonnegative().max(MAX_TIMESTAMP),
  // Checked by shape only: z.record would copy every set on the hot path; the keys and
  // values are checked one by one below.
  values: z.custom<Record<string, unknown>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'must be an object of readings',
  ),
});

export interface AcceptedValue {
  readonly key: string;
  /** The value as the live page shows it. */
  readonly latest: ReadingValue | null;
  /** The value stored as a time series, if it is one: numbers, and booleans as 0/1. */
  readonly numeric: number | undefined;
}

export interface CheckedReadings {
  readonly deviceId: string;
  /** Integer ms. */
  readonly timestamp: number;
  readonly accepted: AcceptedValue[];
  readonly rejected: { key?: string; reason: string }[];
}

export function checkReadings(deviceId: unknown, set: unknown): CheckedReadings | { error: string } {
  const envelope = envelopeSchema.safeParse({
    deviceId,
    timestamp: isObject(set) ? set['timestamp'] : undefined,
    values: isObject(set) ? set['values'] : undefined,
  });
  if (!envelope.success) return { error: describeZodError(envelope.error) };
  const { timestamp, values } = envelope.data;
  const accepted: AcceptedValue[] = [];
  const rejected: { key?: string; reason: string }[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!READING_KEY_PATTERN.test(key)) {
      rejected.push({ key, reason: 'key is not snake_case ASCII of at most 64 characters' });
      continue;
    }
    const checked = checkValue(value);
    if ('reason' in checked) rejected.push({ key, reason: checked.reason });
    else accepted.push({ key, ...checked });
  }
  return { deviceId: envelope.data.deviceId, timestamp: Math.floor(timestamp), accepted, rejected };
}

function checkValue(value: unknown): { latest: ReadingValue | null; numeric: number | undefined } | { reason: string } {
  if (value === null) return { latest: null, numeric: undefined };
  switch (typeof value) {
    case 'number':
      // NaN/±Infinity would poison every mean and min/max they touch.
      return Number.isFinite(value) ? { latest: value, numeric: value } : { reason: `not a finite number (${value})` };
    case 'boolean':
      return { latest: value, numeric: value ? 1 : 0 };
    case 'string':
      return { latest: value.slice(0, MAX_STRING_VALUE_LENGTH), numeric: undefined };
    default:
      return { reason: `unsupported value type ${typeof value}` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
