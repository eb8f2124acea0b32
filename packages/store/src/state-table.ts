/**
 * Small JSON documents by (namespace, key) for other packages: last known prices, timed
 * overrides and the like. Each write is its own committed statement, durable as soon as
 * putState returns (no batching: these are rare and must not wait for a flush).
 */
import type { z } from 'zod';
import { StoreInputError } from './errors.js';
import type { DatabaseSync, StatementSync } from './sqlite.js';

/** State is for small things; anything bigger belongs in its own table. */
export const MAX_STATE_BYTES = 1024 * 1024;
const NAME_LIMIT = 200;

export class StateTable {
  private readonly upsert: StatementSync;
  private readonly select: StatementSync;
  private readonly remove: StatementSync;

  constructor(db: DatabaseSync) {
    this.upsert = db.prepare(
      `INSERT INTO state (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.select = db.prepare('SELECT value FROM state WHERE namespace = ? AND key = ?');
    this.remove = db.prepare('DELETE FROM state WHERE namespace = ? AND key = ?');
  }

  put(namespace: string, key: string, value: unknown, now: number): void {
    checkName('namespace', namespace);
    checkName('key', key);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new StoreInputError(`value: not serialisable as JSON (${(error as Error).message})`);
    }
    if (json === undefined) throw new StoreInputError('value: must be JSON-serialisable (got undefined or a function)');
    if (Buffer.byteLength(json) > MAX_STATE_BYTES) {
      throw new StoreInputError(`value: larger than ${MAX_STATE_BYTES} bytes as JSON`);
    }
    this.upsert.run(namespace, key, json, now);
  }

  /**
   * The stored value, or undefined when absent. With a schema, a stored value that no longer
   * matches (e.g. written by an older version) reads as absent and `onInvalid` says why.
   */
  get<T>(namespace: string, key: string, schema?: z.ZodType<T>, onInvalid?: (reason: string) => void): T | undefined {
    const row = this.select.get(namespace, key) as { value: string } | undefined;
    if (!row) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.value);
    } catch {
      onInvalid?.('stored value is not valid JSON');
      return undefined;
    }
    if (!schema) return parsed as T;
    const result = schema.safeParse(parsed);
    if (result.success) return result.data;
    onInvalid?.(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return undefined;
  }

  delete(namespace: string, key: string): boolean {
    return Number(this.remove.run(namespace, key).changes) > 0;
  }
}

function checkName(field: string, name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_LIMIT) {
    throw new StoreInputError(`${field}: must be a non-empty string of at most ${NAME_LIMIT} characters`);
  }
}
