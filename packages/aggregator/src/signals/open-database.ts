import { loadSqlite, type DatabaseSync } from '@sps/store';

/**
 * The aggregator's SQLite file (`aggregator.sqlite` in the add-on's data dir), shared by the event
 * book and the sharing outbox: one connection, WAL (a crash loses no committed event), and a busy
 * timeout in case a second process (the CLI) opens it.
 */
export function openAggregatorDatabase(file: string): DatabaseSync {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(file, { timeout: 5_000 });
  try {
    if (file !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
