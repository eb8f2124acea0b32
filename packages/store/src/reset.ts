/**
 * Opening a store whose file is damaged: the damaged files are moved aside (never deleted — the
 * user may want the history back, and a wrong verdict must not cost data) and a fresh store is
 * opened in their place, so the owner keeps running instead of refusing to start.
 */
import { existsSync, renameSync } from 'node:fs';
import { StoreCorruptError } from './integrity.js';
import type { ReadingStoreOptions } from './options.js';
import { ReadingStore } from './reading-store.js';

export interface StoreReset {
  /** Why the old file could not be used. */
  readonly reason: string;
  /** The database's new name, `<path>.corrupt-<UTC timestamp>`. */
  readonly movedTo: string;
  /** Every file moved: the database, then its -wal and -shm when they existed. */
  readonly movedFiles: readonly string[];
}

/**
 * ReadingStore.open, except that a damaged database (StoreCorruptError) is moved aside with its
 * -wal and -shm as `<path>.corrupt-<yyyymmddThhmmssZ>` (plus `-wal`/`-shm`, so the set still opens
 * together in sqlite3) and a fresh store is opened. Any other failure (a folder that cannot be
 * written, a full disk) is thrown as it is: moving files would not help.
 */
export function openStoreOrReset(options: ReadingStoreOptions): { store: ReadingStore; reset: StoreReset | null } {
  try {
    return { store: ReadingStore.open(options), reset: null };
  } catch (error) {
    if (!(error instanceof StoreCorruptError) || options.path === ':memory:') throw error;
    const now = options.clock?.now() ?? Date.now();
    const moved = moveAside(options.path, now);
    return { store: ReadingStore.open(options), reset: { reason: error.reason, ...moved } };
  }
}

function moveAside(path: string, now: number): { movedTo: string; movedFiles: string[] } {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  // Two resets within one second (a crash loop elsewhere) must not overwrite the first.
  let movedTo = `${path}.corrupt-${stamp}`;
  for (let n = 2; existsSync(movedTo); n++) movedTo = `${path}.corrupt-${stamp}-${n}`;
  const movedFiles: string[] = [];
  // The -wal and -shm first: if the process dies half-way, the old name still holds the damaged
  // database (found and moved again at the next start), never a fresh one beside a stale WAL.
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) {
      renameSync(path + suffix, movedTo + suffix);
      movedFiles.push(movedTo + suffix);
    }
  }
  if (existsSync(path)) {
    renameSync(path, movedTo);
    movedFiles.unshift(movedTo);
  }
  return { movedTo, movedFiles };
}
