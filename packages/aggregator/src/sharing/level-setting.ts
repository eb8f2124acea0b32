/**
 * The sharing level chosen at runtime (HA's select), kept across restarts. The add-on option is
 * the default: a choice made in HA holds until the option itself is changed, and then the new
 * option wins (the user edited the configuration on purpose).
 */
import type { DatabaseSync, StatementSync } from '@sps/store';
import { z } from 'zod';
import type { SharingLevel } from '../contracts.js';
import { sharingLevelSchema } from './levels.js';

const storedSchema = z.object({ level: sharingLevelSchema, option: sharingLevelSchema });

export class LevelSetting {
  private readonly select: StatementSync;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;

  constructor(
    db: DatabaseSync,
    private readonly key: string,
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS sharing_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.select = db.prepare('SELECT value FROM sharing_settings WHERE key = ?');
    this.upsert = db.prepare(
      'INSERT INTO sharing_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.remove = db.prepare('DELETE FROM sharing_settings WHERE key = ?');
  }

  /** The level in force at start: the stored choice, unless the option changed since it was made. */
  resolve(option: SharingLevel): SharingLevel {
    const row = this.select.get(this.key) as { value: string } | undefined;
    if (!row) return option;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.value);
    } catch {
      parsed = undefined;
    }
    const stored = storedSchema.safeParse(parsed);
    if (!stored.success || stored.data.option !== option) {
      this.remove.run(this.key);
      return option;
    }
    return stored.data.level;
  }

  save(level: SharingLevel, option: SharingLevel): void {
    this.upsert.run(this.key, JSON.stringify({ level, option }));
  }
}
