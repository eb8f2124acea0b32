import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSqlite, type DatabaseSync } from '@sps/store';

/** A temp aggregator.sqlite that a test can close and reopen (a restart). */
export class TempDb {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sps-sharing-'));
  readonly file = path.join(this.dir, 'aggregator.sqlite');
  db: DatabaseSync = this.open();

  open(): DatabaseSync {
    const { DatabaseSync } = loadSqlite();
    const db = new DatabaseSync(this.file);
    db.exec('PRAGMA journal_mode = WAL');
    return db;
  }

  reopen(): DatabaseSync {
    this.db.close();
    this.db = this.open();
    return this.db;
  }

  dispose(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function memoryLogger(): {
  lines: Array<{ level: string; obj: object; msg: string }>;
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
} {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
