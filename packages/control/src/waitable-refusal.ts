import { RelayHoldError } from './relay-hold.js';
import { WriteRateLimitedError } from './write-rate-limiter.js';

/**
 * How long until the guard will take a command it refused for now, ms: a relay inside its minimum
 * on/off time or a device over its write budget. Undefined for anything else, including refusals
 * that time does not cure. Callers use it to tell "wait" from "never" (the hand-back, a composite
 * reporting a busy member, HTTP's Retry-After).
 */
export function waitBeforeRetryMs(err: unknown): number | undefined {
  return err instanceof RelayHoldError || err instanceof WriteRateLimitedError ? err.retryAfterMs : undefined;
}
