import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The user's own Powerwall settings, remembered when the add-on first forces the site (or hands it
 * to tariff sync) and put back by restore_normal. Kept on disk so a restart in the middle of a force
 * still restores the reserve and mode the user had, not the 100 % the force set.
 */
export const SavedSettings = z.strictObject({
  operation_mode: z.string().min(1).max(64),
  backup_reserve: z.number().min(0).max(100),
  export_rule: z.string().min(1).max(32).nullable(),
  grid_charging_blocked: z.boolean().nullable(),
  /** The site's own tariff when site_info reported one; re-uploaded at restore. */
  tariff: z.record(z.string(), z.unknown()).nullable(),
  /** What the add-on is doing with the site now. */
  forced: z.enum(['charge', 'discharge', 'hold', 'plan']),
  since: z.string(),
});
export type SavedSettings = z.infer<typeof SavedSettings>;

export interface SavedSettingsStore {
  load(): SavedSettings | null;
  /** null forgets them (the site is back in the user's hands). */
  save(settings: SavedSettings | null): void;
}

export class MemorySavedSettings implements SavedSettingsStore {
  private value: SavedSettings | null = null;
  load(): SavedSettings | null {
    return this.value;
  }
  save(settings: SavedSettings | null): void {
    this.value = settings;
  }
}

/**
 * One JSON file, replaced atomically (write + rename) so a crash mid-write leaves the old one. A
 * file that does not parse is reported once through `onCorrupt` and treated as absent.
 */
export class FileSavedSettings implements SavedSettingsStore {
  constructor(
    readonly file: string,
    private readonly onCorrupt: (reason: string) => void = () => undefined,
  ) {}

  load(): SavedSettings | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = SavedSettings.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      this.onCorrupt(
        `${this.file}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`,
      );
    } catch {
      this.onCorrupt(`${this.file}: not JSON`);
    }
    return null;
  }

  save(settings: SavedSettings | null): void {
    if (settings === null) {
      rmSync(this.file, { force: true });
      return;
    }
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
