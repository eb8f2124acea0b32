/**
 * Reconnect delays: 1 s doubling to 60 s, each with ±20 % jitter so a fleet of stations that lost
 * the same broker does not come back in one burst.
 */
export const RECONNECT_FIRST_MS = 1_000;
export const RECONNECT_MAX_MS = 60_000;
const JITTER = 0.2;

export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.max(0, Math.min(attempt, 16)));
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.round(Math.min(RECONNECT_MAX_MS, base * factor));
}
