import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where a generated write token is kept, so the panel's stored copy stays valid across restarts. */
export const WRITE_TOKEN_FILE = 'http-write-token';

export interface WriteToken {
  readonly value: string;
  /** `given`: from --http-token-file or SPS_HTTP_TOKEN; `stored`: from the data dir; `generated`: new now. */
  readonly origin: 'given' | 'stored' | 'generated';
  /** The data-dir file holding it (stored/generated). */
  readonly file?: string;
}

/** Shorter tokens are refused: a guessable token on the LAN is no protection. */
export const MIN_WRITE_TOKEN_LENGTH = 16;

export class WriteTokenError extends Error {
  override readonly name = 'WriteTokenError';
}

/**
 * The token writes need when the add-on is bound beyond loopback: the one given, else the one
 * generated at an earlier start (kept 0600 in the data dir), else a new random one saved there.
 */
export function resolveWriteToken(input: { given?: string; dataDir: string }): WriteToken {
  if (input.given !== undefined) {
    const value = input.given.trim();
    if (value.length < MIN_WRITE_TOKEN_LENGTH || /\s/.test(value)) {
      throw new WriteTokenError(
        `write token: expected at least ${MIN_WRITE_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 24)`,
      );
    }
    return { value, origin: 'given' };
  }
  const file = path.join(input.dataDir, WRITE_TOKEN_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= MIN_WRITE_TOKEN_LENGTH) return { value: stored, origin: 'stored', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(24).toString('base64url');
  mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, origin: 'generated', file };
}
