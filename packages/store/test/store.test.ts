import { AGGREGATE_BUCKET_MS, ReadingStore } from '@sps/store';
import { DAY, HOUR, MIN, T0, openStore, tempDir, type Harness } from './helpers';

const S = 1000;

describe('append, flush and latest', () => {
  let h: Harness;
  beforeEach(() => (h = openStore()));
  afterEach(() => h.store.close());

  it('shows appended values of every type as latest before and after flush', () => {
    h.store.append('inv', {
      timestamp: T0,
      values: { battery_soc: 55.5, running: true, mode: 'self_consumption', export_power: null },
    });
    const expected = {
      inv: {
        timestamp: T0,
        values: { battery_soc: 55.5, export_power: null, mode: 'self_consumption', running: true },
      },
    };
    expect(h.store.latest()).toEqual(expected);
    h.store.flush();
    expect(h.store.latest()).toEqual(expected);
    expect(h.store.latest('inv')).toEqual(expected);
  });

  it('merges keys across sets and keeps the newest value of each key', () => {
    h.store.append('inv', { timestamp: T0 + 2 * S, values: { battery_soc: 60, pv_power: 100 } });
    h.store.append('inv', { timestamp: T0 + 1 * S, values: { battery_soc: 59, grid_power: -5 } }); // older: soc ignored
    h.store.append('relay', { timestamp: T0, values: { relay_on: false } });
    expect(h.store.latest()).toEqual({
      inv: { timestamp: T0 + 2 * S, values: { battery_soc: 60, grid_power: -5, pv_power: 100 } },
      relay: { timestamp: T0, values: { relay_on: false } },
    });
    expect(h.store.latest('relay')).toEqual({ relay: { timestamp: T0, values: { relay_on: false } } });
  });

  it('lists keys per device, sorted, including string-only keys', () => {
    h.store.append('b', { timestamp: T0, values: { pv_power: 1, state: 'ok' } });
    h.store.append('a', { timestamp: T0, values: { load_power: 2 } });
    expect(h.store.keys()).toEqual([
      { deviceId: 'a', key: 'load_power' },
      { deviceId: 'b', key: 'pv_power' },
      { deviceId: 'b', key: 'state' },
    ]);
    expect(h.store.keys('b')).toEqual([
      { deviceId: 'b', key: 'pv_power' },
      { deviceId: 'b', key: 'state' },
    ]);
  });

  it('makes readings visible to history only once flushed', () => {
    h.store.append('inv', { timestamp: T0, values: { pv_power: 10 } });
    const q = { deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + MIN };
    expect(h.store.history(q).points).toEqual([]);
    h.store.flush();
    expect(h.store.history(q).points).toEqual([{ t: T0, mean: 10, min: 10, max: 10, last: 10, count: 1 }]);
  });

  it('flushes in the background every flushIntervalMs', async () => {
    h.store.append('inv', { timestamp: T0, values: { pv_power: 10 } });
    expect(h.store.stats().pendingValues).toBe(1);
    await h.clock.advance(999);
    expect(h.store.stats().pendingValues).toBe(1);
    await h.clock.advance(1);
    expect(h.store.stats().pendingValues).toBe(0);
    expect(h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + 1 }).points).toHaveLength(1);
  });

  it('flushes at once when the batch reaches maxBatchSize', () => {
    h.store.close();
    h = openStore({ maxBatchSize: 5 });
    h.store.append('inv', { timestamp: T0, values: { a: 1, b: 2, c: 3 } });
    expect(h.store.stats().pendingValues).toBe(3);
    h.store.append('inv', { timestamp: T0 + S, values: { a: 1, b: 2, c: 3 } });
    expect(h.store.stats()).toMatchObject({ pendingValues: 0, writtenValues: 6 });
  });

  it('stores booleans as 0/1 and replaces a value written twice for the same instant', () => {
    h.store.append('relay', { timestamp: T0, values: { relay_on: true } });
    h.store.append('relay', { timestamp: T0 + S, values: { relay_on: false } });
    h.store.append('relay', { timestamp: T0 + S, values: { relay_on: true } });
    h.store.flush();
    const points = h.store.history({ deviceId: 'relay', key: 'relay_on', from: T0, to: T0 + MIN }).points;
    expect(points.map((p) => [p.t, p.last])).toEqual([
      [T0, 1],
      [T0 + S, 1],
    ]);
  });

  it('keeps strings and nulls out of history', () => {
    h.store.append('inv', { timestamp: T0, values: { state: 'fault', pv_power: null } });
    h.store.flush();
    expect(h.store.history({ deviceId: 'inv', key: 'state', from: T0, to: T0 + MIN }).points).toEqual([]);
    expect(h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + MIN }).points).toEqual([]);
  });
});

describe('persistence across reopen', () => {
  it('close() flushes; a reopened store has history, latest and keys', () => {
    const tmp = tempDir();
    try {
      const h = openStore({ path: tmp.dbPath });
      h.store.append('inv', { timestamp: T0, values: { battery_soc: 40, mode: 'forced', on: true, x: null } });
      h.store.close();
      const store = ReadingStore.open({ path: tmp.dbPath, clock: h.clock });
      try {
        expect(store.latest()).toEqual({
          inv: { timestamp: T0, values: { battery_soc: 40, mode: 'forced', on: true, x: null } },
        });
        expect(store.keys()).toHaveLength(4);
        expect(store.history({ deviceId: 'inv', key: 'battery_soc', from: T0, to: T0 + 1 }).points).toEqual([
          { t: T0, mean: 40, min: 40, max: 40, last: 40, count: 1 },
        ]);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('history', () => {
  let h: Harness;
  // pv_power = i for a sample every 10 s over the first hour after T0.
  beforeEach(async () => {
    h = openStore();
    for (let i = 0; i < 360; i++) h.store.append('inv', { timestamp: T0 + i * 10 * S, values: { pv_power: i } });
    await h.clock.advance(HOUR + 10 * S);
    h.store.flush();
  });
  afterEach(() => h.store.close());

  const q = (from: number, to: number, stepMs?: number) => ({
    deviceId: 'inv',
    key: 'pv_power',
    from,
    to,
    ...(stepMs === undefined ? {} : { stepMs }),
  });

  it('returns raw samples in [from, to)', () => {
    const r = h.store.history(q(T0 + 20 * S, T0 + 50 * S));
    expect(r.resolution).toBe('raw');
    expect(r.points.map((p) => p.t)).toEqual([T0 + 20 * S, T0 + 30 * S, T0 + 40 * S]);
    expect(r.points[0]).toEqual({ t: T0 + 20 * S, mean: 2, min: 2, max: 2, last: 2, count: 1 });
  });

  it('summarises raw samples into steps below 5 minutes, aligned to the epoch', () => {
    const r = h.store.history(q(T0 + 65 * S, T0 + 3 * MIN, MIN));
    expect(r.resolution).toBe('raw');
    // Buckets overlapping [T0+65s, T0+180s): those starting at T0+60s and T0+120s, each whole.
    expect(r.points).toEqual([
      { t: T0 + MIN, mean: 8.5, min: 6, max: 11, last: 11, count: 6 },
      { t: T0 + 2 * MIN, mean: 14.5, min: 12, max: 17, last: 17, count: 6 },
    ]);
  });

  it('uses 5-minute aggregates for a step of 5 minutes or more', () => {
    const r = h.store.history(q(T0, T0 + 15 * MIN, 5 * MIN));
    expect(r.resolution).toBe('5m');
    expect(r.points).toEqual([
      { t: T0, mean: 14.5, min: 0, max: 29, last: 29, count: 30 },
      { t: T0 + 5 * MIN, mean: 44.5, min: 30, max: 59, last: 59, count: 30 },
      { t: T0 + 10 * MIN, mean: 74.5, min: 60, max: 89, last: 89, count: 30 },
    ]);
  });

  it('merges 5-minute buckets into larger steps', () => {
    const quarter = h.store.history(q(T0, T0 + HOUR, 15 * MIN));
    expect(quarter.resolution).toBe('5m');
    expect(quarter.points).toEqual([
      { t: T0, mean: 44.5, min: 0, max: 89, last: 89, count: 90 },
      { t: T0 + 15 * MIN, mean: 134.5, min: 90, max: 179, last: 179, count: 90 },
      { t: T0 + 30 * MIN, mean: 224.5, min: 180, max: 269, last: 269, count: 90 },
      { t: T0 + 45 * MIN, mean: 314.5, min: 270, max: 359, last: 359, count: 90 },
    ]);
    const hour = h.store.history(q(T0, T0 + HOUR, HOUR));
    expect(hour.points).toEqual([{ t: T0, mean: 179.5, min: 0, max: 359, last: 359, count: 360 }]);
  });

  it('includes every bucket overlapping the range, whole', () => {
    // From mid-bucket to mid-bucket: the 5-minute buckets at T0+5m and T0+10m.
    const r = h.store.history(q(T0 + 7 * MIN, T0 + 11 * MIN, 5 * MIN));
    expect(r.points.map((p) => [p.t, p.count])).toEqual([
      [T0 + 5 * MIN, 30],
      [T0 + 10 * MIN, 30],
    ]);
    // `to` is exclusive: a range ending exactly at a bucket start does not include that bucket.
    expect(h.store.history(q(T0, T0 + 5 * MIN, 5 * MIN)).points.map((p) => p.t)).toEqual([T0]);
  });

  it('gives each 5-minute bucket wholly to the step bucket holding its start when the step is not a multiple', () => {
    const r = h.store.history(q(T0, T0 + 21 * MIN, 7 * MIN));
    // Epoch-aligned 7-minute buckets; every point's count is a sum of whole 5-minute buckets.
    for (const p of r.points) {
      expect(p.t % (7 * MIN)).toBe(0);
      expect(p.count % 30).toBe(0);
    }
    expect(r.points.reduce((n, p) => n + p.count, 0)).toBeGreaterThan(0);
  });

  it('falls back to aggregates when the range reaches past raw retention', () => {
    h.clock.set(h.clock.now() + 11 * DAY); // jump without firing ~a million flush ticks
    const r = h.store.history(q(T0, T0 + HOUR));
    expect(r.resolution).toBe('5m');
    expect(r.points).toHaveLength(12);
    expect(r.points[0]).toEqual({ t: T0, mean: 14.5, min: 0, max: 29, last: 29, count: 30 });
  });

  it('summarises the bucket still in progress from raw rows', async () => {
    // Buckets up to T0+60m are rolled up; append into the open bucket at T0+60m.
    h.store.append('inv', { timestamp: T0 + HOUR + 5 * S, values: { pv_power: 1000 } });
    h.store.flush();
    const r = h.store.history(q(T0 + 55 * MIN, T0 + 65 * MIN, 5 * MIN));
    expect(r.points).toEqual([
      { t: T0 + 55 * MIN, mean: 344.5, min: 330, max: 359, last: 359, count: 30 },
      { t: T0 + HOUR, mean: 1000, min: 1000, max: 1000, last: 1000, count: 1 },
    ]);
  });

  it('returns nothing for an empty range', () => {
    expect(h.store.history(q(T0 + MIN, T0 + MIN)).points).toEqual([]);
    expect(h.store.history(q(T0 + MIN, T0 + MIN, 5 * MIN)).points).toEqual([]);
  });

  it('agrees between raw and aggregated resolutions on the same range', () => {
    const raw = h.store.history(q(T0, T0 + HOUR, 4 * MIN + 59 * S));
    expect(raw.resolution).toBe('raw');
    const agg = h.store.history(q(T0, T0 + HOUR, AGGREGATE_BUCKET_MS));
    const total = (ps: { count: number; mean: number }[]) => ps.reduce((s, p) => s + p.mean * p.count, 0);
    expect(total(raw.points)).toBeCloseTo(total(agg.points), 6);
    expect(raw.points.reduce((n, p) => n + p.count, 0)).toBe(360);
  });
});
