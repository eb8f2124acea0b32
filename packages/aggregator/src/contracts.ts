/**
 * The aggregator package's public surface. Its parts (signals in, baseline, sharing out) were
 * built side by side against these types; the add-on wires them together (addon/src/dr/).
 * Times inside the package are UTC epoch ms; ISO 8601 strings only at the edges.
 */

export const DR_PROGRAMS = ['DLRP', 'CSRP'] as const;
/** Con Edison's Distribution Load Relief and Commercial System Relief programmes. */
export type DrProgram = (typeof DR_PROGRAMS)[number];

export const DR_EVENT_TYPES = ['contingency', 'immediate'] as const;
export type DrEventType = (typeof DR_EVENT_TYPES)[number];

/** What the station is doing about demand response; one state everywhere (HA, API, panel). */
export const DR_MODES = ['normal', 'upcoming', 'ongoing', 'post_event'] as const;
export type DrMode = (typeof DR_MODES)[number];

/** How much leaves the house; nothing beyond the chosen level. */
export const SHARING_LEVELS = ['none', 'events', 'aggregate', 'full'] as const;
export type SharingLevel = (typeof SHARING_LEVELS)[number];

export interface DrEvent {
  /** The payload's id, or `<program>-<start ISO>` for the community format (one event per start). */
  readonly id: string;
  readonly program: DrProgram;
  readonly type: DrEventType;
  readonly startMs: number;
  readonly endMs: number;
  /** The event's own goal; both null: the user's default goal applies. */
  readonly goalKw: number | null;
  readonly goalPct: number | null;
  readonly status: 'active' | 'cancelled';
  readonly receivedAtMs: number;
  /** The aggregator's "sent" timestamp as it came, if any. */
  readonly sentAt: string | null;
  /** The user opted out of this one event: the station carries on as normal. */
  readonly optedOut: boolean;
  /** From `simulate_event` (testing one's setup), not from the aggregator. */
  readonly simulated: boolean;
}

export const DR_CHANGE_KINDS = ['received', 'started', 'ended', 'cancelled', 'opted_out'] as const;
export type DrChangeKind = (typeof DR_CHANGE_KINDS)[number];

/** One change of the event calendar; HA gets each as `smart_power_station_dr_event`. */
export interface DrChange {
  readonly kind: DrChangeKind;
  readonly event: DrEvent;
  readonly atMs: number;
}

export interface DrState {
  /** An opted-out or cancelled event leaves the mode `normal`. */
  readonly mode: DrMode;
  /** The event the mode is about (upcoming, ongoing or just ended); null in normal unless opted out. */
  readonly event: DrEvent | null;
  /** The next event that has not started yet (active, not opted out), if any. */
  readonly next: DrEvent | null;
  /** In post_event: when the ramp back onto the grid ends. */
  readonly postEventUntilMs: number | null;
}

/** Logger shape the package needs (pino fits). */
export interface AggregatorLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How to reach the aggregator's MQTT broker. PEM texts, not paths (the add-on reads the files). */
export interface BrokerOptions {
  /** mqtt://host:port or mqtts://host:port */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Stable across restarts, so the broker keeps the persistent session. */
  readonly clientId: string;
}

export interface BrokerConnection {
  readonly connected: boolean;
  /** Why the last attempt failed or the link dropped; null when connected. */
  readonly lastError: string | null;
  /** ISO time of the last change of `connected`. */
  readonly since: string | null;
}

export interface SignalStats {
  readonly received: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly lastRejectReason: string | null;
}

export interface SimulateEventInput {
  readonly startMs: number;
  readonly durationMinutes: number;
  readonly program: DrProgram;
  readonly type: DrEventType;
  readonly goalKw?: number;
}

/** Events in: the broker link, the stored calendar, the mode. */
export interface DrSignalsApi {
  /** Connects (when a broker is configured) and starts the calendar's timer. Never throws. */
  start(): void;
  stop(): Promise<void>;
  state(nowMs?: number): DrState;
  /** Upcoming events and those that ended in the last 7 days, oldest first. */
  events(): readonly DrEvent[];
  /** Opt out of one event (default: the current or next one). Throws DrRequestError when there is none. */
  optOut(eventId?: string): DrEvent;
  simulate(input: SimulateEventInput): DrEvent;
  connection(): BrokerConnection;
  stats(): SignalStats;
  /** Publish on the broker (the participant topic); resolves once sent, rejects when not connected. */
  publish(topic: string, payload: string): Promise<void>;
  on(event: 'change', listener: (change: DrChange) => void): () => void;
  on(event: 'connection', listener: (connection: BrokerConnection) => void): () => void;
  /**
   * Added by the signals part: the state whenever it changes, including changes no DrChange marks
   * (post_event → normal, an updated event, the next event). For the HA mode sensor and re-planning.
   */
  on(event: 'state', listener: (state: DrState) => void): () => void;
}

/** A request the user can fix (opt out with no event, a bad simulate input). */
export class DrRequestError extends Error {
  override readonly name = 'DrRequestError';
}

/** One hour of the event window. `actualKw`/`avoidedKwh`/`goalMetPct` are null until the hour has data. */
export interface DrHourPerformance {
  readonly hourStartMs: number;
  readonly baselineKw: number;
  readonly actualKw: number | null;
  readonly avoidedKwh: number | null;
  readonly goalMetPct: number | null;
}

export interface DrEventPerformance {
  readonly eventId: string;
  /** Which baseline method and which days it used, and the fallback taken, for the user to check. */
  readonly baselineMethod: 'average_day' | 'high_5_of_10';
  readonly baselineDays: readonly string[];
  readonly baselineFallback: string | null;
  readonly goalKw: number;
  readonly hours: readonly DrHourPerformance[];
  readonly avoidedKwh: number;
  readonly goalMetPct: number | null;
  /** Average reduction (kW) × the programme's rate; null without a rate. */
  readonly monthlyValue: number | null;
}

/** Data out: the outbox and the uplink, within the sharing level. */
export interface OutboxStatus {
  readonly pending: number;
  readonly pendingBytes: number;
  readonly maxBytes: number;
  readonly dropped: number;
  readonly sent: number;
  /** The next sequence number to be assigned. */
  readonly nextSeq: number;
  readonly lastError: string | null;
  readonly lastSentAt: string | null;
}

/** The `GET /api/dr` body (and `sps dr status --json`). Extra fields may follow these. */
export interface DrApiStatus {
  readonly mode: DrMode;
  readonly event: {
    readonly id: string;
    readonly program: DrProgram;
    readonly type: DrEventType;
    /** ISO 8601 with an offset. */
    readonly start: string;
    readonly end: string;
    /** The event's own goal, or the user's default when it has none. */
    readonly goal_kw: number;
    readonly opted_out: boolean;
  } | null;
  readonly baseline_kw: number | null;
  readonly actual_kw: number | null;
  readonly avoided_kwh: number;
  readonly sharing: SharingLevel;
  readonly outbox: { readonly pending: number; readonly dropped: number };
  readonly broker: { readonly connected: boolean };
}
