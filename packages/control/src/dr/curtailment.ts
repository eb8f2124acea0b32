import { z } from 'zod';
import type { KeyValueState } from '../controller-ports.js';

/**
 * A relay the user allows the station to switch off during a demand-response event (option
 * `aggregator.allow_curtailment`). The add-on builds these from its devices; every switch goes
 * through the SafetyGuard, so a relay's minimum on/off time holds (a change inside it rejects).
 */
export interface CurtailableRelay {
  readonly id: string;
  /** Known load behind the relay, W (largest first); unknown ones go last, in the given order. */
  readonly powerW?: number;
  /** undefined: not known (not connected, no reading yet). */
  isOn(): boolean | undefined;
  switchOff(): Promise<void>;
  switchOn(): Promise<void>;
}

export interface CurtailmentOptions {
  readonly relays: readonly CurtailableRelay[];
  /** Remembers which relays this switched off, so a restart mid-event switches them back on. */
  readonly state?: KeyValueState;
  /** Called with each switch made or failed (logging). */
  readonly onChange?: (change: CurtailmentChange) => void;
}

export interface CurtailmentChange {
  readonly relay: string;
  readonly action: 'off' | 'on' | 'released';
  readonly ok: boolean;
  readonly error?: string;
  readonly eventId: string;
}

export interface CurtailmentStatus {
  readonly eventId: string | null;
  /** Relays this switched off and will switch back on. */
  readonly switchedOff: readonly string[];
  /** Relays the user switched back on during the event: left alone until it ends. */
  readonly released: readonly string[];
  readonly lastError: string | null;
}

const STATE_NAMESPACE = 'demand_response';
const STATE_KEY = 'curtailment';

const Persisted = z.object({
  eventId: z.string(),
  switchedOff: z.array(z.string()),
  released: z.array(z.string()).default([]),
});
type Persisted = z.infer<typeof Persisted>;

/**
 * Load curtailment when the battery reaches its floor in an ongoing event (issue 11): one allowed
 * relay off per call (the controller calls once per control period, so each switch is seen on the
 * meter before the next), largest known load first; at the end of the event (or opt-out) exactly
 * the relays it switched off go back on. What it switched off is persisted before the switch, so a
 * restart mid-event never leaves a relay off for good: `restore()` after a restart finds them. A
 * relay the user switched back on during the event is released: neither switched off again nor
 * touched at the end.
 */
export class LoadCurtailment {
  private readonly relays: readonly CurtailableRelay[];
  private current: Persisted | null;
  private lastError: string | null = null;
  /** One switch at a time: the controller's queue serialises calls, this guards direct ones. */
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly o: CurtailmentOptions) {
    // Largest known load first (ties and unknown powers keep the user's order).
    this.relays = [...o.relays]
      .map((relay, order) => ({ relay, order }))
      .sort((a, b) => (b.relay.powerW ?? -1) - (a.relay.powerW ?? -1) || a.order - b.order)
      .map(({ relay }) => relay);
    this.current = this.load();
  }

  status(): CurtailmentStatus {
    return {
      eventId: this.current?.eventId ?? null,
      switchedOff: [...(this.current?.switchedOff ?? [])],
      released: [...(this.current?.released ?? [])],
      lastError: this.lastError,
    };
  }

  /** Whether anything of an earlier (or this) event is still switched off. */
  get pending(): boolean {
    return (this.current?.switchedOff.length ?? 0) > 0;
  }

  /**
   * One control period of an ongoing event with the battery at its floor and the import above the
   * setpoint: switches off the next allowed relay that is on. Returns the relay switched, if any.
   */
  curtailOne(eventId: string): Promise<string | null> {
    return this.serial(async () => {
      if (this.current && this.current.eventId !== eventId) await this.restoreNow();
      const existing = this.current;
      const state: Persisted = existing
        ? { eventId, switchedOff: [...existing.switchedOff], released: [...existing.released] }
        : { eventId, switchedOff: [], released: [] };
      this.noteReleases(state);
      const next = this.relays.find(
        (r) => r.isOn() === true && !state.switchedOff.includes(r.id) && !state.released.includes(r.id),
      );
      if (!next) {
        if (existing) this.save(state);
        return null;
      }
      // Persisted first: if the process dies mid-switch, a restart still switches it back on.
      this.save({ ...state, switchedOff: [...state.switchedOff, next.id] });
      try {
        await next.switchOff();
        this.report({ relay: next.id, action: 'off', ok: true, eventId });
        return next.id;
      } catch (err) {
        // Refused (e.g. inside its minimum on/off time) and still on: not ours to switch back on.
        // Off after a failure (a timeout that did switch it), it stays ours.
        if (next.isOn() !== false) this.save(existing || state.released.length > 0 ? state : null);
        this.fail(next.id, 'off', eventId, err);
        return null;
      }
    });
  }

  /**
   * Called every period of an event (not only at the floor): a relay the user switched back on is
   * released from our list.
   */
  watch(): void {
    if (!this.current) return;
    const before = this.current.released.length;
    const state = { ...this.current, switchedOff: [...this.current.switchedOff], released: [...this.current.released] };
    this.noteReleases(state);
    if (state.released.length !== before) this.save(state);
  }

  /**
   * The event ended (or the user opted out, or a restart found a finished event): switches back on
   * every relay this switched off and the user has not. A relay that refuses (its minimum on/off
   * time) stays in the list; call again later (the controller does, every period).
   */
  restore(): Promise<readonly string[]> {
    return this.serial(() => this.restoreNow());
  }

  private async restoreNow(): Promise<readonly string[]> {
    const state = this.current;
    if (!state) return [];
    const left: string[] = [];
    const done: string[] = [];
    for (const id of state.switchedOff) {
      const relay = this.relays.find((r) => r.id === id);
      if (!relay) continue; // no longer allowed/configured: nothing we may touch
      if (relay.isOn() === true) {
        this.report({ relay: id, action: 'released', ok: true, eventId: state.eventId });
        continue;
      }
      try {
        await relay.switchOn();
        done.push(id);
        this.report({ relay: id, action: 'on', ok: true, eventId: state.eventId });
      } catch (err) {
        left.push(id);
        this.fail(id, 'on', state.eventId, err);
      }
    }
    this.save(left.length > 0 ? { ...state, switchedOff: left } : null);
    return done;
  }

  private noteReleases(state: Persisted): void {
    for (const id of state.switchedOff) {
      const relay = this.relays.find((r) => r.id === id);
      if (relay?.isOn() === true && !state.released.includes(id)) {
        state.released.push(id);
        this.report({ relay: id, action: 'released', ok: true, eventId: state.eventId });
      }
    }
    state.switchedOff = state.switchedOff.filter((id) => !state.released.includes(id));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn);
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private load(): Persisted | null {
    const raw = this.o.state?.getState<unknown>(STATE_NAMESPACE, STATE_KEY);
    if (raw === undefined || raw === null) return null;
    const parsed = Persisted.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  private save(state: Persisted | null): void {
    this.current = state;
    this.o.state?.putState(STATE_NAMESPACE, STATE_KEY, state);
  }

  private report(change: CurtailmentChange): void {
    try {
      this.o.onChange?.(change);
    } catch {
      // A logging hook must not break the switching.
    }
  }

  private fail(relay: string, action: 'off' | 'on', eventId: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = `switch ${action} ${relay}: ${message}`;
    this.report({ relay, action, ok: false, error: message, eventId });
  }
}
