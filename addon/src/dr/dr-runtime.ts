import {
  DrRequestError,
  type BrokerConnection,
  type DrApiStatus,
  type DrChange,
  type DrEvent,
  type DrMode,
  type DrSignalsApi,
  type DrState,
  type SharingLevel,
  type SignalStats,
  type SimulateEventInput,
} from '@sps/aggregator';
import type { DemandResponseDirective, DemandResponsePort, ForecastPoint, GridMeasurement } from '@sps/control';
import { TypedEmitter, type Clock, type TimerHandle } from '@sps/core';
import type { Logger } from '../logger.js';
import { drDirective, goalKw, sunShinesAt } from './dr-directive.js';
import type { DrSettings } from './dr-options.js';
import type { DrPerformanceSource, DrSharingSource } from './dr-ports.js';
import type { GridMeter } from './grid-meter.js';
import { isoWithOffset } from './zoned-iso.js';

/** How often the views (HA, panel) are refreshed and the mode's time-driven changes are noticed. */
export const DR_TICK_MS = 30_000;
/** A grid measurement older than this is not shown as "actual". */
const FRESH_MS = 5 * 60_000;

export interface DrRuntimeOptions {
  readonly settings: DrSettings;
  readonly signals: DrSignalsApi;
  readonly gridMeter: GridMeter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly performance?: DrPerformanceSource;
  readonly sharing?: DrSharingSource;
  /** The solar forecast (kW per interval): whether the event starts in sunshine. */
  readonly solarForecast?: () => readonly ForecastPoint[] | undefined;
  /** The controller's DR status (the PI's state and error), shown as attributes and in /api/dr. */
  readonly controllerDr?: () => Record<string, unknown> | null;
  /** Called on every change of the directive (the optimiser re-plans). */
  readonly onDirectiveChanged?: () => void;
  /** Started after the signals, stopped before them (the sharing's timers, the tracker). */
  readonly parts?: readonly { start?(): void; stop?(): Promise<void> | void }[];
  /** Closes what the parts share (the aggregator database), after everything stopped. */
  readonly close?: () => void;
}

export interface DrRuntimeEvents extends Record<string, unknown> {
  /** One change of the event calendar (HA fires `smart_power_station_dr_event`). */
  change: DrChange;
  /** Anything shown changed (mode, connection, performance, outbox): refresh the views. */
  updated: void;
}

/** One hour of the event window as /api/dr and the panel show it. */
export interface DrHourView {
  readonly start: string;
  readonly baseline_kw: number;
  readonly actual_kw: number | null;
  readonly avoided_kwh: number | null;
}

/** The `GET /api/dr` body: the contract's fields, then the extras the panel and HA use. */
export interface DrStatusView extends DrApiStatus {
  /** False: demand response is off (the `aggregator` option section is empty). */
  readonly enabled: boolean;
  readonly next: (NonNullable<DrApiStatus['event']> & { readonly simulated: boolean }) | null;
  readonly post_event_until: string | null;
  readonly goal_met_pct: number | null;
  readonly total_avoided_kwh: number;
  readonly monthly_value: number | null;
  readonly baseline_method: string | null;
  readonly hours: readonly DrHourView[];
  readonly pi: Record<string, unknown> | null;
  readonly outbox_detail: {
    readonly pending_bytes: number;
    readonly max_bytes: number;
    readonly sent: number;
    readonly last_error: string | null;
    readonly last_sent_at: string | null;
  } | null;
  readonly connection: {
    readonly configured: boolean;
    readonly url: string | null;
    readonly network: string;
    readonly connected: boolean;
    readonly last_error: string | null;
    readonly since: string | null;
  };
  readonly signals: SignalStats | null;
  readonly grid_meter: string | null;
  readonly time_zone: string | null;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** What /api/dr answers with demand response off: the normal mode, nothing connected, nothing shared. */
export function drOffStatus(): DrStatusView {
  return {
    mode: 'normal',
    event: null,
    baseline_kw: null,
    actual_kw: null,
    avoided_kwh: 0,
    sharing: 'none',
    outbox: { pending: 0, dropped: 0 },
    broker: { connected: false },
    enabled: false,
    next: null,
    post_event_until: null,
    goal_met_pct: null,
    total_avoided_kwh: 0,
    monthly_value: null,
    baseline_method: null,
    hours: [],
    pi: null,
    outbox_detail: null,
    connection: { configured: false, url: null, network: '', connected: false, last_error: null, since: null },
    signals: null,
    grid_meter: null,
    time_zone: null,
  };
}

/**
 * Demand response inside the add-on: composes the aggregator's parts (signals in, performance,
 * sharing out), turns the DR state into the controller's directive (it is the controller's
 * DemandResponsePort), tells the optimiser to re-plan on every change, and keeps one status for
 * HA, /api/dr and the panel.
 */
export class DrRuntime implements DemandResponsePort {
  readonly events: TypedEmitter<DrRuntimeEvents>;
  private readonly log: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private ticker: TimerHandle | undefined;
  private lastMode: DrMode | undefined;
  private lastDirectiveKey = '';
  /** Per event: whether it starts in sunshine, decided once the forecast knows. */
  private readonly sunAtStart = new Map<string, boolean>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: DrRuntimeOptions) {
    this.log = o.logger.child({ component: 'dr' });
    this.events = new TypedEmitter<DrRuntimeEvents>((err) => this.log.error({ err }, 'a DR listener failed'));
  }

  get settings(): DrSettings {
    return this.o.settings;
  }

  /** Connects (when a broker is configured) and starts every part. Never throws. */
  start(): void {
    const { signals } = this.o;
    this.unsubscribe.push(
      signals.on('change', (change) => this.onChange(change)),
      // Changes no DrChange marks (post_event → normal, an updated next event): re-plan and refresh now.
      signals.on('state', () => {
        this.noticeDirective(false);
        this.events.emit('updated', undefined);
      }),
      signals.on('connection', (connection) => {
        // DrSignals logs the link's changes; the views only need refreshing.
        this.log.debug({ connected: connection.connected }, 'aggregator broker: refreshing the views');
        this.events.emit('updated', undefined);
      }),
    );
    try {
      signals.start();
      for (const part of this.o.parts ?? []) part.start?.();
    } catch (err) {
      this.log.error({ err }, 'demand response could not start');
    }
    this.lastMode = this.state().mode;
    this.ticker = this.o.clock.setInterval(() => this.tick(), DR_TICK_MS);
    this.log.info(
      { broker: this.o.settings.broker?.url ?? null, network: this.o.settings.network, sharing: this.sharingLevel() },
      'demand response on',
    );
  }

  /** Stops the parts, then the signals; each bounded by the caller (runtime.ts). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ticker?.cancel();
      for (const off of this.unsubscribe.splice(0)) off();
      for (const part of [...(this.o.parts ?? [])].reverse()) {
        await Promise.resolve(part.stop?.()).catch((err: unknown) => this.log.warn({ err }, 'DR part stop failed'));
      }
      await this.o.signals.stop().catch((err: unknown) => this.log.warn({ err }, 'DR signals stop failed'));
      this.o.gridMeter.stop();
      try {
        this.o.close?.();
      } catch (err) {
        this.log.warn({ err }, 'closing the aggregator database failed');
      }
    })();
    return this.stopping;
  }

  state(): DrState {
    return this.o.signals.state(this.o.clock.now());
  }

  calendar(): readonly DrEvent[] {
    return this.o.signals.events();
  }

  connection(): BrokerConnection {
    return this.o.signals.connection();
  }

  /**
   * Opt out of one event (default the current or next); throws DrRequestError when there is none.
   * Asking again (a double click, two HA calls at once) answers with the event already opted out.
   */
  optOut(eventId?: string): DrEvent {
    if (eventId === undefined) {
      const now = this.o.clock.now();
      const state = this.o.signals.state(now);
      if (state.event?.optedOut && state.event.endMs > now && state.next === null) return state.event;
    }
    return this.o.signals.optOut(eventId);
  }

  /** A test event (HA's simulate_event, the API); throws DrRequestError on a bad input. */
  simulate(input: SimulateEventInput): DrEvent {
    return this.o.signals.simulate(input);
  }

  sharingLevel(): SharingLevel {
    return this.o.sharing?.level() ?? this.o.settings.sharing;
  }

  setSharing(level: SharingLevel): void {
    if (!this.o.sharing) throw new DrRequestError('data sharing is not available');
    this.o.sharing.setLevel(level);
    this.log.info({ level }, 'sharing level changed');
    this.events.emit('updated', undefined);
  }

  // --- DemandResponsePort -------------------------------------------------------------------

  directive(nowMs: number): DemandResponseDirective {
    const state = this.o.signals.state(nowMs);
    const event = state.event;
    return drDirective({
      state,
      settings: this.o.settings,
      nowMs,
      baselineW: event ? this.baselineW(event, nowMs) : null,
      goalKw: event ? this.fixedGoal(event) : null,
      sunShinesAtStart: event ? this.sunShinesAtStart(event) : undefined,
    });
  }

  gridImport(): GridMeasurement | undefined {
    return this.o.gridMeter.measurement();
  }

  // --- views ----------------------------------------------------------------------------------

  /** The `/api/dr` body. */
  status(): DrStatusView {
    const now = this.o.clock.now();
    const state = this.o.signals.state(now);
    const zone = this.o.settings.timeZone;
    const iso = (ms: number): string => isoWithOffset(ms, zone);
    const event = state.event;
    const baselineW = event ? this.baselineW(event, now) : null;
    const performance = event ? (this.o.performance?.performance(event) ?? null) : null;
    const measured = this.o.gridMeter.measurement();
    const fresh = measured !== undefined && now - measured.atMs <= FRESH_MS ? measured : undefined;
    const connection = this.o.signals.connection();
    const outbox = this.o.sharing?.outbox();
    const describe = (e: DrEvent) => ({
      id: e.id,
      program: e.program,
      type: e.type,
      start: iso(e.startMs),
      end: iso(e.endMs),
      goal_kw: round3(
        goalKw(e, this.o.settings, e === event ? baselineW : this.baselineW(e, e.startMs), this.fixedGoal(e)),
      ),
      opted_out: e.optedOut,
    });
    return {
      mode: state.mode,
      event: event ? describe(event) : null,
      baseline_kw: baselineW === null ? null : round3(baselineW / 1000),
      actual_kw: fresh ? round3(fresh.w / 1000) : null,
      avoided_kwh: round3(performance?.avoidedKwh ?? 0),
      sharing: this.sharingLevel(),
      outbox: { pending: outbox?.pending ?? 0, dropped: outbox?.dropped ?? 0 },
      broker: { connected: connection.connected },
      enabled: true,
      next: state.next ? { ...describe(state.next), simulated: state.next.simulated } : null,
      post_event_until: state.postEventUntilMs === null ? null : iso(state.postEventUntilMs),
      goal_met_pct: performance?.goalMetPct ?? null,
      total_avoided_kwh: round3(this.o.performance?.totalAvoidedKwh() ?? 0),
      monthly_value: performance?.monthlyValue ?? null,
      baseline_method: performance?.baselineMethod ?? null,
      hours: performance
        ? performance.hours.map((h) => ({
            start: iso(h.hourStartMs),
            baseline_kw: round3(h.baselineKw),
            actual_kw: h.actualKw === null ? null : round3(h.actualKw),
            avoided_kwh: h.avoidedKwh === null ? null : round3(h.avoidedKwh),
          }))
        : this.plannedHours(event).map((h) => ({
            start: iso(h.hourStartMs),
            baseline_kw: round3(h.baselineKw),
            actual_kw: null,
            avoided_kwh: null,
          })),
      pi: this.o.controllerDr?.() ?? null,
      outbox_detail: outbox
        ? {
            pending_bytes: outbox.pendingBytes,
            max_bytes: outbox.maxBytes,
            sent: outbox.sent,
            last_error: outbox.lastError,
            last_sent_at: outbox.lastSentAt,
          }
        : null,
      connection: {
        configured: this.o.settings.broker !== undefined,
        url: this.o.settings.broker ? redactUrl(this.o.settings.broker.url) : null,
        network: this.o.settings.network,
        connected: connection.connected,
        last_error: connection.lastError,
        since: connection.since,
      },
      signals: this.o.signals.stats(),
      grid_meter: this.o.gridMeter.deviceId(),
      time_zone: zone,
    };
  }

  // --- internals ------------------------------------------------------------------------------

  private baselineW(event: DrEvent, atMs: number): number | null {
    try {
      return this.o.performance?.baselineW(event, atMs) ?? null;
    } catch (err) {
      this.log.warn({ err }, 'baseline unavailable');
      return null;
    }
  }

  /** Before an event has measured anything: its baseline hours, for the panel's chart. */
  private plannedHours(event: DrEvent | null): readonly { hourStartMs: number; baselineKw: number }[] {
    if (!event) return [];
    try {
      return this.o.performance?.baselineHours?.(event) ?? [];
    } catch (err) {
      this.log.warn({ err }, 'baseline hours unavailable');
      return [];
    }
  }

  private fixedGoal(event: DrEvent): number | null {
    try {
      return this.o.performance?.eventGoalKw?.(event) ?? null;
    } catch (err) {
      this.log.warn({ err }, 'event goal unavailable');
      return null;
    }
  }

  private sunShinesAtStart(event: DrEvent): boolean | undefined {
    const known = this.sunAtStart.get(event.id);
    if (known !== undefined) return known;
    const answer = sunShinesAt(this.o.solarForecast?.(), event.startMs);
    if (answer !== undefined) this.sunAtStart.set(event.id, answer);
    return answer;
  }

  private onChange(change: DrChange): void {
    // DrSignals logs each change at info; here only what the runtime does with it.
    this.log.debug({ kind: change.kind, event: change.event.id }, 'DR change: re-planning and refreshing the views');
    this.events.emit('change', change);
    this.noticeDirective(true);
    this.events.emit('updated', undefined);
  }

  private tick(): void {
    this.noticeDirective(false);
    this.events.emit('updated', undefined);
  }

  /** The optimiser re-plans when the directive's shape changes (mode, event, target), not every tick. */
  private noticeDirective(force: boolean): void {
    const now = this.o.clock.now();
    const mode = this.o.signals.state(now).mode;
    const d = this.directive(now);
    const key = JSON.stringify({ ...d, ...('importSetpointW' in d ? { importSetpointW: 0 } : {}) });
    if (!force && key === this.lastDirectiveKey && mode === this.lastMode) return;
    this.lastDirectiveKey = key;
    this.lastMode = mode;
    try {
      this.o.onDirectiveChanged?.();
    } catch (err) {
      this.log.warn({ err }, 're-plan after a DR change failed');
    }
  }
}

/** A broker URL without its credentials, for display. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
