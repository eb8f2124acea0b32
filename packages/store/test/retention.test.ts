import { ReadingStore } from '@sps/store';
import { DAY, HOUR, MIN, T0, inspect, openStore, tempDir } from './helpers';

const BUCKET = 5 * MIN;

/** One reading per minute for `minutes` minutes from `start`, value = minute index. */
function appendMinutes(store: ReadingStore, start: number, minutes: number): void {
  for (let i = 0; i < minutes; i++) store.append('inv', { timestamp: start + i * MIN, values: { pv_power: i } });
}

describe('retention', () => {
  it('drops raw rows past rawRetentionMs and aggregates past aggregateRetentionMs, keeping the rest correct', () => {
    const h = openStore({ rawRetentionMs: HOUR, aggregateRetentionMs: DAY });
    try {
      appendMinutes(h.store, T0, 180); // three hours, minute 0..179
      h.clock.set(T0 + 3 * HOUR);
      h.store.flush();
      expect(h.store.prune()).toEqual({ raw: 120, aggregates: 0 }); // cutoff T0+2h
      const raw = h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0 + 2 * HOUR, to: T0 + 3 * HOUR });
      expect(raw.resolution).toBe('raw');
      expect(raw.points).toHaveLength(60);
      // The oldest hour is gone from raw but its aggregates are intact.
      const agg = h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + HOUR });
      expect(agg.resolution).toBe('5m');
      expect(agg.points).toHaveLength(12);
      expect(agg.points[0]).toEqual({ t: T0, mean: 2, min: 0, max: 4, last: 4, count: 5 });
      expect(agg.points[11]).toEqual({ t: T0 + 55 * MIN, mean: 57, min: 55, max: 59, last: 59, count: 5 });
      // A day later the aggregates older than a day go too, cut at a bucket boundary.
      h.clock.set(T0 + DAY + HOUR + 2 * MIN);
      expect(h.store.prune()).toEqual({ raw: 60, aggregates: 12 });
      const left = h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + 3 * HOUR, stepMs: BUCKET });
      expect(left.points.map((p) => p.t)).toEqual(Array.from({ length: 24 }, (_, i) => T0 + HOUR + i * BUCKET));
    } finally {
      h.store.close();
    }
  });

  it('prunes on open and then every pruneIntervalMs', async () => {
    const tmp = tempDir();
    try {
      const h = openStore({ path: tmp.dbPath, rawRetentionMs: HOUR, pruneIntervalMs: 10 * MIN });
      appendMinutes(h.store, T0, 120);
      h.clock.set(T0 + 2 * HOUR);
      h.store.close();
      const count = () =>
        inspect(tmp.dbPath, (db) =>
          Number(db.prepare('SELECT (SELECT count(*) FROM raw) + (SELECT count(*) FROM raw_recent) AS n').get()?.['n']),
        );
      expect(count()).toBe(120);

      const store = ReadingStore.open({
        path: tmp.dbPath,
        clock: h.clock,
        rawRetentionMs: HOUR,
        pruneIntervalMs: 10 * MIN,
      });
      try {
        expect(count()).toBe(60); // on open: cutoff T0+1h
        await h.clock.advance(10 * MIN); // the timer: cutoff T0+1h10m
        expect(count()).toBe(50);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('never prunes raw rows that are not rolled up yet', () => {
    const h = openStore({ rawRetentionMs: HOUR });
    try {
      appendMinutes(h.store, T0, 3); // bucket T0 stays open: the clock is still at T0
      h.store.flush();
      expect(h.store.prune(T0 + 5 * HOUR)).toEqual({ raw: 0, aggregates: 0 });
      h.clock.set(T0 + 5 * HOUR);
      h.store.flush(); // rolls the bucket up ...
      expect(h.store.prune()).toEqual({ raw: 3, aggregates: 0 }); // ... after which raw may go
      expect(h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + BUCKET }).points).toEqual([
        { t: T0, mean: 1, min: 0, max: 2, last: 2, count: 3 },
      ]);
    } finally {
      h.store.close();
    }
  });

  it('refuses readings older than raw retention, so a pruned bucket is never recomputed from partial data', () => {
    const h = openStore({ rawRetentionMs: HOUR });
    try {
      h.clock.set(T0 + 3 * HOUR);
      h.store.append('inv', { timestamp: T0, values: { pv_power: 1 } });
      h.store.append('inv', { timestamp: T0 + 2 * HOUR + 30 * MIN, values: { pv_power: 2 } });
      expect(h.store.stats()).toMatchObject({ pendingValues: 1, rejectedValues: 1 });
      expect(h.problems).toEqual([{ kind: 'rejected_reading', deviceId: 'inv', reason: 'older than raw retention' }]);
    } finally {
      h.store.close();
    }
  });
});
