/**
 * Telling a damaged database from one that merely cannot be written, and what SQLite's result
 * codes mean for the caller. node:sqlite throws errors with `errcode` (SQLite's result code,
 * possibly extended: the low byte is the primary code).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { DatabaseSync } from './sqlite.js';

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');
/** The database header is 100 bytes; a shorter non-empty file cannot be a database. */
const HEADER_BYTES = 100;

const SQLITE_PERM = 3;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** Why a write (or an open) failed, as far as the user can act on it. */
export type StoreFailureCause = 'disk_full' | 'io_error' | 'corrupt' | 'read_only' | 'cannot_open' | 'other';

/** The database file is damaged: it is not SQLite, or SQLite finds it malformed. */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: the database is damaged (${reason})`, options);
  }
}

export function failureCause(error: unknown): StoreFailureCause {
  if (error instanceof StoreCorruptError) return 'corrupt';
  const e = error as { errcode?: unknown; code?: unknown } | null;
  if (typeof e?.errcode === 'number') {
    switch (e.errcode & 0xff) {
      case SQLITE_FULL:
        return 'disk_full';
      case SQLITE_IOERR:
        return 'io_error';
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return 'corrupt';
      case SQLITE_READONLY:
      case SQLITE_PERM:
        return 'read_only';
      case SQLITE_CANTOPEN:
        return 'cannot_open';
    }
  }
  // File-system errors from around SQLite (creating the folder, reading the header).
  switch (e?.code) {
    case 'ENOSPC':
      return 'disk_full';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'read_only';
    case 'ENOTDIR':
    case 'ENOENT':
      return 'cannot_open';
    case 'EIO':
      return 'io_error';
  }
  return 'other';
}

/**
 * A reason when the file at `path` cannot be an SQLite database (garbage or a cut-off header);
 * null when it looks like one, is empty (SQLite makes an empty file a new database) or is absent.
 */
export function headerProblem(path: string): string | null {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return null;
  }
  if (size === 0) return null;
  if (size < HEADER_BYTES) return `only ${size} bytes: shorter than an SQLite header`;
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
    return 'not an SQLite database (wrong file header)';
  }
  // The header's page count is trusted by SQLite when its "valid for" counter matches the change
  // counter. Without a WAL (which may hold newer pages) a file shorter than that was cut off.
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const countValid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (countValid && pages > 0 && !hasWal(path) && size < pages * pageSize) {
    return `truncated: the header says ${pages * pageSize} bytes, the file has ${size}`;
  }
  return null;
}

function hasWal(path: string): boolean {
  try {
    return statSync(`${path}-wal`).size > 0;
  } catch {
    return false;
  }
}

/**
 * SQLite's `PRAGMA quick_check`: reads every page once and checks each b-tree's structure (not
 * that indexes match their tables — the big tables here have no separate index). Null when ok.
 */
export function quickCheckProblem(db: DatabaseSync): string | null {
  const rows = db.prepare('PRAGMA quick_check(5)').all() as { quick_check?: unknown }[];
  const messages = rows.map((r) => String(r.quick_check));
  return messages.length === 1 && messages[0] === 'ok' ? null : `quick_check: ${messages.join('; ')}`;
}
