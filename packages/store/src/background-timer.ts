import { systemClock, type Clock, type TimerHandle } from '@sps/core';

/**
 * A repeating background job. On the real clock the Node timer is unref'd so an open store
 * never keeps a process alive by itself (the owner calls close(), which flushes). On any
 * other injected clock (tests) the clock's own timers are used so time can be driven.
 */
export function startBackgroundTimer(clock: Clock | undefined, fn: () => void, everyMs: number): TimerHandle {
  if (clock && clock !== systemClock) return clock.setInterval(fn, everyMs);
  const timer = setInterval(fn, everyMs);
  timer.unref();
  return { cancel: () => clearInterval(timer) };
}
