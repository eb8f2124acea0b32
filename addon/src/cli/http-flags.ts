import type { RuntimeOptions } from '../runtime.js';
import type { WriteToken } from '../http/write-token.js';
import { stringFlag } from './command.js';
import { envSecret, readSecretFile } from './secret-flags.js';

/** The flags `sps run` and `sps demo` share for the panel's HTTP server. */
export const HTTP_FLAGS = {
  'http-host': { type: 'string' },
  'http-names': { type: 'string' },
  'http-token-file': { type: 'string' },
} as const;

export const HTTP_USAGE =
  '[--http-host 127.0.0.1] [--http-names NAME,…] [--http-token-file FILE (or env SPS_HTTP_TOKEN)]';

export type HttpRuntimeOptions = Pick<RuntimeOptions, 'httpHost' | 'httpHostNames' | 'httpWriteToken'>;

export function httpOptionsFromFlags(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void,
): HttpRuntimeOptions {
  const host = stringFlag(values, 'http-host');
  const names = (stringFlag(values, 'http-names') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const file = stringFlag(values, 'http-token-file');
  const token = file !== undefined ? readSecretFile('http-token-file', file, warn) : envSecret(env, 'SPS_HTTP_TOKEN');
  return {
    ...(host === undefined ? {} : { httpHost: host }),
    ...(names.length === 0 ? {} : { httpHostNames: names }),
    ...(token === undefined ? {} : { httpWriteToken: token }),
  };
}

/** What `sps run`/`sps demo` print about the write token: the token itself only when it was just made. */
export function describeWriteToken(token: WriteToken | undefined): string {
  if (token === undefined) return '';
  if (token.origin === 'generated') {
    return (
      `Writes need this token (shown once; kept in ${token.file ?? 'the data folder'}):\n` +
      `  ${token.value}\n` +
      '  Paste it into the panel when it asks, or send "Authorization: Bearer <token>".\n'
    );
  }
  if (token.origin === 'stored') return `Writes need the token kept in ${token.file ?? 'the data folder'}.\n`;
  return 'Writes need the write token you gave (Authorization: Bearer <token>).\n';
}
