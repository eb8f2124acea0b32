/**
 * Faults that must not become outages (issue 10 items 13, 14): a damaged database file is moved
 * aside and a fresh store opened; a store that cannot write (a real SQLITE_FULL, from SQLite's
 * max_page_count on a real file) queues readings within a bound, drops the oldest, says so, and
 * recovers when writes succeed again.
 */
import {
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { ManualClock } from '@sps/core';
import {
  ReadingStore,
  StoreCorruptError,
  openStoreOrReset,
  type StoreProblem,
  type StoreWriteStatus,
} from '@sps/store';
import { T0, inspect, tempDir } from './helpers';

let dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

function temp(): { dir: string; dbPath: string } {
  const t = tempDir();
  dirs.push(t);
  return t;
}

/** A real store with some history in it, closed cleanly. */
function writeRealStore(dbPath: string, clock: ManualClock, polls = 2000): void {
  const store = ReadingStore.open({ path: dbPath, clock, onProblem: () => undefined });
  for (let i = 0; i < polls; i++) {
    store.append('inv', { timestamp: clock.now() + i * 1000, values: { pv_power: i, battery_soc: i % 100 } });
  }
  store.close();
}

function expectFreshStoreWorks(store: ReadingStore, clock: ManualClock): void {
  store.append('inv', { timestamp: clock.now(), values: { pv_power: 42 } });
  store.flush();
  const points = store.history({ deviceId: 'inv', key: 'pv_power', from: clock.now(), to: clock.now() + 1 }).points;
  expect(points).toEqual([expect.objectContaining({ last: 42 })]);
}

describe('a damaged database file', () => {
  it('garbage bytes: open refuses with StoreCorruptError; openStoreOrReset moves it aside and starts fresh', () => {
    const { dir, dbPath } = temp();
    const garbage = Buffer.from('not a database, just bytes a broken SD card left behind. '.repeat(200));
    writeFileSync(dbPath, garbage);
    writeFileSync(`${dbPath}-wal`, 'stale wal');
    const clock = new ManualClock(T0);
    expect(() => ReadingStore.open({ path: dbPath, clock })).toThrow(StoreCorruptError);

    const { store, reset } = openStoreOrReset({ path: dbPath, clock, onProblem: () => undefined });
    try {
      expect(reset?.reason).toMatch(/not an SQLite database/);
      expect(reset?.movedTo).toBe(`${dbPath}.corrupt-20260101T120000Z`);
      expect(reset?.movedFiles).toEqual([reset?.movedTo, `${reset?.movedTo}-wal`]);
      // Never deleted: the bytes are all there under the new name.
      expect(readFileSync(reset!.movedTo)).toEqual(garbage);
      expect(readFileSync(`${reset!.movedTo}-wal`, 'utf8')).toBe('stale wal');
      expectFreshStoreWorks(store, clock);
    } finally {
      store.close();
    }
    expect(readdirSync(dir).sort()).toEqual([
      'store.db',
      'store.db.corrupt-20260101T120000Z',
      'store.db.corrupt-20260101T120000Z-wal',
    ]);
  });

  it('a truncated real store is found at open and moved aside', () => {
    const { dbPath } = temp();
    const clock = new ManualClock(T0);
    writeRealStore(dbPath, clock);
    const size = statSync(dbPath).size;
    truncateSync(dbPath, Math.floor(size / 2));
    expect(() => ReadingStore.open({ path: dbPath, clock })).toThrow(/truncated/);
    const { store, reset } = openStoreOrReset({ path: dbPath, clock, onProblem: () => undefined });
    try {
      expect(reset?.reason).toMatch(/^truncated: the header says \d+ bytes, the file has \d+/);
      expect(statSync(reset!.movedTo).size).toBe(Math.floor(size / 2));
      expectFreshStoreWorks(store, clock);
    } finally {
      store.close();
    }
  });

  it('a damaged page inside the file is found by quick_check after an unclean close', () => {
    const { dbPath } = temp();
    const clock = new ManualClock(T0);
    writeRealStore(dbPath, clock, 20_000);
    // As a killed process leaves it: the clean-close marker still says "open".
    inspect(dbPath, (db) => db.exec("UPDATE meta SET value = 0 WHERE name = 'clean_close'"));
    const pageSize = inspect(dbPath, (db) =>
      Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size),
    );
    const pages = Math.floor(statSync(dbPath).size / pageSize);
    // Scribble over a page in the middle (a raw-readings page; the schema and meta are near the start).
    const fd = openSync(dbPath, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, Math.floor(pages * 0.6) * pageSize);
    closeSync(fd);

    const { store, reset } = openStoreOrReset({ path: dbPath, clock, onProblem: () => undefined });
    try {
      expect(reset?.reason).toMatch(/malformed|quick_check/);
      expect(existsSync(reset!.movedTo)).toBe(true);
      expectFreshStoreWorks(store, clock);
    } finally {
      store.close();
    }
  });

  it('a healthy store reopens as it is, with nothing moved', () => {
    const { dir, dbPath } = temp();
    const clock = new ManualClock(T0);
    writeRealStore(dbPath, clock, 10);
    const { store, reset } = openStoreOrReset({ path: dbPath, clock });
    store.close();
    expect(reset).toBeNull();
    expect(readdirSync(dir)).toEqual(['store.db']);
  });
});

describe('a store that cannot write (a real SQLITE_FULL)', () => {
  it('queues within a bound, drops the oldest and counts them, reports disk_full, and recovers', () => {
    const { dbPath } = temp();
    const clock = new ManualClock(T0);
    const problems: StoreProblem[] = [];
    const store = ReadingStore.open({ path: dbPath, clock, maxBatchSize: 1000, onProblem: (p) => problems.push(p) });
    const statuses: StoreWriteStatus[] = [];
    store.watchWrites((s) => statuses.push(s));
    try {
      // The cap at the current size: the next page the database needs is refused, as on a full disk.
      store.setSizeLimit(1);
      let t = clock.now();
      const poll = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const values: Record<string, number> = {};
          for (let k = 0; k < 10; k++) values[`k${k}`] = t + k;
          store.append('inv', { timestamp: t, values });
          t += 1000;
        }
      };
      // The pages already there take a few batches; then the disk is full.
      let failedFrom = t;
      for (let i = 0; i < 100 && store.writeStatus().ok; i++) {
        failedFrom = t;
        poll(50);
        try {
          store.flush();
        } catch {
          // expected once the pages run out
        }
      }
      expect(store.writeStatus()).toMatchObject({
        ok: false,
        cause: 'disk_full',
        failedSince: T0,
        pendingValues: 500,
        droppedValues: 0,
        queueBound: 10_000,
      });
      expect(statuses.at(-1)).toMatchObject({ ok: false, cause: 'disk_full' });

      // 1 100 more polls (11 000 values) than the bound (10 000) holds: the oldest 1 500 go, counted.
      poll(1100);
      expect(() => store.flush()).toThrow(/full/i);
      expect(store.stats().pendingValues).toBe(10_000);
      expect(store.writeStatus()).toMatchObject({ ok: false, cause: 'disk_full', droppedValues: 1500 });
      expect(problems).toContainEqual(expect.objectContaining({ kind: 'batch_dropped' }));

      // The disk has room again: the queue is written and the status says what was lost.
      store.setSizeLimit(null);
      store.flush();
      expect(store.writeStatus()).toEqual({ ok: true, failedSince: T0, droppedValues: 1500 });
      expect(statuses.at(-1)).toEqual({ ok: true, failedSince: T0, droppedValues: 1500 });
      expect(store.stats().pendingValues).toBe(0);
      // Of the polls since the disk filled, the oldest 150 were dropped and the newest 1 000 stored.
      const k0 = store.history({ deviceId: 'inv', key: 'k0', from: failedFrom, to: t }).points;
      expect(k0).toHaveLength(1000);
      expect(k0[0]?.t).toBe(failedFrom + 150 * 1000);
    } finally {
      store.close();
    }
  });
});
