import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ManualClock } from '@sps/core';
import { ReadingStore, type ReadingStoreOptions, type StoreProblem } from '@sps/store';
import { loadSqlite } from '../src/sqlite.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** A bucket-aligned start time, so expectations can be written in whole buckets. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export interface Harness {
  store: ReadingStore;
  clock: ManualClock;
  problems: StoreProblem[];
  reopen(overrides?: Partial<ReadingStoreOptions>): ReadingStore;
}

export function openStore(overrides: Partial<ReadingStoreOptions> = {}, clock = new ManualClock(T0)): Harness {
  const problems: StoreProblem[] = [];
  const base: ReadingStoreOptions = { path: ':memory:', clock, onProblem: (p) => problems.push(p), ...overrides };
  const harness: Harness = {
    store: ReadingStore.open(base),
    clock,
    problems,
    reopen(more = {}) {
      harness.store.close();
      harness.store = ReadingStore.open({ ...base, ...more });
      return harness.store;
    },
  };
  return harness;
}

export function tempDir(): { dir: string; dbPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sps-store-'));
  return { dir, dbPath: join(dir, 'store.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A separate read-only-ish connection for looking at the file the way a fresh process would. */
export function inspect<T>(dbPath: string, fn: (db: DatabaseSync) => T): T {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(dbPath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
