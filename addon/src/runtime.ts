import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SafetyGuard } from '@sps/control';
import { systemClock, type Clock } from '@sps/core';
import { HaEntityStates, type HaLogger, type HaTarget } from '@sps/ha';
import type { FastifyInstance } from 'fastify';
import { DeviceManager, UnknownDeviceError } from './device-manager.js';
import { DeviceHandBack } from './hand-back.js';
import type { DriverLookup } from './driver-types.js';
import { ALARM_STOP_BUDGET_MS, AlarmRuntime } from './alarms/alarm-runtime.js';
import { AlarmsHaDevice } from './alarms/ha-alarms.js';
import { installBridge, SUPERVISOR_HA_CONFIG_DIRS, type BridgeInstallResult } from './ha/bridge-installer.js';
import { announceToSupervisor } from './ha/supervisor-discovery.js';
import { HaLink, INGRESS_PANEL_URL, type HaLinkOptions } from './ha/ha-link.js';
import { beyondLoopbackWarning, planHttpExposure } from './http/exposure.js';
import type { HttpLimits } from './http/http-limits.js';
import { buildHttpServer } from './http/server.js';
import { createQueryHandler } from './ha/query-handler.js';
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
import { curtailableRelays } from './dr/curtailable-relays.js';
import type { DrRuntime } from './dr/dr-runtime.js';
import { DrHaDevice, drOffActions } from './dr/ha-dr.js';
import { AGGREGATOR_DB_FILE, openDrRuntime } from './dr/open-dr.js';
import { openTelemetryRuntime, type TelemetryRuntime } from './telemetry/open-telemetry.js';
import type { ReadingArchive } from './reading-archive.js';
import {
  DEVICE_CLOSE_BUDGET_MS,
  DR_STOP_BUDGET_MS,
  HAND_BACK_BUDGET_MS,
  HTTP_CLOSE_BUDGET_MS,
  OPTIMIZER_STOP_BUDGET_MS,
} from './shutdown.js';
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
  /** The hand-back's first wait after a failed attempt (doubles up to 30 s); tests shorten it. */
  readonly handBackRetryMs?: number;
  /** The shutdown's hand-back budget (default HAND_BACK_BUDGET_MS). */
  readonly handBackBudgetMs?: number;
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
    /** Demand response; undefined when the `aggregator` section is empty (DR off). */
    readonly dr: DrRuntime | undefined,
    readonly problems: ProblemBoard,
    /** The token writes need (outside the Supervisor, bound beyond loopback or given); undefined: none. */
    readonly writeToken: WriteToken | undefined,
    readonly handBack: DeviceHandBack,
    private readonly http: FastifyInstance,
    private readonly archive: ReadingArchive,
    private readonly logger: Logger,
    private readonly handBackBudgetMs: number,
    /** Alarm rules on the hub's readings, their HA entities and notifications. */
    readonly alarms: AlarmRuntime,
    /** Remote telemetry; undefined unless `telemetry.enabled`. */
    readonly telemetry?: TelemetryRuntime,
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
    // The drivers on HA entities (ha-battery, ha-ev-charger) read and write through the HA link's
    // connection once it exists (below); without HA they stay unavailable, saying so.
    const haEntities = options.ha ? new HaEntityStates(haEntityLogger(logger)) : undefined;
    const manager = new DeviceManager(config.devices, {
      drivers: options.drivers,
      hub,
      guard,
      clock,
      logger,
      dataDir: options.dataDir,
      ...(haEntities === undefined ? {} : { ha: haEntities }),
    });
    const stateStore = options.stateStore ?? (isStateStore(archive) ? archive : new MemoryStateStore());
    // The one persistent way back to a device's own mode: overrides, the optimiser and shutdown use it.
    const handBack = new DeviceHandBack({
      clock,
      store: stateStore,
      logger,
      problems,
      restoreNormal: (deviceId) => {
        const runner = manager.get(deviceId);
        return runner ? runner.restoreNormal() : Promise.reject(new UnknownDeviceError(deviceId));
      },
      isKnown: (deviceId) => manager.get(deviceId) !== undefined,
      deviceName: (deviceId) => manager.get(deviceId)?.config.name ?? deviceId,
      ...(options.handBackRetryMs === undefined ? {} : { firstRetryMs: options.handBackRetryMs }),
    });
    const overrides = new TimedOverrides({ clock, store: stateStore, logger, handBack });
    manager.events.on('applied', ({ deviceId, command }) => {
      handBack.noteApplied(deviceId, command);
      overrides.noteApplied(deviceId, command);
    });
    hub.on('availability', ({ deviceId, availability }) => {
      if (availability.available) handBack.deviceAvailable(deviceId);
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
    // Demand response (only with an `aggregator` section): its directive is the controller's DR port,
    // each change re-plans. The optimiser is built next; the DR runtime reaches it lazily.
    const optimizerRef: { runtime?: OptimizerRuntime } = {};
    const drSettings = config.aggregator;
    const dr = drSettings
      ? openDrOrReport(problems, logger, () =>
          openDrRuntime({
            settings: drSettings,
            dataDir: options.dataDir,
            clock,
            logger,
            hub,
            archive,
            batteryDevice: () => optimizerRef.runtime?.view().batteryDevice ?? null,
            solarForecast: () => pricing.solar?.current().points,
            controllerDr: () => {
              const status = optimizerRef.runtime?.view().status?.demandResponse;
              return status ? { ...status } : null;
            },
            onDirectiveChanged: () => optimizerRef.runtime?.demandResponseChanged(),
            addonVersion: addonVersion(),
          }),
        )
      : undefined;
    // Remote telemetry (only with `telemetry.enabled`): its own stream in the same outbox file.
    const telemetrySettings = config.telemetry;
    const telemetry = telemetrySettings
      ? openTelemetryOrReport(problems, logger, () =>
          openTelemetryRuntime({
            settings: telemetrySettings,
            dataDir: options.dataDir,
            clock,
            logger,
            hub,
            addonVersion: addonVersion(),
          }),
        )
      : undefined;
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
      handBack,
      // The cost history (/api/readings/history?key=cost) is what the plans booked, interval by interval.
      onIntervalCost: (deviceId, c) =>
        archive.append(deviceId, { timestamp: c.start, values: { cost: c.cost, cost_baseline: c.baseline } }),
      deferrableLoads: config.deferrableLoads,
      ...(dr && config.aggregator
        ? {
            demandResponse: dr,
            curtailableRelays: curtailableRelays(config.aggregator.allowCurtailment, config.devices, manager, hub),
            allowShifting: config.aggregator.allowShifting,
          }
        : {}),
    });
    optimizerRef.runtime = optimizer;
    const deviceName = (id: string): string => manager.get(id)?.config.name ?? id;
    const alarms = new AlarmRuntime({
      settings: config.alarms,
      hub,
      deviceIds: config.devices.map((d) => d.id),
      deviceName,
      store: stateStore,
      clock,
      logger,
      // The notify services are HA's; looked up per call (HA connects later, and may reconnect).
      ha: () => haRef.link?.client,
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
      ...(dr === undefined ? {} : { dr }),
      ...(telemetry === undefined ? {} : { telemetry }),
      manager,
      hub,
      guard,
      archive,
      clock,
      logger,
      version: addonVersion(),
      startedAt: clock.now(),
      problems,
      alarms,
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
      if (dr) await withinBudget(dr.stop(), DR_STOP_BUDGET_MS).catch(() => undefined);
      if (telemetry) await withinBudget(telemetry.stop(), DR_STOP_BUDGET_MS).catch(() => undefined);
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
    const drHa = dr ? new DrHaDevice(dr, clock, optimizerHa, panelUrl) : undefined;
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
          extraDevices: new AlarmsHaDevice(alarms, deviceName, drHa ?? optimizerHa, panelUrl),
          extraActions: (action) => (drHa ? drHa.handle(action) : drOffActions(action)) ?? optimizerHa.handle(action),
          // The add-on reads its own API over loopback (or the one address it is bound to).
          query: createQueryHandler(() => `http://${queryHost(host)}:${boundPort}`),
          ...(options.haClient === undefined ? {} : { client: options.haClient }),
        })
      : undefined;
    if (ha) haRef.link = ha;
    // A new alarm (a device's first SOC reading, a BMS bit) is a new HA entity. The alarms a device's first answer
    // brings (or the start-up's device_unavailable ones) arrive together: one declaration for all of them.
    if (ha) {
      let redeclaring = false;
      alarms.events.on('discovered', () => {
        if (redeclaring) return;
        redeclaring = true;
        queueMicrotask(() => {
          redeclaring = false;
          ha.redeclareDevices();
        });
      });
    }
    if (ha) haEntities?.attach(ha.client);
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
    // Before the devices: an alarm restored from the last run must see their first answers.
    alarms.start();
    manager.start();
    // Devices an earlier run left forced are handed back before anything else may force them.
    handBack.resume();
    overrides.resume();
    pricing.start();
    // Before the optimiser: its first plan already sees an event in force.
    dr?.start();
    telemetry?.start();
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
      dr,
      problems,
      writeToken,
      handBack,
      http,
      archive,
      logger,
      options.handBackBudgetMs ?? HAND_BACK_BUDGET_MS,
      alarms,
      telemetry,
    );
  }

  /**
   * Shutdown, in the order that keeps a battery safe (DOCS.md "Stopping"), idempotent:
   * 1. HTTP first: the listener closes and every open connection (in-flight requests, live
   *    streams) is dropped, so no client can start a new force or keep the event loop busy;
   * 2. timers: timed overrides, prices, the optimiser's loop (without its own hand-back), demand
   *    response (its broker link, sharing's outbox; bounded by DR_STOP_BUDGET_MS), polling;
   * 3. every device the add-on left forced is handed back, in parallel, within the hand-back
   *    budget (what is not back in its own mode by then stays recorded for the next start);
   * 4. the HA link, the devices' connections, and last the store.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.closeHttp();
      this.overrides.stop();
      this.pricing.stop();
      await Promise.all([
        withinBudget(this.optimizer.stop({ handBack: false }), OPTIMIZER_STOP_BUDGET_MS).catch((err: unknown) =>
          this.logger.warn({ err }, 'optimiser stop failed'),
        ),
        this.dr
          ? withinBudget(this.dr.stop(), DR_STOP_BUDGET_MS).catch((err: unknown) =>
              this.logger.warn({ err }, 'demand response stop failed'),
            )
          : undefined,
        // The minutes gathered are stored before the outbox stops (nothing lost on SIGTERM).
        this.telemetry
          ? withinBudget(this.telemetry.stop(), DR_STOP_BUDGET_MS).catch((err: unknown) =>
              this.logger.warn({ err }, 'telemetry stop failed'),
            )
          : undefined,
      ]);
      // Alarms stop watching (a device going away during shutdown is not an alarm); a notify call in flight gets a moment.
      await withinBudget(this.alarms.stop(), ALARM_STOP_BUDGET_MS).catch((err: unknown) =>
        this.logger.warn({ err }, 'alarms stop failed'),
      );
      this.manager.quiesce();
      const outcomes = await this.handBack.handBackAll(this.handBackBudgetMs);
      this.handBack.stop();
      for (const [device, outcome] of outcomes) {
        if (outcome === 'restored') continue;
        this.logger.error({ device, outcome }, 'device still forced at shutdown; it is handed back at the next start');
      }
      await this.ha?.stop().catch((err: unknown) => this.logger.warn({ err }, 'HA link stop failed'));
      // A request still in flight to a hung device must not hold the store's flush back.
      await withinBudget(this.manager.stop(), DEVICE_CLOSE_BUDGET_MS);
      try {
        await this.archive.flush();
      } finally {
        await this.archive.close();
      }
      this.logger.info('stopped');
    })();
    return this.stopping;
  }

  /** Stop listening and drop every open connection, so no client can hold the shutdown back. */
  private async closeHttp(): Promise<void> {
    const closing = this.http.close().catch((err: unknown) => this.logger.warn({ err }, 'HTTP close failed'));
    // close() alone waits for in-flight requests and live streams; 200 busy clients must not hold
    // the hand-back back. Once more on the next turn, for a connection accepted in between.
    this.http.server.closeAllConnections();
    setImmediate(() => this.http.server.closeAllConnections());
    await withinBudget(closing, HTTP_CLOSE_BUDGET_MS);
  }
}

/** Problem id when demand response is configured but cannot run (its database cannot be opened). */
export const DR_UNAVAILABLE_PROBLEM = 'dr_unavailable';

/**
 * Demand response is one feature among many: if it cannot start (aggregator.sqlite unwritable,
 * a damaged file), the add-on runs on without it and says so on the board (health, panel).
 */
function openDrOrReport(problems: ProblemBoard, logger: Logger, open: () => DrRuntime): DrRuntime | undefined {
  try {
    return open();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.error({ err }, 'demand response cannot start; running without it');
    problems.raise({
      id: DR_UNAVAILABLE_PROBLEM,
      severity: 'error',
      message: `Demand response is off: ${AGGREGATOR_DB_FILE} cannot be opened (${reason}). Check the data folder, then restart the add-on.`,
    });
    return undefined;
  }
}

/** Telemetry is optional too: if aggregator.sqlite cannot be opened, the add-on runs on and says so. */
function openTelemetryOrReport(
  problems: ProblemBoard,
  logger: Logger,
  open: () => TelemetryRuntime,
): TelemetryRuntime | undefined {
  try {
    return open();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.error({ err }, 'remote telemetry cannot start; running without it');
    problems.raise({
      id: 'telemetry_unavailable',
      severity: 'error',
      message: `Remote telemetry is off: ${AGGREGATOR_DB_FILE} cannot be opened (${reason}). Check the data folder, then restart the add-on.`,
    });
    return undefined;
  }
}

/** Resolves when `work` does or when `ms` have passed, whichever is first (the work is not cancelled). */
function withinBudget(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

function haEntityLogger(logger: Logger): HaLogger {
  const log = logger.child({ component: 'ha-entities' });
  return {
    debug: (m) => log.debug(m),
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  };
}

/** Where the add-on reaches its own HTTP server: loopback when bound to every address. */
function queryHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '' || bindHost === '::' || bindHost === '[::]') return '127.0.0.1';
  return bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
}
