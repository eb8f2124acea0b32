import type { z } from 'zod';

/** The first issue of a failed parse as `field.path: message`, so errors name the field. */
export function describeIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = [prefix, ...issue.path.map((p) => String(p))].filter((p) => p !== '').join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
