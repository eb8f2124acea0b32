import path from 'node:path';
import {
  DrPerformanceTracker,
  DrSharing,
  DrSignals,
  HttpUplink,
  averageDayBaseline,
  openAggregatorDatabase,
  type CblResult,
  type DrChange,
  type DrEvent,
} from '@sps/aggregator';
import type { ForecastPoint } from '@sps/control';
import type { Clock } from '@sps/core';
import type { HistoryResult } from '@sps/store';
import type { ReadingHub } from '../hub.js';
import type { ReadingArchive } from '../reading-archive.js';
import type { Logger } from '../logger.js';
import { BASELINE_HISTORY_DAYS, eventDaysOf, gridImportHourly, type HistorySource } from './grid-history.js';
import type { DrSettings } from './dr-options.js';
import type { DrPerformanceSource, DrSharingSource } from './dr-ports.js';
import { DrRuntime } from './dr-runtime.js';
import { GridMeter } from './grid-meter.js';

/** The aggregator's database in the data dir: the event book, the tracker's hours, the outbox. */
export const AGGREGATOR_DB_FILE = 'aggregator.sqlite';
const DAY_MS = 86_400_000;
/** A baseline that could not be computed is tried again after this long. */
const RETRY_BASELINE_MS = 60_000;

export interface OpenDrOptions {
  readonly settings: DrSettings;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hub: ReadingHub;
  /** The store (the baseline's 30 days of grid import). */
  readonly archive: ReadingArchive;
  /** The optimised battery (its grid_power is the default grid meter). */
  readonly batteryDevice: () => string | null;
  readonly solarForecast?: () => readonly ForecastPoint[] | undefined;
  readonly controllerDr?: () => Record<string, unknown> | null;
  readonly onDirectiveChanged?: () => void;
  /** Tests: `:memory:`; default the file in the data dir. */
  readonly databaseFile?: string;
  readonly addonVersion?: string;
}

/**
 * Builds demand response from the aggregator's real parts, on one `aggregator.sqlite`: DrSignals
 * (broker and calendar), DrPerformanceTracker (fed by the grid meter's readings; its baseline
 * computed from the store's history at the event's start, and on receipt for the upcoming display),
 * and DrSharing (fed by the changes, each event's performance and the readings).
 */
export function openDrRuntime(o: OpenDrOptions): DrRuntime {
  const { settings, clock } = o;
  const log = o.logger.child({ component: 'dr' });
  const db = openAggregatorDatabase(o.databaseFile ?? path.join(o.dataDir, AGGREGATOR_DB_FILE));
  try {
    const signals = new DrSignals({
      db,
      clock,
      logger: log,
      ...(settings.broker === undefined
        ? {}
        : { broker: { ...settings.broker, clientId: `sps-${settings.participant}` } }),
      network: settings.network,
      timeZone: settings.timeZone,
    });
    const tracker = new DrPerformanceTracker({
      db,
      ...('kw' in settings.goal ? { defaultGoalKw: settings.goal.kw } : {}),
      ratePerKwMonth: settings.ratePerKwMonth ?? null,
      logger: log,
    });
    const sharing = new DrSharing({
      db,
      clock,
      site: settings.participant,
      level: settings.sharing,
      uplink: settings.uplink
        ? new HttpUplink({
            url: settings.uplink.url,
            ...(settings.uplink.token === undefined ? {} : { token: settings.uplink.token }),
            userAgent: `smart-power-station/${o.addonVersion ?? '0'}`,
            // Node's default probes an idle kept-open socket every second (~270 MB a month, measured with `ss -tno`
            // while building remote telemetry); a station on a capped link cannot afford that.
            tcpKeepAliveMs: 10 * 60_000,
          })
        : null,
      publish: settings.broker ? (topic, payload) => signals.publish(topic, payload) : null,
      timeZone: settings.timeZone,
      logger: log,
    });
    const gridMeter = new GridMeter(o.hub, () => [settings.gridMeter, o.batteryDevice()]);
    const baselines = new EventBaselines(
      settings,
      syncHistory(o.archive),
      gridMeter,
      o.batteryDevice,
      signals,
      tracker,
      log,
      clock,
    );

    const performance: DrPerformanceSource = {
      baselineW: (event, atMs) => {
        const kw = tracker.baselineNowKw(atMs);
        if (kw !== null && atMs >= event.startMs) return kw * 1000;
        return baselines.hourW(event, atMs);
      },
      performance: (event) => {
        const perf = tracker.current(clock.now());
        return perf !== null && perf.eventId === event.id ? perf : null;
      },
      totalAvoidedKwh: () => tracker.totalAvoidedKwh(),
      eventGoalKw: (event) => baselines.goalKw(event),
      baselineHours: (event) => baselines.hours(event),
    };
    const sharingSource: DrSharingSource = {
      level: () => sharing.level(),
      setLevel: (level) => sharing.setLevel(level),
      outbox: () => sharing.status().outbox,
    };

    // Feeds. The grid meter's device drives the tracker; every reading goes to sharing (which
    // keeps only what the level allows).
    const offReadings = o.hub.on('readings', ({ deviceId, readings }) => {
      sharing.noteReadings(deviceId, readings.timestamp, readings.values);
      if (deviceId !== gridMeter.deviceId()) return;
      const w = readings.values['grid_power'];
      if (typeof w === 'number' && Number.isFinite(w)) tracker.recordGrid(readings.timestamp, w);
    });
    const onChange = (change: DrChange): void => {
      try {
        sharing.noteChange(change);
      } catch (err) {
        // Sharing must never stop the event's own handling (the baseline, the measurement).
        log.error({ err }, 'sharing: the change could not be noted');
      }
      const event = change.event;
      switch (change.kind) {
        case 'received':
          baselines.prepare(event);
          break;
        case 'started':
          if (!event.optedOut) baselines.begin(event);
          break;
        case 'cancelled':
        case 'opted_out': {
          // Cut short: what was measured until now is the event's result (nothing, before it started).
          const measured = tracker.current(change.atMs);
          tracker.endEvent(event.id, change.atMs);
          if (measured && measured.eventId === event.id && change.atMs > event.startMs) {
            const perf = tracker.current(change.atMs);
            if (perf) sharing.notePerformance(perf);
          }
          break;
        }
        case 'ended': {
          const perf = tracker.current(change.atMs);
          if (perf && perf.eventId === event.id) sharing.notePerformance(perf);
          break;
        }
      }
    };
    const offChange = signals.on('change', onChange);
    const offConnection = signals.on('connection', (c) => {
      if (c.connected) sharing.reannounce();
    });

    return new DrRuntime({
      settings,
      signals,
      gridMeter,
      clock,
      logger: o.logger,
      performance,
      sharing: sharingSource,
      ...(o.solarForecast === undefined ? {} : { solarForecast: o.solarForecast }),
      ...(o.controllerDr === undefined ? {} : { controllerDr: o.controllerDr }),
      ...(o.onDirectiveChanged === undefined ? {} : { onDirectiveChanged: o.onDirectiveChanged }),
      parts: [
        {
          // A restart in the middle of an event resumes its measurement (the tracker finds its hours).
          start: () => {
            const state = signals.state(clock.now());
            if (state.mode === 'ongoing' && state.event && !state.event.optedOut) baselines.begin(state.event);
            for (const e of signals.events()) if (e.startMs > clock.now()) baselines.prepare(e);
            sharing.start();
          },
          stop: async () => {
            offReadings();
            offChange();
            offConnection();
            try {
              tracker.flush();
            } catch (err) {
              log.warn({ err }, 'DR performance could not be saved');
            }
            await sharing.stop();
          },
        },
      ],
      close: () => db.close(),
    });
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Each event's customer baseline: computed from the store's history when the event is received
 * (for the upcoming display and the goal), and again at its start, when it is fixed in the
 * tracker. The Con Edison average-day method on the grid meter's hourly import, in the
 * programme's zone, with past event days excluded.
 */
class EventBaselines {
  private readonly cache = new Map<string, { cbl: CblResult; goalKw: number; meter: string; atMs: number }>();

  constructor(
    private readonly settings: DrSettings,
    private readonly history: HistorySource,
    private readonly meter: GridMeter,
    private readonly batteryDevice: () => string | null,
    private readonly signals: DrSignals,
    private readonly tracker: DrPerformanceTracker,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  prepare(event: DrEvent): CblResult | null {
    const meter = this.meterDevice();
    const cached = this.cache.get(event.id);
    // Kept while the meter is the same; a failed one is tried again a minute later (history grows,
    // the meter's first readings arrive), never on every status call.
    if (cached && (meter === null || cached.meter === meter)) {
      if (cached.cbl.reason === null || this.clock.now() - cached.atMs < RETRY_BASELINE_MS) return cached.cbl;
    }
    if (meter === null) {
      this.log.debug({ event: event.id }, 'no grid meter yet: the baseline waits for its first reading');
      return null;
    }
    const cbl = this.compute(event, meter);
    if (cbl) this.cache.set(event.id, { cbl, goalKw: this.resolveGoal(event, cbl), meter, atMs: this.clock.now() });
    return cbl;
  }

  private meterDevice(): string | null {
    return this.settings.gridMeter ?? this.batteryDevice() ?? this.meter.deviceId();
  }

  begin(event: DrEvent): void {
    // At the start, with the history up to now (the received-time one may be days old).
    this.cache.delete(event.id);
    const cbl = this.prepare(event);
    if (!cbl) return;
    try {
      this.tracker.beginEvent(event, cbl, this.cache.get(event.id)?.goalKw);
    } catch (err) {
      this.log.error({ err }, 'DR performance could not start for the event');
    }
  }

  hourW(event: DrEvent, atMs: number): number | null {
    const cbl = this.prepare(event);
    if (!cbl || cbl.reason !== null || cbl.hourlyKw.length === 0) return null;
    let index = cbl.hourStartMs.findIndex(
      (start, i) => atMs >= start && atMs < (cbl.hourStartMs[i + 1] ?? event.endMs),
    );
    // Before the event (upcoming): its first hour.
    if (index < 0) index = atMs < event.startMs ? 0 : cbl.hourlyKw.length - 1;
    const kw = cbl.hourlyKw[index];
    return kw === undefined ? null : kw * 1000;
  }

  hours(event: DrEvent): { hourStartMs: number; baselineKw: number }[] {
    const cbl = this.prepare(event);
    if (!cbl || cbl.reason !== null) return [];
    return cbl.hourStartMs.flatMap((hourStartMs, i) => {
      const kw = cbl.hourlyKw[i];
      return kw === undefined ? [] : [{ hourStartMs, baselineKw: kw }];
    });
  }

  goalKw(event: DrEvent): number | null {
    this.prepare(event);
    return this.cache.get(event.id)?.goalKw ?? null;
  }

  private resolveGoal(event: DrEvent, cbl: CblResult): number {
    if (event.goalKw !== null) return event.goalKw;
    const pct = event.goalPct ?? ('pct' in this.settings.goal ? this.settings.goal.pct : null);
    if (pct === null) return 'kw' in this.settings.goal ? this.settings.goal.kw : 0;
    const avg = cbl.hourlyKw.length === 0 ? 0 : cbl.hourlyKw.reduce((a, b) => a + b, 0) / cbl.hourlyKw.length;
    return Math.round(avg * pct * 10) / 1000;
  }

  private compute(event: DrEvent, deviceId: string): CblResult | null {
    try {
      const hourly = gridImportHourly(this.history, {
        deviceId,
        key: 'grid_power',
        fromMs: event.startMs - BASELINE_HISTORY_DAYS * DAY_MS,
        toMs: event.startMs,
        timeZone: this.settings.timeZone,
      });
      const past = [
        ...this.signals.events().filter((e) => e.id !== event.id && e.startMs < event.startMs),
        ...this.tracker.pastEvents().filter((e) => e.id !== event.id),
      ];
      const cbl = averageDayBaseline({
        eventStartMs: event.startMs,
        eventEndMs: event.endMs,
        timeZone: this.settings.timeZone,
        hourly,
        eventDays: eventDaysOf(past, this.settings.timeZone),
      });
      this.log.info(
        { event: event.id, meter: deviceId, days: cbl.days, fallback: cbl.fallback, reason: cbl.reason },
        cbl.reason === null ? 'baseline for the event' : 'no baseline for the event',
      );
      return cbl;
    } catch (err) {
      this.log.warn({ err, event: event.id }, 'no baseline for the event');
      return null;
    }
  }
}

/**
 * The baseline reads history synchronously (ReadingStore answers at once); an archive that
 * answers asynchronously (none in the add-on today) gives no history, so no baseline.
 */
function syncHistory(archive: ReadingArchive): HistorySource {
  return {
    history: (query) => {
      const answer = archive.history(query);
      if (answer instanceof Promise) {
        answer.catch(() => undefined);
        return { resolution: 'raw', points: [] };
      }
      return { resolution: answer.resolution, points: [...answer.points] } as HistoryResult;
    },
  };
}
