import { chmodSync, closeSync, openSync } from 'node:fs';

/** The database and the two files SQLite keeps beside it in WAL mode. */
export const SQLITE_FILE_SUFFIXES = ['', '-wal', '-shm'] as const;

/**
 * Readings say when a household is at home; the state table holds HA declarations and overrides.
 * The files are for this process only: the database is created 0600 before SQLite opens it
 * (SQLite gives its -wal and -shm files the database's mode), and files left by an older release
 * with the umask's 0644 are narrowed.
 */
export function createPrivateDatabaseFile(dbPath: string): void {
  if (dbPath === ':memory:' || dbPath === '') return;
  // 'a' creates without truncating; the mode applies only when the file is new.
  closeSync(openSync(dbPath, 'a', 0o600));
  for (const suffix of SQLITE_FILE_SUFFIXES) {
    try {
      chmodSync(dbPath + suffix, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
