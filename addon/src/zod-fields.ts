import { z } from 'zod';

/**
 * Field builders whose error messages read well in one line of stderr or an HTTP 400
 * body, e.g. `devices[0].port: expected an integer between 1 and 65535`.
 */
type ErrorFn = (issue: { input?: unknown }) => string;

/** A message for a bad value; a missing value says so instead. */
export function expecting(text: string): ErrorFn {
  return (issue) => (issue.input === undefined ? 'is required' : text);
}

export function intBetween(min: number, max: number): z.ZodInt {
  const error = expecting(`expected an integer between ${min} and ${max}`);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function numberBetween(min: number, max: number): z.ZodNumber {
  const error = expecting(`expected a number between ${min} and ${max}`);
  return z.number({ error }).min(min, { error }).max(max, { error });
}

export function nonEmptyText(maxLength: number): z.ZodString {
  const error = expecting(`expected text of 1 to ${maxLength} characters`);
  return z.string({ error }).trim().min(1, { error }).max(maxLength, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: expecting(`expected one of ${values.join('|')}`) });
}

export const tcpPort = intBetween(1, 65535);

/** A host name or IP address; no scheme, path or port. */
export const hostName = z
  .string({ error: expecting('expected a host name or IP address') })
  .trim()
  .regex(/^[A-Za-z0-9._:-]{1,253}$/, { error: 'expected a host name or IP address (no scheme, port or path)' });

/** `devices[0].port` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The first problem of a failed parse as `field: message`. */
export function describeFirstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    return `${formatPath([...prefix, ...issue.path, key])}: unknown field`;
  }
  const field = formatPath([...prefix, ...issue.path]);
  return field === '' ? issue.message : `${field}: ${issue.message}`;
}
