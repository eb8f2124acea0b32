import { TypedEmitter, isValidTimeZone, type Clock } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import {
  DR_EVENT_TYPES,
  DR_PROGRAMS,
  DrRequestError,
  type AggregatorLogger,
  type BrokerConnection,
  type BrokerOptions,
  type DrChange,
  type DrEvent,
  type DrSignalsApi,
  type DrState,
  type SignalStats,
  type SimulateEventInput,
} from '../contracts.js';
import { AggregatorLink } from './aggregator-link.js';
import { DrEventBook, type IngestOutcome } from './event-book.js';
import { parseEventPayload } from './event-payload.js';
import { MAX_EVENT_DURATION_MINUTES, checkEventWindow, defaultEventId } from './parsed-event.js';
import { eventTopic } from './topics.js';

export interface DrSignalsOptions {
  readonly db: DatabaseSync;
  readonly clock: Clock;
  readonly logger: AggregatorLogger;
  /** No broker: the calendar still runs (simulated events, stored ones). */
  readonly broker?: BrokerOptions;
  /** The aggregator's network; events arrive on `OpenDemandResponse/Event/<network without spaces>`. */
  readonly network: string;
  /** IANA zone of the community format's local start times. */
  readonly timeZone: string;
  readonly postEventMinutes?: number;
}

type SignalsEvents = { change: DrChange; connection: BrokerConnection; state: DrState };

/**
 * New events refused while this many have not ended: far above any programme's calendar, and a bound
 * on what a broker sending fresh ids in a loop can make the station store.
 */
export const MAX_OPEN_EVENTS = 200;

const NO_BROKER: BrokerConnection = { connected: false, lastError: 'no broker configured', since: null };

/**
 * Events in: the broker link feeds payloads to the parser, the parser feeds the stored book, the
 * book's calendar gives the mode. A payload that does not parse is logged (reason and topic, never
 * the payload: it may be large or hostile) and counted, and changes nothing.
 */
export class DrSignals implements DrSignalsApi {
  private readonly book: DrEventBook;
  private readonly link: AggregatorLink | undefined;
  private readonly emitter: TypedEmitter<SignalsEvents>;
  private readonly logger: AggregatorLogger;
  private readonly clock: Clock;
  private readonly timeZone: string;
  private readonly topic: string;
  private counters = { received: 0, duplicates: 0, rejected: 0, lastRejectReason: null as string | null };

  constructor(options: DrSignalsOptions) {
    if (!isValidTimeZone(options.timeZone))
      throw new TypeError(`time zone: "${options.timeZone}" is not an IANA time zone`);
    this.logger = options.logger;
    this.clock = options.clock;
    this.timeZone = options.timeZone;
    this.topic = eventTopic(options.network);
    const onListenerError = (err: unknown): void =>
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'DR listener failed');
    this.emitter = new TypedEmitter<SignalsEvents>(onListenerError);
    this.book = new DrEventBook({
      db: options.db,
      clock: options.clock,
      ...(options.postEventMinutes !== undefined ? { postEventMinutes: options.postEventMinutes } : {}),
      onListenerError,
    });
    this.book.on('change', (c) => {
      this.logger.info({ kind: c.kind, event: c.event.id }, `DR event ${c.kind}`);
      this.emitter.emit('change', c);
    });
    this.book.on('state', (s) => this.emitter.emit('state', s));
    if (options.broker !== undefined) {
      this.link = new AggregatorLink({
        broker: options.broker,
        subscriptions: [this.topic],
        clock: options.clock,
        logger: options.logger,
        onMessage: (topic, payload) => this.onMessage(topic, payload),
      });
      this.link.on('connection', (c) => this.emitter.emit('connection', c));
    }
  }

  /** The topic events arrive on. */
  get eventTopic(): string {
    return this.topic;
  }

  start(): void {
    try {
      this.book.start();
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'DR calendar could not start');
    }
    this.link?.start();
  }

  async stop(): Promise<void> {
    this.book.stop();
    await this.link?.stop();
  }

  state(nowMs?: number): DrState {
    return this.book.state(nowMs);
  }

  events(): readonly DrEvent[] {
    return this.book.events();
  }

  optOut(eventId?: string): DrEvent {
    return this.book.optOut(eventId);
  }

  simulate(input: SimulateEventInput): DrEvent {
    const now = this.clock.now();
    if (!(DR_PROGRAMS as readonly string[]).includes(input.program)) {
      throw new DrRequestError(`program: expected one of ${DR_PROGRAMS.join(', ')}`);
    }
    if (!(DR_EVENT_TYPES as readonly string[]).includes(input.type)) {
      throw new DrRequestError(`type: expected one of ${DR_EVENT_TYPES.join(', ')}`);
    }
    if (!Number.isFinite(input.startMs)) throw new DrRequestError('start: not a time');
    if (
      !Number.isInteger(input.durationMinutes) ||
      input.durationMinutes < 1 ||
      input.durationMinutes > MAX_EVENT_DURATION_MINUTES
    ) {
      throw new DrRequestError(`duration_minutes: expected a whole number from 1 to ${MAX_EVENT_DURATION_MINUTES}`);
    }
    if (input.goalKw !== undefined && !(Number.isFinite(input.goalKw) && input.goalKw > 0 && input.goalKw <= 1000)) {
      throw new DrRequestError('goal_kw: expected a number above 0 and at most 1000');
    }
    const endMs = input.startMs + input.durationMinutes * 60_000;
    const bad = checkEventWindow(input.startMs, endMs, now);
    if (bad !== null) throw new DrRequestError(bad);
    if (endMs <= now) throw new DrRequestError('start: the simulated event would already be over');
    const result = this.book.ingest(
      {
        id: `simulated-${defaultEventId(input.program, input.startMs)}`,
        program: input.program,
        type: input.type,
        startMs: input.startMs,
        endMs,
        goalKw: input.goalKw ?? null,
        goalPct: null,
        status: 'active',
        receivedAtMs: now,
        sentAt: null,
      },
      { simulated: true },
    );
    if (result.outcome === 'ignored') throw new DrRequestError(`event ${result.event.id}: ${result.reason}`);
    return result.event;
  }

  connection(): BrokerConnection {
    return this.link?.connection() ?? NO_BROKER;
  }

  stats(): SignalStats {
    return { ...this.counters };
  }

  publish(topic: string, payload: string): Promise<void> {
    if (this.link === undefined) return Promise.reject(new Error('no broker configured'));
    return this.link.publish(topic, payload, 0);
  }

  on(event: 'change', listener: (change: DrChange) => void): () => void;
  on(event: 'connection', listener: (connection: BrokerConnection) => void): () => void;
  on(event: 'state', listener: (state: DrState) => void): () => void;
  on(event: keyof SignalsEvents, listener: (payload: never) => void): () => void {
    return this.emitter.on(event, listener as (payload: SignalsEvents[typeof event]) => void);
  }

  /** One broker message: parse, store, count. Public for tests that feed payloads without a broker. */
  handlePayload(topic: string, payload: Buffer | string): IngestOutcome | null {
    const parsed = parseEventPayload(payload, { timeZone: this.timeZone, receivedAtMs: this.clock.now() });
    if (!parsed.ok) {
      this.counters.rejected++;
      this.counters.lastRejectReason = parsed.reason;
      this.logger.warn({ topic, reason: parsed.reason }, 'DR message rejected');
      return null;
    }
    if (this.book.get(parsed.event.id) === undefined && this.book.openCount() >= MAX_OPEN_EVENTS) {
      const reason = `too many events ahead (${MAX_OPEN_EVENTS}): a new one is refused until some have ended`;
      this.counters.rejected++;
      this.counters.lastRejectReason = reason;
      this.logger.warn({ topic, reason }, 'DR message rejected');
      return null;
    }
    if (parsed.warning !== undefined) this.logger.warn({ topic, event: parsed.event.id }, parsed.warning);
    this.counters.received++;
    const result = this.book.ingest(parsed.event);
    if (result.outcome === 'duplicate') this.counters.duplicates++;
    if (result.outcome === 'ignored')
      this.logger.info({ topic, event: result.event.id }, `DR message ignored: ${result.reason}`);
    else if (result.outcome !== 'duplicate')
      this.logger.info({ topic, event: result.event.id, outcome: result.outcome }, 'DR message');
    return result;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== this.topic) {
      // A subscription the broker kept from before (the network option changed): not ours any more.
      this.logger.debug({ topic }, 'DR message on another topic ignored');
      return;
    }
    try {
      this.handlePayload(topic, payload);
    } catch (err) {
      // A storage failure (disk full) must not take the link down; the message is lost and said so.
      this.counters.rejected++;
      this.counters.lastRejectReason = 'could not be stored';
      this.logger.error(
        { topic, err: err instanceof Error ? err.message : String(err) },
        'DR message could not be stored',
      );
    }
  }
}
