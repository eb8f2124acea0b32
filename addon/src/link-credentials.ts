import { readFileSync } from 'node:fs';
import { nonEmptyText } from './zod-fields.js';

/**
 * The credentials a remote link takes, the same in `aggregator` (the DR broker) and `telemetry`:
 * user name and password, and PEM files (a CA to trust, a client certificate and its key) given
 * as paths. Spread into an option section's schema.
 */
export const linkCredentialFields = {
  username: nonEmptyText(256).optional(),
  password: nonEmptyText(256).optional(),
  ca: nonEmptyText(1024).optional(),
  cert: nonEmptyText(1024).optional(),
  key: nonEmptyText(1024).optional(),
};

export type PemField = 'ca' | 'cert' | 'key';

/**
 * Reads the section's PEM files at start, so a missing or wrong file is an option error naming
 * the field (`fail` builds the section's own error) rather than a TLS failure later.
 */
export function pemReader(
  files: Partial<Record<PemField, string>>,
  readFile: ((path: string) => string) | undefined,
  fail: (field: PemField, problem: string) => Error,
): (field: PemField) => string | undefined {
  const read = readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return (field) => {
    const file = files[field];
    if (file === undefined) return undefined;
    let content: string;
    try {
      content = read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw fail(field, `cannot read ${file} (${code ?? (err instanceof Error ? err.message : 'error')})`);
    }
    if (!content.includes('-----BEGIN ')) throw fail(field, `${file} is not a PEM file`);
    return content;
  };
}
