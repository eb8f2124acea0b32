import type { ReadingSet } from '@sps/core';
import { ReadingStore, StoreClosedError, StoreInputError } from '@sps/store';
import { MIN, T0, inspect, openStore, tempDir, type Harness } from './helpers';

/** Input as it might arrive from a buggy adapter, bypassing the types. */
const unchecked = (value: unknown) => value as ReadingSet;

describe('bad input', () => {
  let h: Harness;
  beforeEach(() => (h = openStore()));
  afterEach(() => h.store.close());

  it('answers an unknown device or key with empty results', () => {
    h.store.append('inv', { timestamp: T0, values: { pv_power: 1 } });
    h.store.flush();
    expect(h.store.latest('nope')).toEqual({});
    expect(h.store.keys('nope')).toEqual([]);
    expect(h.store.history({ deviceId: 'nope', key: 'pv_power', from: T0, to: T0 + MIN }).points).toEqual([]);
    expect(h.store.history({ deviceId: 'inv', key: 'nope', from: T0, to: T0 + MIN }).points).toEqual([]);
    expect(
      h.store.history({ deviceId: 'nope', key: 'pv_power', from: T0, to: T0 + MIN, stepMs: 3_600_000 }).points,
    ).toEqual([]);
  });

  it('skips NaN and ±Infinity, keeps the other values of the set', () => {
    h.store.append('inv', { timestamp: T0, values: { pv_power: 100 } });
    h.store.append('inv', {
      timestamp: T0 + 1000,
      values: { pv_power: Number.NaN, grid_power: Number.POSITIVE_INFINITY, load_power: -Infinity, battery_soc: 50 },
    });
    h.store.flush();
    h.clock.set(T0 + 10 * MIN);
    h.store.flush();
    expect(h.store.latest('inv')['inv']?.values).toEqual({ pv_power: 100, battery_soc: 50 });
    expect(h.store.keys('inv').map((k) => k.key)).toEqual(['battery_soc', 'pv_power']);
    const pv = h.store.history({ deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + MIN, stepMs: 5 * MIN });
    expect(pv.points).toEqual([{ t: T0, mean: 100, min: 100, max: 100, last: 100, count: 1 }]);
    expect(h.store.stats().rejectedValues).toBe(3);
    expect(h.problems.map((p) => (p.kind === 'rejected_reading' ? `${p.key}: ${p.reason}` : p.kind))).toEqual([
      'pv_power: not a finite number (NaN)',
      'grid_power: not a finite number (Infinity)',
      'load_power: not a finite number (-Infinity)',
    ]);
  });

  it('drops a whole set whose envelope is broken, naming the field, without throwing', () => {
    const cases: [unknown, unknown, RegExp][] = [
      ['', { timestamp: T0, values: { a: 1 } }, /deviceId/],
      [42, { timestamp: T0, values: { a: 1 } }, /deviceId/],
      ['bad\u0000id', { timestamp: T0, values: { a: 1 } }, /deviceId: must not contain control characters/],
      ['inv', { timestamp: Number.NaN, values: { a: 1 } }, /timestamp/],
      ['inv', { timestamp: -1, values: { a: 1 } }, /timestamp/],
      ['inv', { timestamp: '2026-01-01T00:00:00Z', values: { a: 1 } }, /timestamp/],
      ['inv', { timestamp: T0, values: 'nope' }, /values/],
      ['inv', null, /timestamp/],
    ];
    for (const [deviceId, set] of cases) {
      expect(() => h.store.append(deviceId as string, unchecked(set))).not.toThrow();
    }
    expect(h.problems).toHaveLength(cases.length);
    cases.forEach(([, , reason], i) => {
      const p = h.problems[i];
      expect(p?.kind === 'rejected_reading' ? p.reason : '').toMatch(reason);
    });
    expect(h.store.stats().pendingValues).toBe(0);
    expect(h.store.latest()).toEqual({});
  });

  it('skips values with bad keys or unsupported types', () => {
    h.store.append(
      'inv',
      unchecked({ timestamp: T0, values: { 'Bad Key': 1, ['x'.repeat(65)]: 2, obj: { a: 1 }, list: [1], ok: 3 } }),
    );
    expect(h.store.latest('inv')).toEqual({ inv: { timestamp: T0, values: { ok: 3 } } });
    expect(h.store.stats().rejectedValues).toBe(4);
  });

  it('cuts very long strings', () => {
    h.store.append('inv', { timestamp: T0, values: { status: 'x'.repeat(5000) } });
    expect((h.store.latest('inv')['inv']?.values['status'] as string).length).toBe(1024);
  });

  it('rejects a bad history query with an error naming the field', () => {
    const q = { deviceId: 'inv', key: 'pv_power', from: T0, to: T0 + MIN };
    expect(() => h.store.history({ ...q, to: T0 - 1 })).toThrow(/to: must not be before from/);
    expect(() => h.store.history({ ...q, from: Number.NaN })).toThrow(/from/);
    expect(() => h.store.history({ ...q, stepMs: 0 })).toThrow(/stepMs/);
    expect(() => h.store.history({ ...q, deviceId: '' })).toThrow(StoreInputError);
  });

  it('rejects bad options naming the field', () => {
    expect(() => ReadingStore.open({ path: '' })).toThrow(/path/);
    expect(() => ReadingStore.open({ path: ':memory:', rawRetentionMs: -1 })).toThrow(/rawRetentionMs/);
    expect(() => ReadingStore.open({ path: ':memory:', flushIntervalMs: 0.5 })).toThrow(/flushIntervalMs/);
  });

  it('after close: append is dropped quietly, queries throw StoreClosedError, close is idempotent', () => {
    h.store.close();
    expect(() => h.store.append('inv', { timestamp: T0, values: { a: 1 } })).not.toThrow();
    expect(h.problems.at(-1)).toMatchObject({ kind: 'rejected_reading', reason: 'store is closed' });
    expect(() => h.store.latest()).toThrow(StoreClosedError);
    expect(() => h.store.flush()).toThrow(StoreClosedError);
    expect(() => h.store.close()).not.toThrow();
  });

  it('leaves the database intact after a storm of bad input', () => {
    const tmp = tempDir();
    try {
      const g = openStore({ path: tmp.dbPath });
      const junk: unknown[] = [Number.NaN, Infinity, -Infinity, 'str', null, true, {}, [], () => 1, Symbol('s'), 1e308];
      for (let i = 0; i < 200; i++) {
        const value = junk[i % junk.length];
        g.store.append('inv', unchecked({ timestamp: T0 + i * 1000, values: { pv_power: value, load_power: i } }));
      }
      g.store.close();
      inspect(tmp.dbPath, (db) => {
        expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
        const rows = db.prepare('SELECT v FROM raw UNION ALL SELECT v FROM raw_recent').all() as { v: number }[];
        expect(rows).toHaveLength(200 + 2 * 18); // every load_power, plus pv_power's true and 1e308
        expect(rows.every((r) => Number.isFinite(r.v))).toBe(true);
      });
    } finally {
      tmp.cleanup();
    }
  });
});
