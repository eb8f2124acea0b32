import type { SafetyGuard } from '@sps/control';
import type { Clock } from '@sps/core';
import {
  HaBridgeClient,
  type ActionReply,
  type BridgeAction,
  type BridgeStatus,
  type HaLogger,
  type HaRepairIssue,
  type HaTarget,
} from '@sps/ha';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { Problem, ProblemBoard } from '../problems.js';
import type { StateStore } from '../state-store.js';
import { createHaActionHandler } from './action-handler.js';
import { restartNotification, type BridgeInstallResult } from './bridge-installer.js';
import { DeviceCatalogue } from './device-catalogue.js';
import type { ExtraHaDevices } from '../pricing/ha-pricing.js';

/** The add-on's panel as HA links to it (device page → "Visit"). */
export const INGRESS_PANEL_URL = 'homeassistant://hassio/ingress/smart_power_station';
export const BRIDGE_NOTIFICATION_ID = 'smart_power_station_bridge';
/**
 * ProblemBoard id while HA refuses the token for want of admin rights. The add-on cannot raise it as an HA repair
 * (HA refuses its commands); the bridge (0.2.0+) raises its own `token_not_admin` repair when the hello is refused.
 */
export const TOKEN_NOT_ADMIN_PROBLEM = 'ha_token_not_admin';

export interface HaLinkOptions {
  readonly target: HaTarget;
  readonly addonVersion: string;
  readonly manager: DeviceManager;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Link on every HA device page; the ingress panel under the Supervisor. */
  readonly configurationUrl?: string;
  /** What the bridge installer did at start; a copy asks the user (through HA) to restart once. */
  readonly bridgeInstall?: BridgeInstallResult;
  /**
   * Where a token without admin rights is shown (health, panel); problems with a repair key also
   * become HA repair issues (and vanish from HA when cleared).
   */
  readonly problems?: ProblemBoard;
  /** Test knobs for packages/ha's client (heartbeat, backoff). */
  readonly client?: Partial<ConstructorParameters<typeof HaBridgeClient>[0]>;
  /** Devices the add-on itself provides (prices and forecasts), declared with the configured ones. */
  readonly extraDevices?: ExtraHaDevices;
  /** HA actions answered elsewhere (the optimiser's switch, select and services); undefined = not mine. */
  readonly extraActions?: (action: BridgeAction) => Promise<ActionReply> | undefined;
  /** Answers the cards' reads (`smart_power_station/query`); query-handler.ts. */
  readonly query?: (path: string) => Promise<Record<string, unknown>>;
}

/**
 * Connects the add-on to Home Assistant: declares every device (re-declaring when a device's
 * description changes; packages/ha re-declares after reconnects and bridge reloads), forwards
 * the hub's readings and availability, and routes HA's actions through the device manager.
 */
export class HaLink {
  readonly client: HaBridgeClient;
  private readonly catalogue: DeviceCatalogue;
  private readonly log: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private declaring: Promise<void> = Promise.resolve();
  private notificationPending: { title: string; message: string } | undefined;

  constructor(private readonly options: HaLinkOptions) {
    this.log = options.logger.child({ component: 'ha' });
    this.catalogue = new DeviceCatalogue(options.manager, options.store, options.configurationUrl, this.log);
    this.client = new HaBridgeClient({
      url: options.target.url,
      token: options.target.token,
      addonVersion: options.addonVersion,
      clock: options.clock,
      logger: haLogger(this.log),
      ...(options.configurationUrl === undefined ? {} : { hubConfigurationUrl: options.configurationUrl }),
      // The board logs it (once) and shows it in /api/health and the panel.
      ...(options.problems === undefined
        ? {}
        : {
            onTokenNotAdmin: (message: string) =>
              options.problems?.raise({ id: TOKEN_NOT_ADMIN_PROBLEM, severity: 'error', message }),
          }),
      ...options.client,
    });
    this.notificationPending = options.bridgeInstall ? restartNotification(options.bridgeInstall) : undefined;
  }

  get status(): BridgeStatus {
    return this.client.status;
  }

  start(): void {
    const { hub, manager, guard, clock } = this.options;
    const deviceActions = createHaActionHandler({
      manager,
      guard,
      catalogue: this.catalogue,
      clock,
      logger: this.options.logger,
    });
    this.client.onAction((action) => this.options.extraActions?.(action) ?? deviceActions(action));
    if (this.options.query) this.client.onQuery(this.options.query);
    this.unsubscribe.push(
      hub.on('readings', ({ deviceId, readings }) => this.client.publishReadings(deviceId, readings)),
      hub.on('availability', ({ deviceId, availability }) => {
        // A device's first answer (or a changed description) is when HA can learn about it.
        if (availability.available && this.catalogue.refresh()) this.redeclare();
        this.client.publishAvailability(deviceId, availability);
      }),
      this.client.events.on('status', (status) => this.onStatus(status)),
    );
    const problems = this.options.problems;
    if (problems) {
      this.client.setRepairs(repairIssues(problems.list()));
      this.unsubscribe.push(problems.events.on('changed', (list) => this.client.setRepairs(repairIssues(list))));
    }
    // Devices known from the last run are declared at once, offline or not.
    this.catalogue.refresh();
    if (this.catalogue.size > 0 || (this.options.extraDevices?.devices().length ?? 0) > 0) this.redeclare();
    this.log.info({ url: this.options.target.url, supervisor: this.options.target.viaSupervisor }, 'connecting to HA');
    this.client.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.declaring;
    await this.client.stop();
  }

  /** Declare the device set again (the add-on's own devices gained an entity, e.g. a new alarm). */
  redeclareDevices(): void {
    this.redeclare();
  }

  /** Send the whole device set, then everything HA needs to show it straight away. */
  private redeclare(): void {
    this.declaring = this.declaring.then(async () => {
      const devices = [...this.catalogue.bridgeDevices(), ...(this.options.extraDevices?.devices() ?? [])];
      try {
        await this.client.declare(devices);
      } catch (err) {
        // The client keeps the set and sends it again on the next session.
        this.log.warn({ err: describe(err) }, 'declaration not delivered now; it is sent again on reconnect');
      }
      for (const device of devices) {
        const availability = this.options.hub.availability(device.id);
        if (availability) this.client.publishAvailability(device.id, availability);
        const latest = this.options.hub.latest(device.id);
        if (latest) this.client.publishReadings(device.id, latest);
      }
      this.options.extraDevices?.declared(this.client);
      this.log.info({ devices: devices.map((d) => d.id) }, 'devices declared to HA');
    });
  }

  private onStatus(status: BridgeStatus): void {
    this.log.debug({ status }, 'HA bridge status');
    if (status === 'ready') this.options.problems?.clear(TOKEN_NOT_ADMIN_PROBLEM);
    const connected = status === 'ready' || status === 'waiting_for_bridge' || status === 'protocol_mismatch';
    const notification = this.notificationPending;
    if (!connected || !notification) return;
    this.notificationPending = undefined;
    this.client
      .callService('persistent_notification', 'create', { ...notification, notification_id: BRIDGE_NOTIFICATION_ID })
      .then(() => this.log.info('asked HA to restart once (persistent notification)'))
      .catch((err: unknown) => {
        this.log.warn({ err: describe(err) }, 'cannot create the restart notification in HA');
      });
  }
}

/** The problems HA can show as repairs (those with a translation key in the bridge). */
export function repairIssues(problems: readonly Problem[]): HaRepairIssue[] {
  return problems.flatMap((p) =>
    p.repair ? [{ id: p.id, key: p.repair.key, severity: p.severity, placeholders: { ...p.repair.placeholders } }] : [],
  );
}

function haLogger(log: Logger): HaLogger {
  return {
    debug: (m) => log.debug(m),
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
