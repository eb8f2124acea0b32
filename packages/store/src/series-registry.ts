/**
 * Integer ids for devices, reading keys and (device, key) series, cached in memory so the
 * write path does one Map lookup per value instead of a query.
 */
import type { DatabaseSync, StatementSync } from './sqlite.js';

type Row = Record<string, unknown> | undefined;

/** The `id` column of a row, if there is a row. */
function idOf(row: Row): number | undefined {
  const id = row?.['id'];
  return typeof id === 'number' ? id : undefined;
}

function requireId(row: Row, what: string): number {
  const id = idOf(row);
  if (id === undefined) throw new Error(`inserting ${what} returned no id`);
  return id;
}

export class SeriesRegistry {
  private readonly seriesIds = new Map<string, number>();
  private readonly deviceIds = new Map<string, number>();
  private readonly keyIds = new Map<string, number>();
  private readonly selectDevice: StatementSync;
  private readonly insertDevice: StatementSync;
  private readonly selectKey: StatementSync;
  private readonly insertKey: StatementSync;
  private readonly selectSeries: StatementSync;
  private readonly insertSeries: StatementSync;

  constructor(db: DatabaseSync) {
    this.selectDevice = db.prepare('SELECT id FROM device WHERE name = ?');
    this.insertDevice = db.prepare('INSERT INTO device (name) VALUES (?) RETURNING id');
    this.selectKey = db.prepare('SELECT id FROM reading_key WHERE name = ?');
    this.insertKey = db.prepare('INSERT INTO reading_key (name) VALUES (?) RETURNING id');
    this.selectSeries = db.prepare('SELECT id FROM series WHERE device_id = ? AND key_id = ?');
    this.insertSeries = db.prepare('INSERT INTO series (device_id, key_id) VALUES (?, ?) RETURNING id');
  }

  /** The id of a series that already exists, without creating anything. */
  find(deviceId: string, key: string): number | undefined {
    const cached = this.seriesIds.get(seriesKey(deviceId, key));
    if (cached !== undefined) return cached;
    const device = idOf(this.selectDevice.get(deviceId));
    const readingKey = idOf(this.selectKey.get(key));
    if (device === undefined || readingKey === undefined) return undefined;
    const series = idOf(this.selectSeries.get(device, readingKey));
    if (series !== undefined) this.seriesIds.set(seriesKey(deviceId, key), series);
    return series;
  }

  /** Must run inside the write transaction: rows it creates roll back with it. */
  findOrCreate(deviceId: string, key: string): number {
    const k = seriesKey(deviceId, key);
    const cached = this.seriesIds.get(k);
    if (cached !== undefined) return cached;
    const device = this.cachedId(this.deviceIds, this.selectDevice, this.insertDevice, deviceId);
    const readingKey = this.cachedId(this.keyIds, this.selectKey, this.insertKey, key);
    const id =
      idOf(this.selectSeries.get(device, readingKey)) ??
      requireId(this.insertSeries.get(device, readingKey), 'a series');
    this.seriesIds.set(k, id);
    return id;
  }

  /** After a rolled-back transaction the cache may name rows that do not exist. */
  forget(): void {
    this.seriesIds.clear();
    this.deviceIds.clear();
    this.keyIds.clear();
  }

  private cachedId(cache: Map<string, number>, select: StatementSync, insert: StatementSync, name: string): number {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const id = idOf(select.get(name)) ?? requireId(insert.get(name), name);
    cache.set(name, id);
    return id;
  }
}

function seriesKey(deviceId: string, key: string): string {
  // NUL cannot occur in either part (validated on append), so the pair is unambiguous.
  return `${deviceId}\u0000${key}`;
}
