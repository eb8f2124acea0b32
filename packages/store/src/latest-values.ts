/**
 * The newest value of every (device, key), of any type, held in memory so the live page
 * never queries the database. It is updated on append (so it includes readings not yet
 * flushed) and persisted to the `latest` table with every flush, so a restart starts from
 * the last flushed values.
 */
import type { ReadingValue } from '@sps/core';
import type { DatabaseSync } from './sqlite.js';

export interface LatestValue {
  readonly t: number;
  readonly value: ReadingValue | null;
}

export type LatestByDevice = Record<string, { timestamp: number; values: Record<string, ReadingValue | null> }>;

const ValueKind = { Number: 0, Boolean: 1, String: 2, Null: 3 } as const;

interface LatestRow {
  device: string;
  key: string;
  t: number;
  kind: number;
  value: number | string | null;
}

export function encodeLatest(value: ReadingValue | null): { kind: number; value: number | string | null } {
  if (value === null) return { kind: ValueKind.Null, value: null };
  if (typeof value === 'boolean') return { kind: ValueKind.Boolean, value: value ? 1 : 0 };
  if (typeof value === 'string') return { kind: ValueKind.String, value };
  return { kind: ValueKind.Number, value };
}

function decodeLatest(kind: number, value: number | string | null): ReadingValue | null {
  switch (kind) {
    case ValueKind.Number:
      return typeof value === 'number' ? value : null;
    case ValueKind.Boolean:
      return value === 1;
    case ValueKind.String:
      return typeof value === 'string' ? value : null;
    default:
      return null;
  }
}

export class LatestValues {
  private readonly byDevice = new Map<string, Map<string, LatestValue>>();

  load(db: DatabaseSync): void {
    const rows = db
      .prepare(
        `SELECT d.name AS device, k.name AS key, l.t AS t, l.kind AS kind, l.value AS value
         FROM latest AS l JOIN series AS s ON s.id = l.series_id
         JOIN device AS d ON d.id = s.device_id JOIN reading_key AS k ON k.id = s.key_id`,
      )
      .all() as unknown as LatestRow[];
    for (const row of rows) this.offer(row.device, row.key, row.t, decodeLatest(row.kind, row.value));
  }

  /** Keeps the value if it is at least as new as the one held. Returns whether it was kept. */
  offer(deviceId: string, key: string, t: number, value: ReadingValue | null): boolean {
    let keys = this.byDevice.get(deviceId);
    if (!keys) this.byDevice.set(deviceId, (keys = new Map()));
    const held = keys.get(key);
    if (held && held.t > t) return false;
    keys.set(key, { t, value });
    return true;
  }

  snapshot(deviceId?: string): LatestByDevice {
    const result: LatestByDevice = {};
    const devices = deviceId === undefined ? [...this.byDevice.keys()].sort() : [deviceId];
    for (const device of devices) {
      const keys = this.byDevice.get(device);
      if (!keys) continue;
      let timestamp = -Infinity;
      const values: Record<string, ReadingValue | null> = {};
      for (const key of [...keys.keys()].sort()) {
        const held = keys.get(key) as LatestValue;
        values[key] = held.value;
        timestamp = Math.max(timestamp, held.t);
      }
      result[device] = { timestamp, values };
    }
    return result;
  }

  keys(deviceId?: string): { deviceId: string; key: string }[] {
    const devices = deviceId === undefined ? [...this.byDevice.keys()].sort() : [deviceId];
    return devices.flatMap((device) =>
      [...(this.byDevice.get(device)?.keys() ?? [])].sort().map((key) => ({ deviceId: device, key })),
    );
  }
}
