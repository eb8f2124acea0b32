import {
  DrRequestError,
  type BrokerConnection,
  type DrChange,
  type DrEvent,
  type DrSignalsApi,
  type DrState,
  type SignalStats,
  type SimulateEventInput,
} from '@sps/aggregator';
import { TypedEmitter, type Clock } from '@sps/core';

interface FakeEvents extends Record<string, unknown> {
  change: DrChange;
  connection: BrokerConnection;
  state: DrState;
}

/**
 * A small in-test calendar implementing DrSignalsApi (no broker, no SQLite), for unit tests of
 * what the add-on builds on it. The mode follows the clock: upcoming before the start, ongoing
 * until the end, post_event for 15 minutes after.
 */
export class FakeDrSignals implements DrSignalsApi {
  readonly emitter = new TypedEmitter<FakeEvents>();
  private list: DrEvent[] = [];
  private conn: BrokerConnection = { connected: false, lastError: null, since: null };
  started = false;
  stopped = false;

  constructor(private readonly clock: Clock) {}

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  add(event: Partial<DrEvent> & Pick<DrEvent, 'startMs' | 'endMs'>): DrEvent {
    const full: DrEvent = {
      id: `E${this.list.length + 1}`,
      program: 'CSRP',
      type: 'contingency',
      goalKw: null,
      goalPct: null,
      status: 'active',
      receivedAtMs: this.clock.now(),
      sentAt: null,
      optedOut: false,
      simulated: false,
      ...event,
    };
    this.list.push(full);
    this.emitter.emit('change', { kind: 'received', event: full, atMs: this.clock.now() });
    return full;
  }

  state(nowMs = this.clock.now()): DrState {
    const active = this.list.filter((e) => e.status === 'active');
    const next = active.find((e) => !e.optedOut && e.startMs > nowMs) ?? null;
    const current = active.find((e) => e.startMs <= nowMs && nowMs < e.endMs + 15 * 60_000);
    if (current?.optedOut) return { mode: 'normal', event: current, next, postEventUntilMs: null };
    if (current && nowMs < current.endMs) return { mode: 'ongoing', event: current, next, postEventUntilMs: null };
    if (current) return { mode: 'post_event', event: current, next, postEventUntilMs: current.endMs + 15 * 60_000 };
    if (next) return { mode: 'upcoming', event: next, next, postEventUntilMs: null };
    const optedOut = active.find((e) => e.optedOut && e.startMs > nowMs) ?? null;
    return { mode: 'normal', event: optedOut, next: null, postEventUntilMs: null };
  }

  events(): readonly DrEvent[] {
    return this.list;
  }

  optOut(eventId?: string): DrEvent {
    const state = this.state();
    const target = eventId ? this.list.find((e) => e.id === eventId) : (state.event ?? state.next);
    if (!target) throw new DrRequestError(eventId ? `no event "${eventId}"` : 'no current or upcoming event');
    const updated = { ...target, optedOut: true };
    this.list = this.list.map((e) => (e.id === target.id ? updated : e));
    this.emitter.emit('change', { kind: 'opted_out', event: updated, atMs: this.clock.now() });
    return updated;
  }

  simulate(input: SimulateEventInput): DrEvent {
    return this.add({
      startMs: input.startMs,
      endMs: input.startMs + input.durationMinutes * 60_000,
      program: input.program,
      type: input.type,
      goalKw: input.goalKw ?? null,
      simulated: true,
    });
  }

  connection(): BrokerConnection {
    return this.conn;
  }

  setConnection(connected: boolean): void {
    this.conn = { connected, lastError: connected ? null : 'refused', since: new Date(this.clock.now()).toISOString() };
    this.emitter.emit('connection', this.conn);
  }

  stats(): SignalStats {
    return { received: this.list.length, duplicates: 0, rejected: 0, lastRejectReason: null };
  }

  async publish(): Promise<void> {
    throw new Error('not connected');
  }

  on(event: 'change', listener: (change: DrChange) => void): () => void;
  on(event: 'connection', listener: (connection: BrokerConnection) => void): () => void;
  on(event: 'state', listener: (state: DrState) => void): () => void;
  on(event: 'change' | 'connection' | 'state', listener: (payload: never) => void): () => void {
    return this.emitter.on(event, listener as (payload: unknown) => void);
  }
}
