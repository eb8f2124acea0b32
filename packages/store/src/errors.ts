import type { z } from 'zod';

/** A caller handed the store something it cannot use (bad options, bad query, unserialisable state). */
export class StoreInputError extends Error {
  override readonly name = 'StoreInputError';
}

/** The store was used after close(). */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor(operation: string) {
    super(`reading store is closed (${operation})`);
  }
}

/** "field: message; field: message" — names every offending field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
