/**
 * Time as a dependency: production code asks a Clock, tests drive a ManualClock
 * so a simulated day runs in milliseconds and timers fire deterministically.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  sleep(ms: number): Promise<void>;
}

/**
 * The longest delay Node's timers take: a longer one (TimeoutOverflowWarning) fires after 1 ms, which
 * would end a month-long override at once. systemClock chains timers in steps of at most this.
 */
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

/** Fires `fn` after `ms`, however long: delays beyond Node's limit are chained. Infinity never fires. */
function chainedTimeout(fn: () => void, ms: number): TimerHandle {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (remaining: number): void => {
    if (cancelled) return;
    if (remaining > MAX_NODE_TIMER_MS) {
      timer = setTimeout(() => arm(remaining - MAX_NODE_TIMER_MS), MAX_NODE_TIMER_MS);
    } else {
      timer = setTimeout(fn, remaining);
    }
  };
  arm(Number.isNaN(ms) ? 0 : Math.max(0, ms));
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: chainedTimeout,
  setInterval(fn, ms) {
    if (ms <= MAX_NODE_TIMER_MS) {
      const t = setInterval(fn, ms);
      return { cancel: () => clearInterval(t) };
    }
    // A period beyond Node's limit: one chained timeout per period.
    let current: TimerHandle | undefined;
    let cancelled = false;
    const next = (): void => {
      current = chainedTimeout(() => {
        if (cancelled) return;
        next();
        fn();
      }, ms);
    };
    next();
    return {
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  },
  sleep: (ms) => new Promise((resolve) => chainedTimeout(resolve, ms)),
};

interface PendingTimer {
  readonly id: number;
  at: number;
  readonly fn: () => void;
  readonly repeatMs: number | null;
}

/** A clock that only moves when told to. Timers due at the same instant fire in creation order. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 0;
  private timers: PendingTimer[] = [];

  constructor(start: number | string = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.schedule(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.schedule(fn, ms, Math.max(1, ms));
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Move time forward, firing every timer that falls due, in order. Awaits microtasks between timers. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      if (next.repeatMs === null) this.timers = this.timers.filter((t) => t !== next);
      else next.at += next.repeatMs;
      next.fn();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Set the time directly (no timers fire). */
  set(ms: number | string): void {
    this.current = typeof ms === 'string' ? Date.parse(ms) : ms;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  private schedule(fn: () => void, ms: number, repeatMs: number | null): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn, repeatMs };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** UTC ISO 8601 with an explicit Z, to the millisecond. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
