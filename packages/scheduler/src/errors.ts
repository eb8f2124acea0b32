import type { z } from 'zod';

/** A scenario that cannot be planned as written; `field` is the dotted path of the offending input. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(field ? `${field}: ${detail}` : detail);
  }
}

/** `battery[0].capacity_kwh` style path for a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The first issue of a zod error as a ScenarioError naming its field. */
export function scenarioErrorFromZod(error: z.ZodError): ScenarioError {
  const issue = error.issues[0];
  if (!issue) return new ScenarioError('', 'invalid scenario');
  const field = fieldPath(issue.path);
  return new ScenarioError(field || '(scenario)', issue.message);
}
