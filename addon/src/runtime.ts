import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SafetyGuard } from '@sps/control';
import { systemClock, type Clock } from '@sps/core';
import type { HaTarget } from '@sps/ha';
import type { FastifyInstance } from 'fastify';
import { DeviceManager } from './device-manager.js';
import type { DriverLookup } from './driver-types.js';
import { installBridge, SUPERVISOR_HA_CONFIG_DIRS, type BridgeInstallResult } from './ha/bridge-installer.js';
import { announceToSupervisor } from './ha/supervisor-discovery.js';
import { HaLink, INGRESS_PANEL_URL, type HaLinkOptions } from './ha/ha-link.js';
import { beyondLoopbackWarning, planHttpExposure } from './http/exposure.js';
import type { HttpLimits } from './http/http-limits.js';
import { buildHttpServer } from './http/server.js';
import type { WriteToken } from './http/write-token.js';
import { ReadingHub } from './hub.js';
import type { Logger } from './logger.js';
import { openArchive, STORE_FILE } from './open-archive.js';
import type { AddonConfig } from './options.js';
import { TimedOverrides } from './overrides.js';
import { ProblemBoard } from './problems.js';
import { PricingHaDevice } from './pricing/ha-pricing.js';
import { PricingRuntime } from './pricing/pricing-runtime.js';
import { localTimeZone } from './pricing/tariff-options.js';
import { OptimizerHaDevice } from './optimizer/ha-optimizer.js';
import { OptimizerRuntime } from './optimizer/optimizer-runtime.js';
import type { ReadingArchive } from './reading-archive.js';
import { isStateStore, MemoryStateStore, type StateStore } from './state-store.js';
import { watchStoreWrites } from './store-health.js';
import { FileWriteLedger } from './write-ledger-file.js';

/** Under the Supervisor the ingress port is fixed by config.yaml. */
export const INGRESS_PORT = 8099;

export interface RuntimeOptions {
  readonly config: AddonConfig;
  readonly dataDir: string;
  readonly supervised: boolean;
  /** The Supervisor's API for the discovery announcement; `http://supervisor` unless a test says otherwise. */
  readonly supervisorUrl?: string;
  readonly drivers: DriverLookup;
  readonly logger: Logger;
  /** Outside the Supervisor: default 127.0.0.1 so the panel is not exposed to the LAN by accident. */
  readonly httpHost?: string;
  /** Overrides the options' http_port (0 = a free port, for tests). */
  readonly httpPort?: number;
  /** Outside the Supervisor: more names the panel is reached by (Host check), e.g. a reverse proxy's. */
  readonly httpHostNames?: readonly string[];
  /** Outside the Supervisor: the write token (--http-token-file, SPS_HTTP_TOKEN); generated when bound beyond loopback. */
  readonly httpWriteToken?: string;
  /** HTTP timeouts and connection cap (tests shorten them). */
  readonly httpLimits?: Partial<HttpLimits>;
  readonly clock?: Clock;
  /** For tests and benchmarks; default the SQLite store in the data dir. */
  readonly archive?: ReadingArchive;
  /** Durable small documents (timed overrides, HA declarations); default the store itself. */
  readonly stateStore?: StateStore;
  /** Home Assistant to connect to (Supervisor or --ha-url/--ha-token); none = no HA. */
  readonly ha?: HaTarget;
  /** Test knobs for the HA client (heartbeat, backoff). */
  readonly haClient?: HaLinkOptions['client'];
  /**
   * Where HA's config folder may be mapped, to install the bundled bridge into
   * (default: /homeassistant, /config under the Supervisor; none outside it).
   */
  readonly haConfigDirs?: readonly string[];
  /** The bridge to install (default: the one shipped next to the add-on). */
  readonly bundledBridgeDir?: string;
  /** How long a failed timed-override restore waits before trying again. */
  readonly overrideRetryMs?: number;
}

export function addonVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The composition root: store, hub, safety guard, device manager and HTTP server,
 * wired together, started, and stopped in the reverse order.
 */
export class AddonRuntime {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly url: string,
    readonly port: number,
    readonly manager: DeviceManager,
    readonly hub: ReadingHub,
    readonly overrides: TimedOverrides,
    readonly ha: HaLink | undefined,
    readonly bridgeInstall: BridgeInstallResult,
    readonly pricing: PricingRuntime,
    readonly optimizer: OptimizerRuntime,
    readonly problems: ProblemBoard,
    /** The token writes need (outside the Supervisor, bound beyond loopback or given); undefined: none. */
    readonly writeToken: WriteToken | undefined,
    private readonly http: FastifyInstance,
    private readonly archive: ReadingArchive,
    private readonly logger: Logger,
  ) {}

  static async start(options: RuntimeOptions): Promise<AddonRuntime> {
    const { config, logger } = options;
    const clock = options.clock ?? systemClock;
    const problems = new ProblemBoard(clock, logger);
    const archive =
      options.archive ??
      openArchive({
        dataDir: options.dataDir,
        rawRetentionMs: config.store.rawRetentionMs,
        aggregateRetentionMs: config.store.aggregateRetentionMs,
        clock,
        logger,
        problems,
      });
    watchStoreWrites(archive, problems, logger, path.join(options.dataDir, STORE_FILE));
    const hub = new ReadingHub((err) => logger.error({ err }, 'a reading subscriber failed'));
    hub.on('readings', ({ deviceId, readings }) => archive.append(deviceId, readings));
    // One write budget with `sps write` run next to the add-on: both count in the data dir's ledger.
    const ledger = FileWriteLedger.inExistingDir(options.dataDir, (err) =>
      logger.warn({ err }, 'write ledger unavailable; the write budget counts only this process'),
    );
    const guard = new SafetyGuard({ limits: config.safety, clock, ...(ledger ? { rateLimit: { ledger } } : {}) });
    const manager = new DeviceManager(config.devices, { drivers: options.drivers, hub, guard, clock, logger });
    const stateStore = options.stateStore ?? (isStateStore(archive) ? archive : new MemoryStateStore());
    const overrides = new TimedOverrides({
      clock,
      store: stateStore,
      logger,
      restoreNormal: (deviceId) => manager.execute(deviceId, { type: 'restore_normal' }),
      ...(options.overrideRetryMs === undefined ? {} : { retryMs: options.overrideRetryMs }),
    });
    manager.events.on('applied', ({ deviceId, command }) => overrides.noteApplied(deviceId, command));
    hub.on('availability', ({ deviceId, availability }) => {
      if (availability.available) overrides.deviceAvailable(deviceId);
    });
    // Prices and forecasts; HA is looked up lazily (it connects later, and may reconnect).
    const haRef: { link?: HaLink } = {};
    const pricing = new PricingRuntime({
      ...(config.tariff === undefined ? {} : { tariff: config.tariff }),
      forecast: config.forecast,
      clock,
      logger,
      state: stateStore,
      archive,
      deviceIds: () => config.devices.map((d) => d.id),
      ha: () => haRef.link?.client,
    });
    // The battery plan: runs with a tariff, on the configured (or first force-chargeable) battery.
    const optimizer = new OptimizerRuntime({
      settings: config.optimizer,
      inputs: pricing,
      manager,
      hub,
      guard,
      clock,
      logger,
      state: stateStore,
      timeZone: config.forecast.load.source === 'store' ? config.forecast.load.timeZone : localTimeZone(),
    });
    const host = options.supervised ? '0.0.0.0' : (options.httpHost ?? '127.0.0.1');
    const port = options.supervised ? INGRESS_PORT : (options.httpPort ?? config.httpPort);
    const { beyondLoopback, writeToken } = planHttpExposure({
      supervised: options.supervised,
      host,
      dataDir: options.dataDir,
      ...(options.httpWriteToken === undefined ? {} : { givenToken: options.httpWriteToken }),
    });
    const http = buildHttpServer({
      pricing,
      optimizer,
      manager,
      hub,
      guard,
      archive,
      clock,
      logger,
      version: addonVersion(),
      startedAt: clock.now(),
      problems,
      ingressOnly: options.supervised,
      access: {
        bindHost: host,
        hostNames: options.httpHostNames ?? [],
        ...(writeToken === undefined ? {} : { writeToken: writeToken.value }),
      },
      ...(options.httpLimits === undefined ? {} : { limits: options.httpLimits }),
    });
    if (beyondLoopback) {
      logger.warn({ host }, beyondLoopbackWarning(host));
    }
    try {
      await http.listen({ host, port });
    } catch (err) {
      await http.close().catch(() => undefined);
      await archive.close();
      throw err;
    }
    const address = http.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
    const url = `http://${shownHost}:${boundPort}/`;
    // Before HA connects, so a fresh copy is followed by the restart notification.
    const bridgeInstall = installBridge({
      configDirs: options.haConfigDirs ?? (options.supervised ? SUPERVISOR_HA_CONFIG_DIRS : []),
      ...(options.bundledBridgeDir === undefined ? {} : { bundledDir: options.bundledBridgeDir }),
      logger,
    });
    const panelUrl = options.supervised ? INGRESS_PANEL_URL : url;
    const optimizerHa = new OptimizerHaDevice(
      optimizer,
      pricing.currency,
      new PricingHaDevice(pricing, clock, panelUrl),
      panelUrl,
    );
    const ha = options.ha
      ? new HaLink({
          target: options.ha,
          addonVersion: addonVersion(),
          manager,
          hub,
          guard,
          store: stateStore,
          clock,
          logger,
          // Outside the Supervisor there is no ingress; the panel's own URL is the link.
          configurationUrl: options.supervised ? INGRESS_PANEL_URL : url,
          bridgeInstall,
          problems,
          extraDevices: optimizerHa,
          extraActions: (action) => optimizerHa.handle(action),
          ...(options.haClient === undefined ? {} : { client: options.haClient }),
        })
      : undefined;
    if (ha) haRef.link = ha;
    ha?.start();
    const supervisorToken = process.env['SUPERVISOR_TOKEN'];
    if (options.supervised && supervisorToken) {
      void announceToSupervisor({
        supervisorUrl: options.supervisorUrl ?? 'http://supervisor',
        token: supervisorToken,
        addonVersion: addonVersion(),
        logger,
      });
    }
    manager.start();
    overrides.resume();
    pricing.start();
    optimizer.start();
    logger.info({ url, devices: config.devices.length, ha: ha !== undefined }, 'Smart Power Station started');
    return new AddonRuntime(
      url,
      boundPort,
      manager,
      hub,
      overrides,
      ha,
      bridgeInstall,
      pricing,
      optimizer,
      problems,
      writeToken,
      http,
      archive,
      logger,
    );
  }

  /** Stop polling and close sockets, then HTTP, then flush and close the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // Timers stop first (pending overrides stay persisted for the next start); closing the
      // HA socket makes HA show every entity unavailable at once.
      this.overrides.stop();
      this.pricing.stop();
      // Before the devices close: a forced mode in force is handed back to the battery.
      await this.optimizer.stop();
      await this.ha?.stop().catch((err: unknown) => this.logger.warn({ err }, 'HA link stop failed'));
      await this.manager.stop();
      await this.http.close().catch((err: unknown) => this.logger.warn({ err }, 'HTTP close failed'));
      try {
        await this.archive.flush();
      } finally {
        await this.archive.close();
      }
      this.logger.info('stopped');
    })();
    return this.stopping;
  }
}
