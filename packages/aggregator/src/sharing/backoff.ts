/**
 * How long the outbox waits before the next attempt after a failure: 1 s doubling to 10 min,
 * with jitter so that many stations that lost the same uplink at once do not come back in step.
 */
export const BACKOFF_FIRST_MS = 1_000;
export const BACKOFF_MAX_MS = 10 * 60_000;
/** A Retry-After beyond this is taken as this: a receiver's typo must not park the data for days. */
export const RETRY_AFTER_MAX_MS = 60 * 60_000;

/**
 * The delay after `failures` consecutive failures (1 = the first). "Equal jitter": half the
 * doubled step is fixed, half random, so the wait never collapses to zero.
 */
export function backoffDelayMs(failures: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * A `Retry-After` header (delta seconds or an HTTP date) as a delay in ms, or null when absent
 * or unreadable (the normal back-off applies then).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(RETRY_AFTER_MAX_MS, Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(0, at - nowMs));
}
