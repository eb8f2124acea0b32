import path from 'node:path';
import {
  HttpUplink,
  MqttUplink,
  TelemetryProfile,
  openAggregatorDatabase,
  type TelemetryAlarmEvent,
  type TelemetryStatus,
  type Uplink,
} from '@sps/aggregator';
import type { Clock } from '@sps/core';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { TelemetrySettings } from './telemetry-options.js';

/** The outbox's file, shared with demand response (its own stream, `telemetry`). */
export const TELEMETRY_DB_FILE = 'aggregator.sqlite';
/** TCP keep-alive probes on the kept-alive HTTPS socket at most this often (Node's default is every second). */
const TCP_KEEPALIVE_MS = 10 * 60_000;

export interface OpenTelemetryOptions {
  readonly settings: TelemetrySettings;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hub: ReadingHub;
  readonly addonVersion?: string;
  /** Tests: `:memory:`; default the file in the data dir. */
  readonly databaseFile?: string;
}

/** What the add-on holds: start, stop (stores the minutes gathered), the status, and the alarms hook. */
export interface TelemetryRuntime {
  start(): void;
  stop(): Promise<void>;
  status(): TelemetryStatus;
  /** For the alarms module (issue 13, part 5): each alarm start and clear; sent when `include_alarms`. */
  noteAlarm(alarm: TelemetryAlarmEvent): void;
}

function makeUplink(settings: TelemetrySettings, o: OpenTelemetryOptions, log: Logger): Uplink {
  const t = settings.transport;
  if (t.kind === 'http') {
    return new HttpUplink({
      url: t.url,
      ...(t.token === undefined ? {} : { token: t.token }),
      ...(t.ca === undefined ? {} : { ca: t.ca }),
      // The frame is compressed already; gzip on top would only add its header.
      gzip: false,
      tcpKeepAliveMs: TCP_KEEPALIVE_MS,
      userAgent: `smart-power-station/${o.addonVersion ?? '0'}`,
    });
  }
  return new MqttUplink({
    broker: {
      url: t.url,
      clientId: `sps-telemetry-${settings.site}`,
      ...(t.username === undefined ? {} : { username: t.username }),
      ...(t.password === undefined ? {} : { password: t.password }),
      ...(t.ca === undefined ? {} : { ca: t.ca }),
      ...(t.cert === undefined ? {} : { cert: t.cert }),
      ...(t.key === undefined ? {} : { key: t.key }),
    },
    topic: t.topic,
    clock: o.clock,
    logger: log,
  });
}

/** Builds the telemetry profile on aggregator.sqlite and feeds it every reading from the hub. */
export function openTelemetryRuntime(o: OpenTelemetryOptions): TelemetryRuntime {
  const { settings, clock } = o;
  const log = o.logger.child({ component: 'telemetry' });
  const db = openAggregatorDatabase(o.databaseFile ?? path.join(o.dataDir, TELEMETRY_DB_FILE));
  let profile: TelemetryProfile;
  try {
    profile = new TelemetryProfile({
      db,
      clock,
      site: settings.site,
      uplink: makeUplink(settings, o, log),
      fields: settings.fields,
      devices: settings.devices,
      includeAlarms: settings.includeAlarms,
      intervalMs: settings.intervalMs,
      batchMs: settings.batchMs,
      logger: log,
    });
  } catch (err) {
    db.close();
    throw err;
  }
  let off: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  return {
    start: () => {
      if (off || stopping) return;
      off = o.hub.on('readings', ({ deviceId, readings }) => {
        profile.noteReadings(deviceId, readings.timestamp, readings.values);
      });
      profile.start();
      log.info(
        {
          transport: settings.transport.kind,
          batchMinutes: settings.batchMs / 60_000,
          devices: settings.devices ?? 'batteries',
        },
        'remote telemetry started',
      );
    },
    stop: () => {
      stopping ??= (async () => {
        off?.();
        try {
          await profile.stop();
        } finally {
          db.close();
        }
      })();
      return stopping;
    },
    status: () => profile.status(),
    noteAlarm: (alarm) => profile.noteAlarm(alarm),
  };
}
