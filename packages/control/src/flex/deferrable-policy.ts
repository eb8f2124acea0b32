import type { Clock } from '@sps/core';
import { z } from 'zod';
import type { KeyValueState } from '../controller-ports.js';
import {
  deferrableEntry,
  windowAt,
  type DeferrableLoad,
  type DeferrableScenarioEntry,
  type LoadWindow,
  type PlanGrid,
} from './deferrable-load.js';
import type { RelayPort } from './relay-port.js';

const NAMESPACE = 'deferrable_loads';
const MINUTE = 60_000;
/** Readings further apart than this say nothing about the time between them (a poll gap, a restart). */
const MAX_SAMPLE_GAP_MS = 10 * MINUTE;
/** Run time is persisted at least every this much (a restart loses less than this). */
const PERSIST_EVERY_MS = MINUTE;

/** What survives a restart: the window's run time, the manual override and the policy's last switch. */
const Persisted = z.object({
  window: z.string(),
  ranMs: z.number().nonnegative(),
  overrideUntil: z.number().nullable().default(null),
  commanded: z.object({ on: z.boolean(), at: z.number() }).nullable().default(null),
});
type Persisted = z.infer<typeof Persisted>;

export interface DeferrableLoadStatus {
  readonly name: string;
  /** The window now open, or the next. */
  readonly window: { readonly start: string; readonly end: string; readonly open: boolean };
  readonly ranMinutes: number;
  readonly remainingMinutes: number;
  /** The relay's state as last read; null when unknown. */
  readonly on: boolean | null;
  /** The user switched the relay: the policy stands back until then (UTC ISO); null otherwise. */
  readonly manualUntil: string | null;
  readonly lastError: string | null;
  /** Why the policy last switched the load (or held it off against the plan); null before any decision. */
  readonly reason: string | null;
}

export interface DeferrableLoadPolicyOptions {
  readonly load: DeferrableLoad;
  readonly relay: RelayPort;
  readonly clock: Clock;
  /** The household's zone: the windows are local times. */
  readonly timeZone: string;
  /** Keeps the run time, the manual override and the last switch across restarts. */
  readonly state?: KeyValueState;
  /** Each switch made or failed, and each manual switch seen (logging). */
  readonly onEvent?: (event: DeferrableLoadEvent) => void;
  /**
   * Switch the load on when what is left of its run only just fits before the window closes,
   * whatever the plan says (default true). Off-grid this is false: a run is "up to", and a backstop
   * would run the pump on the battery in the dark.
   */
  readonly deadlineBackstop?: boolean;
}

export type DeferrableLoadEvent =
  | { readonly kind: 'switched'; readonly load: string; readonly on: boolean; readonly reason: string }
  | { readonly kind: 'switch_failed'; readonly load: string; readonly on: boolean; readonly error: string }
  | { readonly kind: 'manual'; readonly load: string; readonly on: boolean; readonly until: string };

/**
 * Switches one deferrable load's relay to the plan (issue 12 item 5). Rules:
 * - inside the window the plan's on/off holds, and the load is switched on regardless of the plan
 *   when what is left of its run no longer fits before the window closes (the deadline backstop,
 *   also what runs it when there is no plan);
 * - outside the window the policy only switches off what it switched on;
 * - the relay changes only when the wanted state differs from the state read (no chatter), and
 *   never inside the load's minimum on or off time;
 * - a change of the relay the policy did not command is the user's: the policy stands back until
 *   the window ends (or, outside a window, until the next one opens);
 * - run time is counted from the relay's readings (both the policy's runs and the user's), per
 *   window, and persisted, so a restart neither repeats nor forgets a run.
 */
export class DeferrableLoadPolicy {
  readonly name: string;
  private persisted: Persisted;
  private lastSample: { on: boolean; at: number } | undefined;
  /** When the relay was last seen to change (or switched by the policy), for the min on/off time. */
  private lastChangeAt: number | undefined;
  private persistedAt = 0;
  private lastError: string | null = null;
  private busy: Promise<void> = Promise.resolve();
  private lastReason: string | null = null;
  private inFlight: boolean | undefined;

  constructor(private readonly o: DeferrableLoadPolicyOptions) {
    this.name = o.load.name;
    const now = o.clock.now();
    const stored = Persisted.safeParse(o.state?.getState(NAMESPACE, o.load.name));
    const window = this.windowNow(now);
    this.persisted =
      stored.success && stored.data.window === window.day
        ? stored.data
        : {
            window: window.day,
            ranMs: 0,
            overrideUntil: stored.success ? stored.data.overrideUntil : null,
            commanded: stored.success ? stored.data.commanded : null,
          };
  }

  /** Feed every new reading of the relay: counts run time and notices the user's switches. */
  observe(): void {
    const s = this.o.relay.state();
    if (!s) return;
    const last = this.lastSample;
    if (last && s.at < last.at) return;
    if (last?.on && s.at - last.at <= MAX_SAMPLE_GAP_MS) this.countRun(last.at, s.at);
    if (last && last.on !== s.on) {
      const ours =
        this.inFlight === s.on || (this.persisted.commanded?.on === s.on && this.persisted.commanded.at <= s.at);
      // The policy's own switch counts from when it was made; the user's from when it was seen.
      if (!ours) {
        this.lastChangeAt = s.at;
        this.manualSwitch(s.on, s.at);
      }
    } else if (!last && this.persisted.commanded && this.persisted.commanded.on !== s.on) {
      // After a restart: the relay is not where the policy left it, so someone else switched it.
      this.manualSwitch(s.on, s.at);
    }
    this.lastSample = { on: s.on, at: s.at };
    this.rollWindow(s.at);
    if (s.at - this.persistedAt >= PERSIST_EVERY_MS || (last && last.on !== s.on)) this.save(s.at);
  }

  /** The load in the plan's scenario, or null when nothing is left to plan (or the user holds it). */
  planEntry(grid: PlanGrid): DeferrableScenarioEntry | null {
    const now = this.o.clock.now();
    this.rollWindow(now);
    const window = this.windowNow(now);
    // Under a manual override the plan must not count on the load inside this window.
    if (this.overrideActive(now) && (this.persisted.overrideUntil ?? 0) >= window.endMs) return null;
    return deferrableEntry(this.o.load, window, this.persisted.ranMs / MINUTE, grid);
  }

  /**
   * Brings the relay to what the plan wants now: `plannedOn` is the plan's decision for this load in
   * the present interval, null when there is no usable plan. `stop`: a reason the load must be off
   * now whatever the plan says (off-grid: the battery would cross its reserve). Never throws; one
   * switch at a time.
   */
  apply(plannedOn: boolean | null, stop: string | null = null): Promise<void> {
    const run = this.busy.then(() => this.applyNow(plannedOn, stop));
    this.busy = run.catch(() => undefined);
    return run;
  }

  status(): DeferrableLoadStatus {
    const now = this.o.clock.now();
    const window = this.windowNow(now);
    const ran = this.persisted.window === window.day ? this.persisted.ranMs / MINUTE : 0;
    const s = this.o.relay.state();
    return {
      name: this.name,
      window: {
        start: new Date(window.startMs).toISOString(),
        end: new Date(window.endMs).toISOString(),
        open: now >= window.startMs,
      },
      ranMinutes: Math.round(ran * 10) / 10,
      remainingMinutes: Math.max(0, Math.round((this.o.load.runMinutesPerDay - ran) * 10) / 10),
      on: s?.on ?? null,
      manualUntil: this.overrideActive(now) ? new Date(this.persisted.overrideUntil!).toISOString() : null,
      lastError: this.lastError,
      reason: this.lastReason,
    };
  }

  /** Persists what has been counted (the add-on's shutdown). */
  flush(): void {
    this.save(this.o.clock.now());
  }

  private async applyNow(plannedOn: boolean | null, stop: string | null): Promise<void> {
    const now = this.o.clock.now();
    this.rollWindow(now);
    if (this.overrideActive(now)) return;
    if (this.persisted.overrideUntil !== null) {
      this.persisted = { ...this.persisted, overrideUntil: null };
      this.save(now);
    }
    const s = this.o.relay.state();
    if (!s) return;
    const planned = this.wanted(now, plannedOn);
    // The reserve stop wins over the plan and the minimum on time: a pump's motor outlives an early
    // stop, a house in the dark does not.
    const overriding = stop !== null && (s.on || planned?.on === true);
    const want = overriding ? { on: false, reason: stop } : planned;
    if (overriding) this.lastReason = stop;
    if (want === null || want.on === s.on) return;
    const since = this.lastChangeAt;
    const hold = (s.on ? this.o.load.minOnMinutes : this.o.load.minOffMinutes) * MINUTE;
    if (since !== undefined && now - since < hold && !(overriding && s.on)) return;
    this.inFlight = want.on;
    try {
      await this.o.relay.set(want.on);
      // Remembered once made: a failed write must not make the relay's own state look like the user's.
      this.persisted = { ...this.persisted, commanded: { on: want.on, at: now } };
      this.save(now);
      this.lastChangeAt = now;
      this.lastError = null;
      this.lastReason = want.reason;
      this.o.onEvent?.({ kind: 'switched', load: this.name, on: want.on, reason: want.reason });
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.o.onEvent?.({ kind: 'switch_failed', load: this.name, on: want.on, error: this.lastError });
    } finally {
      this.inFlight = undefined;
    }
  }

  private wanted(now: number, plannedOn: boolean | null): { on: boolean; reason: string } | null {
    const window = this.windowNow(now);
    if (now < window.startMs) {
      // Outside the window: only what the policy itself switched on is switched off.
      return this.persisted.commanded?.on ? { on: false, reason: 'outside its window' } : null;
    }
    const remainingMs = this.o.load.runMinutesPerDay * MINUTE - this.persisted.ranMs;
    if (remainingMs <= 30_000) return { on: false, reason: 'its run time for the window is done' };
    if (this.o.deadlineBackstop !== false && remainingMs >= window.endMs - now - MINUTE) {
      return { on: true, reason: 'what is left of its run only just fits before the window closes' };
    }
    if (plannedOn === null) return null;
    return { on: plannedOn, reason: plannedOn ? 'the plan runs it now' : 'the plan runs it later' };
  }

  private manualSwitch(on: boolean, at: number): void {
    const window = this.windowNow(at);
    const until = at >= window.startMs ? window.endMs : window.startMs;
    this.persisted = { ...this.persisted, overrideUntil: until, commanded: null };
    this.save(at);
    this.o.onEvent?.({ kind: 'manual', load: this.name, on, until: new Date(until).toISOString() });
  }

  private overrideActive(now: number): boolean {
    return this.persisted.overrideUntil !== null && now < this.persisted.overrideUntil;
  }

  /** Adds the part of [from, to) that lies inside the window open at `from`. */
  private countRun(from: number, to: number): void {
    const window = this.windowNow(from);
    if (window.day !== this.persisted.window) this.startWindow(window);
    const overlap = Math.min(to, window.endMs) - Math.max(from, window.startMs);
    if (overlap > 0) this.persisted = { ...this.persisted, ranMs: this.persisted.ranMs + overlap };
  }

  /** A new window starts with no run time. */
  private rollWindow(now: number): void {
    const window = this.windowNow(now);
    if (window.day !== this.persisted.window) this.startWindow(window);
  }

  private startWindow(window: LoadWindow): void {
    this.persisted = { ...this.persisted, window: window.day, ranMs: 0 };
  }

  private windowNow(now: number): LoadWindow {
    return windowAt(this.o.load, now, this.o.timeZone);
  }

  private save(now: number): void {
    this.persistedAt = now;
    this.o.state?.putState(NAMESPACE, this.name, this.persisted);
  }
}
