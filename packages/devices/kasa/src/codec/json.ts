import { DecodeError } from '@sps/core';
import type { z } from 'zod';

/** JSON.parse that throws only DecodeError, with what was being parsed in the message. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const preview = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new DecodeError(`${what} is not JSON (${(err as Error).message}): ${JSON.stringify(preview)}`);
  }
}

/** Validate with zod; a failure names the field path, e.g. `get_sysinfo.relay_state: expected number`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${what}.${issue.path.join('.')}` : what;
  throw new DecodeError(`${path}: ${issue?.message ?? 'invalid'}`);
}
