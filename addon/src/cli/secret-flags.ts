import { readFileSync, statSync } from 'node:fs';
import { CliError, EXIT_BAD_INPUT } from './command.js';

/**
 * Secrets (the HA token, the HTTP write token) never need to be on the command line, where every
 * user of the machine sees them in `ps`: each comes from a file or an environment variable.
 */

/** The first line of a secret file, trimmed; a one-line error naming the flag when unreadable or empty. */
export function readSecretFile(flag: string, file: string, warn: (line: string) => void): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--${flag}: cannot read ${file}${code ? ` (${code})` : ''}`, EXIT_BAD_INPUT);
  }
  const secret = (text.split(/\r?\n/)[0] ?? '').trim();
  if (secret === '') throw new CliError(`--${flag}: ${file} is empty`, EXIT_BAD_INPUT);
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      warn(`warning: ${file} (--${flag}) can be read by other users; chmod 600 ${file}`);
    }
  } catch {
    // Read a moment ago; a vanished file changes nothing now.
  }
  return secret;
}

/** A non-blank environment variable, trimmed. */
export function envSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
