import fc from 'fast-check';
import { HOUR, MIN, T0, openStore, tempDir, inspect } from './helpers';

const S = 1000;
const BUCKET = 5 * MIN;

interface Expected {
  t: number;
  mean: number;
  min: number;
  max: number;
  last: number;
  count: number;
}

/** The obvious, slow computation the store must agree with: last write per instant wins. */
function naiveBuckets(samples: Map<number, number>, width: number): Expected[] {
  const buckets = new Map<number, { t: number; v: number }[]>();
  for (const [t, v] of samples) {
    const b = Math.floor(t / width) * width;
    buckets.set(b, [...(buckets.get(b) ?? []), { t, v }]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([b, rows]) => {
      const values = rows.map((r) => r.v);
      const newest = rows.reduce((x, y) => (y.t > x.t ? y : x));
      const sum = values.reduce((s, v) => s + v, 0);
      return {
        t: b,
        mean: sum / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
        last: newest.v,
        count: values.length,
      };
    });
}

describe('5-minute aggregation', () => {
  it('matches a naive computation for any arrival order and any split into batches', () => {
    const reading = fc.record({
      offsetS: fc.integer({ min: 0, max: 3599 }),
      value: fc.integer({ min: -5000, max: 5000 }),
      flushAfter: fc.boolean(),
      // Moves the clock to this reading's time, so buckets close between batches and
      // readings that arrive later for those buckets are late data.
      advanceClock: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 150 }), (readings) => {
        const h = openStore();
        try {
          const written = new Map<number, number>();
          for (const r of readings) {
            const t = T0 + r.offsetS * S;
            if (r.advanceClock && t > h.clock.now()) h.clock.set(t);
            h.store.append('inv', { timestamp: t, values: { grid_power: r.value } });
            written.set(t, r.value);
            if (r.flushAfter) h.store.flush();
          }
          h.clock.set(T0 + 2 * HOUR); // every bucket is now closed
          h.store.flush();
          const q = { deviceId: 'inv', key: 'grid_power', from: T0, to: T0 + HOUR };
          for (const step of [BUCKET, 15 * BUCKET, HOUR]) {
            const got = h.store.history({ ...q, stepMs: step });
            expect(got.resolution).toBe('5m');
            expect(got.points).toEqual(naiveBuckets(written, step));
          }
          expect(h.store.history({ ...q, stepMs: MIN }).points).toEqual(naiveBuckets(written, MIN));
        } finally {
          h.store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('recomputes a rolled-up bucket when a late reading arrives for it', () => {
    const h = openStore();
    try {
      h.store.append('inv', { timestamp: T0 + MIN, values: { pv_power: 10 } });
      h.clock.set(T0 + 6 * MIN);
      h.store.flush();
      const q = { deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + BUCKET, stepMs: BUCKET };
      expect(h.store.history(q).points).toEqual([{ t: T0, mean: 10, min: 10, max: 10, last: 10, count: 1 }]);
      h.store.append('inv', { timestamp: T0 + 2 * MIN, values: { pv_power: 30 } });
      h.store.flush();
      expect(h.store.history(q).points).toEqual([{ t: T0, mean: 20, min: 10, max: 30, last: 30, count: 2 }]);
    } finally {
      h.store.close();
    }
  });

  it('rolls up closed buckets into agg_5m at flush, in the same commit as the watermark', () => {
    const tmp = tempDir();
    const h = openStore({ path: tmp.dbPath });
    try {
      // A batch that splits bucket T0 across two flushes, then closes it.
      h.store.append('inv', { timestamp: T0 + 10 * S, values: { load_power: 100 } });
      h.store.flush();
      h.store.append('inv', { timestamp: T0 + 4 * MIN, values: { load_power: 300 } });
      h.clock.set(T0 + BUCKET + S);
      h.store.flush();
      const rows = inspect(tmp.dbPath, (db) => ({
        agg: db.prepare('SELECT t, sum, min, max, last, count FROM agg_5m').all(),
        watermark: db.prepare("SELECT value FROM meta WHERE name = 'rollup_watermark'").get(),
      }));
      expect(rows.agg.map((r) => ({ ...r }))).toEqual([{ t: T0, sum: 400, min: 100, max: 300, last: 300, count: 2 }]);
      expect({ ...rows.watermark }).toEqual({ value: T0 + BUCKET });
    } finally {
      h.store.close();
      tmp.cleanup();
    }
  });

  it('rolls up in the background as time passes, with no new readings', async () => {
    const h = openStore();
    try {
      h.store.append('inv', { timestamp: T0 + S, values: { pv_power: 5 } });
      await h.clock.advance(BUCKET + 2 * S);
      // Past raw retention, history reads only agg_5m: the bucket must be there.
      h.clock.set(T0 + 11 * 24 * HOUR);
      h.store.prune();
      expect(h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + HOUR }).points).toEqual([
        { t: T0, mean: 5, min: 5, max: 5, last: 5, count: 1 },
      ]);
    } finally {
      h.store.close();
    }
  });

  it('aggregates each series separately', () => {
    const h = openStore();
    try {
      for (let i = 0; i < 10; i++) {
        h.store.append('a', { timestamp: T0 + i * 20 * S, values: { pv_power: i, load_power: 100 + i } });
        h.store.append('b', { timestamp: T0 + i * 20 * S, values: { pv_power: -i } });
      }
      h.clock.set(T0 + HOUR);
      h.store.flush();
      const point = (deviceId: string, key: string) =>
        h.store.history({ deviceId, key, from: T0, to: T0 + BUCKET, stepMs: BUCKET }).points;
      expect(point('a', 'pv_power')).toEqual([{ t: T0, mean: 4.5, min: 0, max: 9, last: 9, count: 10 }]);
      expect(point('a', 'load_power')).toEqual([{ t: T0, mean: 104.5, min: 100, max: 109, last: 109, count: 10 }]);
      expect(point('b', 'pv_power')).toEqual([{ t: T0, mean: -4.5, min: -9, max: 0, last: -9, count: 10 }]);
    } finally {
      h.store.close();
    }
  });
});
