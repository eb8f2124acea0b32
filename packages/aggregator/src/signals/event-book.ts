import { TypedEmitter, type Clock, type TimerHandle } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import { DrRequestError, type DrChange, type DrChangeKind, type DrEvent, type DrState } from '../contracts.js';
import { DEFAULT_POST_EVENT_MINUTES, drStateAt, isCandidate, nextBoundaryMs, sameState } from './calendar.js';
import { DrEventTable, emittedKey } from './event-table.js';
import type { ParsedDrEvent } from './parsed-event.js';

export interface DrEventBookOptions {
  readonly db: DatabaseSync;
  readonly clock: Clock;
  /** The ramp back onto the grid after an event; default 60. */
  readonly postEventMinutes?: number;
  /** Events that ended longer ago are deleted; default 90. */
  readonly historyDays?: number;
  /** Where a listener's exception goes (it never stops the book). */
  readonly onListenerError?: (err: unknown) => void;
}

/** What a message did to the book. */
export type IngestOutcome =
  | { readonly outcome: 'new'; readonly event: DrEvent }
  /** Same id and same content: the aggregator repeating itself (or QoS 1 redelivery). */
  | { readonly outcome: 'duplicate'; readonly event: DrEvent }
  /** Same id, changed start, end, type or goal. */
  | { readonly outcome: 'updated'; readonly event: DrEvent }
  | { readonly outcome: 'cancelled'; readonly event: DrEvent }
  /** A message about a cancelled event: cancellation is final (a new event needs a new id or start). */
  | { readonly outcome: 'ignored'; readonly event: DrEvent; readonly reason: string };

type BookEvents = { change: DrChange; state: DrState };

/** `events()` lists what ended this recently (the DrSignalsApi contract: 7 days). */
const RECENT_MS = 7 * 24 * 3_600_000;
/** Even with nothing scheduled the timer wakes this often, to prune history. */
const MAX_SLEEP_MS = 6 * 3_600_000;

function sameContent(a: DrEvent, b: ParsedDrEvent): boolean {
  return (
    a.program === b.program &&
    a.type === b.type &&
    a.startMs === b.startMs &&
    a.endMs === b.endMs &&
    a.goalKw === b.goalKw &&
    a.goalPct === b.goalPct &&
    a.status === b.status
  );
}

/**
 * The stored event calendar. Messages go in through `ingest`; the mode comes out of `state`; each
 * change (`received`, `started`, `ended`, `cancelled`, `opted_out`) is emitted once per event, ever:
 * it is written to SQLite with the event before listeners hear it, so a restart neither repeats it
 * nor loses the event. A clock timer, re-armed at each boundary (start, end, end of the ramp),
 * moves the calendar on.
 *
 * `started` fires when a candidate event (active, not opted out) is running; `ended` at its end,
 * only for an event that started and was neither cancelled nor opted out (those say `cancelled` or
 * `opted_out` instead). An event whose whole window passed while the add-on was off never starts.
 */
export class DrEventBook {
  private readonly table: DrEventTable;
  private readonly clock: Clock;
  private readonly postEventMs: number;
  private readonly historyMs: number;
  private readonly byId = new Map<string, DrEvent>();
  private readonly emitted: Set<string>;
  private readonly emitter: TypedEmitter<BookEvents>;
  private timer: TimerHandle | undefined;
  private running = false;
  private lastState: DrState;

  constructor(options: DrEventBookOptions) {
    this.clock = options.clock;
    this.postEventMs = (options.postEventMinutes ?? DEFAULT_POST_EVENT_MINUTES) * 60_000;
    this.historyMs = (options.historyDays ?? 90) * 24 * 3_600_000;
    this.emitter = new TypedEmitter<BookEvents>(options.onListenerError);
    this.table = new DrEventTable(options.db);
    this.table.prune(this.clock.now() - this.historyMs);
    for (const e of this.table.loadEvents()) this.byId.set(e.id, e);
    this.emitted = this.table.loadEmitted();
    this.lastState = this.state();
  }

  on<K extends keyof BookEvents>(event: K, listener: (payload: BookEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Starts the timer and catches up: an event running now (after a restart) is ongoing again, `started` not repeated. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.evaluate();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  get(id: string): DrEvent | undefined {
    return this.byId.get(id);
  }

  state(nowMs: number = this.clock.now()): DrState {
    return drStateAt([...this.byId.values()], nowMs, this.postEventMs);
  }

  /** Events not yet ended and those that ended in the last 7 days, oldest start first. */
  events(nowMs: number = this.clock.now()): readonly DrEvent[] {
    return [...this.byId.values()].filter((e) => e.endMs >= nowMs - RECENT_MS).sort((a, b) => a.startMs - b.startMs);
  }

  /** Events that have not ended yet (the bound on what a flood of new ids can add). */
  openCount(nowMs: number = this.clock.now()): number {
    let n = 0;
    for (const e of this.byId.values()) if (e.endMs > nowMs) n++;
    return n;
  }

  ingest(parsed: ParsedDrEvent, origin: { readonly simulated?: boolean } = {}): IngestOutcome {
    const now = this.clock.now();
    const existing = this.byId.get(parsed.id);
    let result: IngestOutcome;
    if (existing === undefined) {
      const event: DrEvent = { ...parsed, optedOut: false, simulated: origin.simulated === true };
      // A cancellation for an event we never saw is kept (so a late copy of it cannot revive it) but announced as nothing.
      const change = event.status === 'active' ? 'received' : null;
      this.store(event, change, now);
      result = { outcome: 'new', event };
    } else if (existing.status === 'cancelled') {
      result = { outcome: 'ignored', event: existing, reason: 'the event was cancelled; cancellation is final' };
    } else if (sameContent(existing, parsed)) {
      result = { outcome: 'duplicate', event: existing };
    } else if (parsed.status === 'cancelled') {
      const event: DrEvent = { ...existing, status: 'cancelled', sentAt: parsed.sentAt ?? existing.sentAt };
      this.store(event, 'cancelled', now);
      result = { outcome: 'cancelled', event };
    } else {
      // The first reception time stays: it says when the household first knew.
      const event: DrEvent = {
        ...existing,
        ...parsed,
        receivedAtMs: existing.receivedAtMs,
        optedOut: existing.optedOut,
      };
      this.store(event, null, now);
      result = { outcome: 'updated', event };
    }
    this.afterChange();
    return result;
  }

  /** Opt out of one event (default: the one running, else the next). Repeating it changes nothing. */
  optOut(eventId?: string): DrEvent {
    const now = this.clock.now();
    let target: DrEvent | undefined;
    if (eventId === undefined) {
      const s = this.state(now);
      target = s.mode === 'ongoing' || s.mode === 'upcoming' ? (s.event ?? undefined) : (s.next ?? undefined);
      if (target === undefined) throw new DrRequestError('no current or upcoming event to opt out of');
    } else {
      target = this.byId.get(eventId);
      if (target === undefined) throw new DrRequestError(`event ${eventId}: not found`);
    }
    if (target.optedOut) return target;
    if (target.status === 'cancelled') throw new DrRequestError(`event ${target.id}: was cancelled`);
    if (target.endMs <= now) throw new DrRequestError(`event ${target.id}: has ended`);
    const event: DrEvent = { ...target, optedOut: true };
    this.store(event, 'opted_out', now);
    this.afterChange();
    return event;
  }

  private store(event: DrEvent, change: DrChangeKind | null, now: number): void {
    const fresh = this.table.saveWithChange(event, change, now);
    this.byId.set(event.id, event);
    if (change !== null && fresh) {
      this.emitted.add(emittedKey(event.id, change));
      this.emitter.emit('change', { kind: change, event, atMs: now });
    }
  }

  private afterChange(): void {
    if (this.running) this.evaluate();
    else this.publishState(this.clock.now());
  }

  private mark(event: DrEvent, kind: DrChangeKind, now: number): void {
    if (this.emitted.has(emittedKey(event.id, kind))) return;
    if (this.table.recordChange(event.id, kind, now)) this.emitter.emit('change', { kind, event, atMs: now });
    this.emitted.add(emittedKey(event.id, kind));
  }

  /** Emits what became due, prunes old history, publishes the state and re-arms the timer. */
  private evaluate(): void {
    const now = this.clock.now();
    const ordered = [...this.byId.values()].sort((a, b) => a.startMs - b.startMs);
    for (const e of ordered) {
      if (!isCandidate(e)) continue;
      const started = this.emitted.has(emittedKey(e.id, 'started'));
      if (!started && e.startMs <= now && now < e.endMs) this.mark(e, 'started', now);
      else if (started && now >= e.endMs) this.mark(e, 'ended', now);
    }
    if (this.table.prune(now - this.historyMs) > 0) {
      for (const [id, e] of this.byId) if (e.endMs < now - this.historyMs) this.byId.delete(id);
    }
    this.publishState(now);
    this.arm(now);
  }

  private publishState(now: number): void {
    const s = this.state(now);
    if (sameState(s, this.lastState)) return;
    this.lastState = s;
    this.emitter.emit('state', s);
  }

  private arm(now: number): void {
    this.timer?.cancel();
    if (!this.running) return;
    const boundary = nextBoundaryMs([...this.byId.values()], now, this.postEventMs);
    const delay = boundary === null ? MAX_SLEEP_MS : Math.min(boundary - now, MAX_SLEEP_MS);
    this.timer = this.clock.setTimeout(() => this.evaluate(), delay);
  }
}
