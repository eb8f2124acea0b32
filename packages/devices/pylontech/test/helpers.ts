import type { ManualClock } from '@sps/core';

/** Lets real I/O (sockets, setImmediate) run once. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Advances a ManualClock a step at a time, letting real I/O run between steps, until `settled` says
 * done; fails after `maxSteps` (a count of simulated steps, never wall time).
 */
export async function advanceUntil(
  clock: ManualClock,
  settled: () => boolean,
  { stepMs = 250, maxSteps = 200, ioTurns = 5 } = {},
): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (settled()) return;
    await clock.advance(stepMs);
    for (let t = 0; t < ioTurns; t++) await turn();
  }
  if (!settled()) throw new Error(`not settled after ${maxSteps} steps of ${stepMs} ms`);
}

/** Tracks a promise's outcome so advanceUntil can wait on it. */
export function track<T>(promise: Promise<T>): { done: () => boolean; result: Promise<T> } {
  let settled = false;
  const result = promise.finally(() => {
    settled = true;
  });
  result.catch(() => undefined);
  return { done: () => settled, result };
}

/** Polls an async condition on real time with a deadline (no fixed sleeps). */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  deadlineMs = 15_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`condition not met within ${deadlineMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
