import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { ManualClock } from '@sps/core';
import { ReadingStore } from '@sps/store';
import { T0, tempDir } from './helpers.js';

/**
 * Issue 10 item 10: the store's files (the database and SQLite's -wal and -shm) are for the
 * add-on's user only, whatever the umask; files an older release left readable are narrowed.
 */
describe('the store files', () => {
  const mode = (file: string): number => statSync(file).mode & 0o777;

  it('are created 0600: database, -wal and -shm', () => {
    const { dbPath, cleanup } = tempDir();
    const previous = process.umask(0o022);
    try {
      const clock = new ManualClock(T0);
      const store = ReadingStore.open({ path: dbPath, clock });
      store.append('inv', { timestamp: T0, values: { battery_soc: 50 } });
      store.flush();
      for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect([file, mode(file).toString(8)]).toEqual([file, '600']);
      }
      store.close();
    } finally {
      process.umask(previous);
      cleanup();
    }
  });

  it('narrows a database an older release created 0644', () => {
    const { dbPath, cleanup } = tempDir();
    try {
      writeFileSync(dbPath, '');
      chmodSync(dbPath, 0o644);
      const store = ReadingStore.open({ path: dbPath, clock: new ManualClock(T0) });
      expect(mode(dbPath)).toBe(0o600);
      store.close();
    } finally {
      cleanup();
    }
  });
});
