import {
  systemClock,
  TypedEmitter,
  type Availability,
  type Clock,
  type ReadingSet,
  type ReadingValue,
  type TimerHandle,
} from '@sps/core';
import {
  callService,
  createConnection,
  getStates,
  type Connection,
  type HassEntity,
  type HassServiceTarget,
} from './haws.js';
import { Backoff } from './backoff.js';
import { mapDevice, toHaState, withoutTranslationKeys, type BridgeDevice, type MappedEntity } from './entityMapping.js';
import { consoleLogger, describeError, type HaLogger } from './logger.js';
import {
  BRIDGE_EVENT,
  BRIDGE_FEATURE_TRANSLATION_KEY,
  BridgeAction,
  BridgeQuery,
  BridgeBusEvent,
  HaCommandError,
  HelloResult,
  MessageType,
  PROTOCOL_VERSION,
  type HaAvailabilityUpdate,
  type HaDeviceDeclaration,
  type HaStateAttributes,
  type HaRepairIssue,
  type HaStateUpdate,
  type HaStateValue,
} from './protocol.js';
import { HaSocketError, openAuthenticatedSocket } from './socket.js';
import { StateCoalescer } from './stateCoalescer.js';

export type BridgeStatus = 'stopped' | 'connecting' | 'waiting_for_bridge' | 'protocol_mismatch' | 'ready';

/** What an action handler may return: the entity's new state, so HA shows it without waiting for a poll. */
export interface ActionReply {
  readonly state?: ReadingValue | null;
}
export type ActionHandler = (action: BridgeAction) => Promise<ActionReply | void>;
/** Answers a card's read: the JSON body of the add-on's GET `path` (throws with the reason otherwise). */
export type QueryHandler = (path: string) => Promise<Record<string, unknown>>;

export interface HaBridgeClientOptions {
  /** HA websocket URL (`ws://supervisor/core/websocket` or `ws://host:8123/api/websocket`); see resolveHaTarget. */
  readonly url: string;
  readonly token: string;
  readonly addonVersion: string;
  readonly clock?: Clock;
  readonly logger?: HaLogger;
  readonly hubName?: string;
  /** The add-on panel, e.g. `homeassistant://hassio/ingress/smart_power_station`. */
  readonly hubConfigurationUrl?: string;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  /** How often a not-yet-loaded bridge is asked again (besides its `loaded` event). */
  readonly bridgeRetryMs?: number;
  readonly measurementIntervalMs?: number;
  readonly authTimeoutMs?: number;
  /**
   * Told once per streak of refusals (again only after a session succeeded) that HA refused the
   * bridge's admin-only commands because the token's user is not an administrator. Default: one
   * error line in the log. The add-on shows it as a problem instead (which logs it once itself).
   */
  readonly onTokenNotAdmin?: (message: string) => void;
}

export interface HaBridgeEvents extends Record<string, unknown> {
  status: BridgeStatus;
  /**
   * The websocket to HA, when a new one is authenticated (before the bridge's session), and `null`
   * when it is lost or the client stops: for the add-on's own subscriptions (HaEntityStates), which
   * need HA but not the bridge.
   */
  connection: Connection | null;
}

/** What the user reads: once in the log, and wherever the add-on shows its problems. */
export const TOKEN_NOT_ADMIN_MESSAGE =
  'Home Assistant refused the add-on (Unauthorized): the long-lived access token must belong to an administrator. ' +
  'Create the token while logged in as an administrator (your profile → Security → Long-lived access tokens), ' +
  'or make its user an administrator (Settings → People), then restart the add-on or wait for the next retry.';

interface DeclaredDevice {
  readonly declaration: HaDeviceDeclaration;
  readonly entities: Map<string, MappedEntity>;
  readonly attributes?: HaStateAttributes;
}

/**
 * The add-on's side of the bridge. It keeps one websocket to HA alive (reconnecting with
 * backoff, surviving the Supervisor proxy's early auth_ok and its 502s), runs the handshake,
 * opens the action subscription, (re)declares every device after every (re)connect and every
 * bridge reload, and forwards coalesced states and availability.
 */
export class HaBridgeClient {
  readonly events = new TypedEmitter<HaBridgeEvents>();
  private readonly clock: Clock;
  private readonly log: HaLogger;
  private readonly coalescer: StateCoalescer;
  private readonly backoff: Backoff;
  private readonly devices = new Map<string, DeclaredDevice>();
  private readonly availability = new Map<string, HaAvailabilityUpdate>();
  private declared = false;
  /** The whole set of repair issues HA should show; undefined until the add-on sets one. */
  private repairs: readonly HaRepairIssue[] | undefined;
  private conn: Connection | null = null;
  private currentStatus: BridgeStatus = 'stopped';
  private stopped = true;
  private sessionGeneration = 0;
  private unsubscribeSession: (() => Promise<void>) | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private bridgeRetryTimer: TimerHandle | null = null;
  private heartbeatTimer: TimerHandle | null = null;
  private heartbeatInFlight = false;
  private actionHandler: ActionHandler | null = null;
  private queryHandler: QueryHandler | null = null;
  /** Set once the non-admin refusal was reported; cleared when a session is ready. */
  private notAdminReported = false;
  /** Whether the connected bridge takes translation keys (its hello listed the feature). */
  private bridgeTranslates = false;

  constructor(private readonly options: HaBridgeClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? consoleLogger;
    this.backoff = new Backoff(options.reconnectInitialMs ?? 1000, options.reconnectMaxMs ?? 30_000);
    this.coalescer = new StateCoalescer(
      this.clock,
      { sendStates: (batch) => this.sendStates(batch) },
      options.measurementIntervalMs ?? 1000,
    );
  }

  get status(): BridgeStatus {
    return this.currentStatus;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connectOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.bridgeRetryTimer?.cancel();
    this.stopHeartbeat();
    this.coalescer.stop();
    const conn = this.conn;
    this.conn = null;
    this.sessionGeneration++;
    if (conn) conn.close();
    if (conn) this.events.emit('connection', null);
    this.setStatus('stopped');
  }

  onQuery(handler: QueryHandler): void {
    this.queryHandler = handler;
  }

  onAction(handler: ActionHandler): void {
    this.actionHandler = handler;
  }

  /** Replace the whole set of devices HA shows. Devices missing from the list are removed from HA. */
  async declare(devices: readonly BridgeDevice[]): Promise<void> {
    const next = new Map(devices.map((d) => [d.id, mapDevice(d)] as const));
    for (const id of this.devices.keys()) {
      if (!next.has(id)) {
        this.coalescer.forgetDevice(id);
        this.availability.delete(id);
      }
    }
    this.devices.clear();
    for (const [id, device] of next) this.devices.set(id, device);
    this.declared = true;
    const conn = this.conn;
    if (conn && this.currentStatus === 'ready') {
      await this.sendDeclaration(conn);
      this.coalescer.replayAll();
    }
  }

  /**
   * Replace the whole set of repair issues HA shows for the add-on (issues missing from the set are
   * deleted in HA). Sent now when the session is ready, and again at every new session.
   */
  setRepairs(issues: readonly HaRepairIssue[]): void {
    this.repairs = issues;
    const conn = this.conn;
    if (conn && this.currentStatus === 'ready') void this.sendRepairs(conn);
  }

  /**
   * Fire one HA bus event through the bridge (only `smart_power_station_dr_event` is allowed).
   * Sent when the session is ready; otherwise dropped with a warning (an event is about now: a
   * stale one replayed later would mislead automations). Never rejects.
   */
  async fireEvent(eventType: string, data: Record<string, unknown>): Promise<boolean> {
    const conn = this.conn;
    if (!conn || this.currentStatus !== 'ready') {
      this.log.warn(`HA event ${eventType} not fired: HA is not connected`);
      return false;
    }
    try {
      await conn.sendMessagePromise({ type: MessageType.fireEvent, event_type: eventType, event_data: data });
      return true;
    } catch (err) {
      const code = HaCommandError.safeParse(err);
      if (code.success && code.data.code === 'unknown_command') {
        this.log.warn('this bridge cannot fire events (update the integration)');
      } else {
        this.log.warn(`HA event ${eventType} not fired: ${describeError(err)}`);
      }
      return false;
    }
  }

  publishReadings(deviceId: string, readings: ReadingSet): void {
    const device = this.devices.get(deviceId);
    if (!device) return;
    for (const [key, value] of Object.entries(readings.values)) {
      const mapped = device.entities.get(key);
      if (!mapped || mapped.declaration.platform === 'button') continue;
      this.coalescer.offer(deviceId, key, toHaState(mapped, value ?? null), mapped.throttled, device.attributes);
    }
  }

  /**
   * One entity's state with optional attributes (entities the add-on computes itself, e.g. prices
   * and forecasts). Coalesced like readings; attributes are sent only when they change.
   */
  publishState(deviceId: string, key: string, state: HaStateValue, attributes?: HaStateAttributes): void {
    const mapped = this.devices.get(deviceId)?.entities.get(key);
    if (!mapped || mapped.declaration.platform === 'button') return;
    this.coalescer.offer(deviceId, key, state, mapped.throttled, attributes);
  }

  /** Availability is never coalesced: HA shows it at once. */
  publishAvailability(deviceId: string, availability: Availability): void {
    const update: HaAvailabilityUpdate = {
      device_id: deviceId,
      available: availability.available,
      ...(availability.reason === undefined ? {} : { reason: availability.reason }),
    };
    this.availability.set(deviceId, update);
    const conn = this.conn;
    if (conn && this.currentStatus === 'ready' && this.devices.has(deviceId)) {
      conn
        .sendMessagePromise({ type: MessageType.availability, devices: [update] })
        .catch((err: unknown) => this.log.warn(`availability for ${deviceId} not delivered: ${describeError(err)}`));
    }
  }

  /** HA's current states (for HA-entity batteries, forecasts, EV chargers in later issues). */
  async getStates(): Promise<HassEntity[]> {
    return getStates(this.requireConnection());
  }

  async callService(
    domain: string,
    service: string,
    data?: Record<string, unknown>,
    target?: HassServiceTarget,
  ): Promise<unknown> {
    return callService(this.requireConnection(), domain, service, data, target);
  }

  /**
   * Any websocket command of HA's API, e.g. `{type: 'energy/solar_forecast'}`; resolves with its
   * result, rejects with HA's error (`{code, message}`) or when not connected.
   */
  async sendCommand<T = unknown>(message: { type: string } & Record<string, unknown>): Promise<T> {
    return this.requireConnection().sendMessagePromise<T>(message);
  }

  /** Resolves when the session is ready (tests and start-up ordering). */
  waitForStatus(status: BridgeStatus): Promise<void> {
    if (this.currentStatus === status) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.events.on('status', (s) => {
        if (s === status) {
          off();
          resolve();
        }
      });
    });
  }

  // ---- connection --------------------------------------------------------------------

  private async connectOnce(): Promise<void> {
    if (this.stopped) return;
    this.setStatus('connecting');
    let conn: Connection;
    try {
      conn = await createConnection({
        setupRetry: 0,
        createSocket: () =>
          openAuthenticatedSocket({
            url: this.options.url,
            token: this.options.token,
            ...(this.options.authTimeoutMs === undefined ? {} : { authTimeoutMs: this.options.authTimeoutMs }),
          }),
      });
    } catch (err) {
      const auth = err instanceof HaSocketError && err.code === 2;
      const message = `cannot connect to Home Assistant at ${this.options.url}: ${describeError(err)}`;
      if (auth) this.log.error(message);
      else this.log.warn(message);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      conn.close();
      return;
    }
    this.conn = conn;
    this.log.info(`connected to Home Assistant ${conn.haVersion}`);
    conn.addEventListener('disconnected', () => this.connectionLost(conn, 'socket closed'));
    this.events.emit('connection', conn);
    try {
      await conn.subscribeEvents((ev: unknown) => this.onBridgeEvent(conn, ev), BRIDGE_EVENT);
      await this.establishSession(conn);
    } catch (err) {
      if (isUnauthorized(err)) {
        this.reportNotAdmin();
        // The bridge's hello is the one command HA lets a non-admin reach (the bridge refuses it too):
        // it raises the `token_not_admin` repair, so the user sees the cause in HA, not only in our log.
        // Its answer is awaited (at most 5 s): dropping the socket at once would discard the message unsent.
        await this.helloForRepair(conn);
        this.connectionLost(conn, 'the token is not an administrator', true);
        return;
      }
      // Typically the proxy's early auth_ok followed by a close while Core starts.
      this.connectionLost(conn, `session setup failed: ${describeError(err)}`);
    }
  }

  private async helloForRepair(conn: Connection): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, 5000);
    });
    const hello = conn
      .sendMessagePromise({
        type: MessageType.hello,
        protocol: PROTOCOL_VERSION,
        addon_version: this.options.addonVersion,
      })
      .then(
        () => undefined,
        () => undefined,
      );
    await Promise.race([hello, cap]);
    timer?.cancel();
  }

  /**
   * A non-admin token authenticates, then every bridge command (and the bridge-event subscription)
   * is refused. Retrying cannot help until the user changes the token or the user, so say it once,
   * plainly, and keep retrying quietly (the user may promote the user without restarting us).
   */
  private reportNotAdmin(): void {
    if (this.notAdminReported) return;
    this.notAdminReported = true;
    if (this.options.onTokenNotAdmin) this.options.onTokenNotAdmin(TOKEN_NOT_ADMIN_MESSAGE);
    else this.log.error(TOKEN_NOT_ADMIN_MESSAGE);
  }

  private connectionLost(conn: Connection, reason: string, quiet = false): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.sessionGeneration++;
    this.unsubscribeSession = null;
    this.events.emit('connection', null);
    this.stopHeartbeat();
    this.bridgeRetryTimer?.cancel();
    // We run our own backoff and re-handshake, so the library must not reconnect by itself.
    conn.close();
    const socket = conn.socket as unknown as { terminate?: () => void } | undefined;
    socket?.terminate?.();
    if (this.stopped) return;
    if (quiet) this.log.debug(`lost Home Assistant: ${reason}`);
    else this.log.warn(`lost Home Assistant: ${reason}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    this.reconnectTimer?.cancel();
    const delay = this.backoff.next();
    this.log.debug(`reconnecting in ${delay} ms`);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectOnce();
    }, delay);
  }

  private requireConnection(): Connection {
    if (!this.conn) throw new Error('not connected to Home Assistant');
    return this.conn;
  }

  // ---- session -----------------------------------------------------------------------

  private async establishSession(conn: Connection): Promise<void> {
    const generation = ++this.sessionGeneration;
    this.stopHeartbeat();
    this.bridgeRetryTimer?.cancel();
    const previous = this.unsubscribeSession;
    this.unsubscribeSession = null;
    if (previous) previous().catch(() => undefined);

    let hello: HelloResult;
    try {
      hello = HelloResult.parse(
        await conn.sendMessagePromise({
          type: MessageType.hello,
          protocol: PROTOCOL_VERSION,
          addon_version: this.options.addonVersion,
        }),
      );
    } catch (err) {
      const code = HaCommandError.safeParse(err);
      if (code.success && code.data.code === 'unknown_command') {
        this.waitForBridge(conn, 'the Smart Power Station integration is not loaded in Home Assistant');
        return;
      }
      if (code.success && code.data.code === 'protocol_mismatch') {
        this.log.error(
          `protocol mismatch with the Home Assistant bridge (${code.data.message ?? ''}); ` +
            'update the add-on and the integration to the same release, then restart Home Assistant',
        );
        this.setStatus('protocol_mismatch');
        return;
      }
      throw err;
    }
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.log.error(`the bridge answered protocol ${hello.protocol}, the add-on speaks ${PROTOCOL_VERSION}`);
      this.setStatus('protocol_mismatch');
      return;
    }
    this.bridgeTranslates = hello.features?.includes(BRIDGE_FEATURE_TRANSLATION_KEY) ?? false;
    if (!hello.loaded) {
      this.waitForBridge(conn, 'the Smart Power Station integration has no config entry yet');
      return;
    }
    let unsubscribe: () => Promise<void>;
    try {
      unsubscribe = await conn.subscribeMessage<unknown>(
        (event) => this.onSubscriptionEvent(conn, event),
        { type: MessageType.subscribe, addon_version: this.options.addonVersion },
        { resubscribe: false },
      );
    } catch (err) {
      const code = HaCommandError.safeParse(err);
      if (code.success && code.data.code === 'not_loaded') {
        this.waitForBridge(conn, 'the Smart Power Station integration is not set up');
        return;
      }
      throw err;
    }
    if (generation !== this.sessionGeneration || this.conn !== conn) {
      unsubscribe().catch(() => undefined);
      return;
    }
    this.unsubscribeSession = unsubscribe;
    if (this.declared) await this.sendDeclaration(conn);
    const availability = [...this.availability.values()].filter((a) => this.devices.has(a.device_id));
    if (availability.length > 0) {
      await conn.sendMessagePromise({ type: MessageType.availability, devices: availability });
    }
    await this.sendRepairs(conn);
    if (generation !== this.sessionGeneration) return;
    this.log.info(`bridge ${hello.bridge_version} ready (Home Assistant ${hello.ha_version})`);
    this.backoff.reset();
    this.notAdminReported = false;
    this.setStatus('ready');
    this.coalescer.replayAll();
    this.coalescer.flush();
    this.startHeartbeat(conn);
  }

  private waitForBridge(conn: Connection, why: string): void {
    this.log.warn(`${why}; waiting for it to load`);
    this.setStatus('waiting_for_bridge');
    this.startHeartbeat(conn);
    this.bridgeRetryTimer?.cancel();
    this.bridgeRetryTimer = this.clock.setTimeout(() => {
      this.bridgeRetryTimer = null;
      if (this.conn === conn && this.currentStatus === 'waiting_for_bridge') this.renewSession(conn);
    }, this.options.bridgeRetryMs ?? 30_000);
  }

  private renewSession(conn: Connection): void {
    this.establishSession(conn).catch((err: unknown) => {
      if (isUnauthorized(err)) this.reportNotAdmin();
      this.connectionLost(conn, describeError(err), isUnauthorized(err));
    });
  }

  private onBridgeEvent(conn: Connection, raw: unknown): void {
    const parsed = BridgeBusEvent.safeParse(raw);
    if (!parsed.success || this.conn !== conn) return;
    if (parsed.data.data.type === 'loaded') {
      this.log.info('the bridge (re)loaded; declaring again');
      this.renewSession(conn);
    } else {
      this.sessionGeneration++;
      this.unsubscribeSession = null;
      this.setStatus('waiting_for_bridge');
    }
  }

  private async sendDeclaration(conn: Connection): Promise<void> {
    const result = await conn.sendMessagePromise({
      type: MessageType.declare,
      hub: {
        name: this.options.hubName ?? 'Smart Power Station',
        addon_version: this.options.addonVersion,
        ...(this.options.hubConfigurationUrl === undefined
          ? {}
          : { configuration_url: this.options.hubConfigurationUrl }),
      },
      devices: [...this.devices.values()].map((d) =>
        this.bridgeTranslates ? d.declaration : withoutTranslationKeys(d.declaration),
      ),
    });
    this.log.debug(`declared: ${JSON.stringify(result)}`);
  }

  /** Never throws: a repair that cannot be shown must not break the session. */
  private async sendRepairs(conn: Connection): Promise<void> {
    const issues = this.repairs;
    if (issues === undefined) return;
    try {
      await conn.sendMessagePromise({ type: MessageType.repairs, issues });
    } catch (err) {
      const code = HaCommandError.safeParse(err);
      if (code.success && code.data.code === 'unknown_command') {
        this.log.warn('this bridge cannot show repair issues (update the integration); they are in the add-on log');
      } else {
        this.log.warn(`repair issues not delivered: ${describeError(err)}`);
      }
    }
  }

  private sendStates(batch: HaStateUpdate[]): boolean {
    const conn = this.conn;
    if (!conn || this.currentStatus !== 'ready') return false;
    conn
      .sendMessagePromise<{ unknown?: string[] }>({ type: MessageType.states, states: batch })
      .then((result) => {
        if (result.unknown && result.unknown.length > 0) {
          this.log.debug(`HA ignored undeclared states: ${result.unknown.join(', ')}`);
        }
      })
      .catch((err: unknown) => this.log.warn(`states not delivered: ${describeError(err)}`));
    return true;
  }

  // ---- actions -----------------------------------------------------------------------

  private onSubscriptionEvent(conn: Connection, raw: unknown): void {
    if ((raw as { kind?: unknown } | null)?.kind === 'query') {
      this.handleQuery(conn, raw);
      return;
    }
    const parsed = BridgeAction.safeParse(raw);
    if (!parsed.success) {
      const requestId = (raw as { request_id?: unknown } | null)?.request_id;
      const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.log.warn(`malformed action from HA: ${reason}`);
      if (typeof requestId === 'string') this.reply(conn, requestId, false, `malformed action: ${reason}`);
      return;
    }
    void this.runAction(conn, parsed.data);
  }

  private handleQuery(conn: Connection, raw: unknown): void {
    const parsed = BridgeQuery.safeParse(raw);
    if (!parsed.success) {
      const requestId = (raw as { request_id?: unknown } | null)?.request_id;
      const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.log.warn(`malformed query from HA: ${reason}`);
      if (typeof requestId === 'string') this.reply(conn, requestId, false, `malformed query: ${reason}`);
      return;
    }
    const { request_id: requestId, path } = parsed.data;
    const handler = this.queryHandler;
    if (!handler) {
      this.reply(conn, requestId, false, 'the add-on answers no queries');
      return;
    }
    void handler(path).then(
      (body) => this.reply(conn, requestId, true, undefined, { body }),
      (err: unknown) => this.reply(conn, requestId, false, describeError(err)),
    );
  }

  private async runAction(conn: Connection, action: BridgeAction): Promise<void> {
    const handler = this.actionHandler;
    if (!handler) {
      this.reply(conn, action.request_id, false, 'the add-on is not ready for commands yet');
      return;
    }
    try {
      const reply = await handler(action);
      const result: Record<string, unknown> = {};
      if (reply && reply.state !== undefined && action.kind === 'entity') {
        const mapped = this.devices.get(action.device_id)?.entities.get(action.key);
        if (mapped) result['state'] = toHaState(mapped, reply.state);
      }
      this.reply(conn, action.request_id, true, undefined, result);
    } catch (err) {
      this.reply(conn, action.request_id, false, describeError(err));
    }
  }

  private reply(conn: Connection, requestId: string, success: boolean, error?: string, result?: object): void {
    if (this.conn !== conn) return; // the call already failed on HA's side when the socket went
    conn
      .sendMessagePromise({
        type: MessageType.actionResult,
        request_id: requestId,
        success,
        ...(error === undefined ? {} : { error: error.slice(0, 1000) }),
        ...(result === undefined ? {} : { result }),
      })
      .catch((err: unknown) => this.log.warn(`action result not delivered: ${describeError(err)}`));
  }

  // ---- heartbeat ---------------------------------------------------------------------

  private startHeartbeat(conn: Connection): void {
    this.stopHeartbeat();
    const interval = this.options.heartbeatIntervalMs ?? 1500;
    const timeout = this.options.heartbeatTimeoutMs ?? 5000;
    this.heartbeatTimer = this.clock.setInterval(() => {
      if (this.conn !== conn || this.heartbeatInFlight) return;
      this.heartbeatInFlight = true;
      let answered = false;
      const watchdog = this.clock.setTimeout(() => {
        if (!answered) this.connectionLost(conn, `no heartbeat answer within ${timeout} ms`);
      }, timeout);
      const beat =
        this.currentStatus === 'ready' ? conn.sendMessagePromise({ type: MessageType.heartbeat }) : conn.ping();
      beat
        .catch(() => undefined) // a refused heartbeat still proves the socket is alive
        .finally(() => {
          answered = true;
          watchdog.cancel();
          this.heartbeatInFlight = false;
        });
    }, interval);
  }

  private stopHeartbeat(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
    this.heartbeatInFlight = false;
  }

  private setStatus(status: BridgeStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.events.emit('status', status);
  }
}

/** HA's answer to a non-admin's admin-only command: `{code: 'unauthorized', message: 'Unauthorized'}`. */
function isUnauthorized(err: unknown): boolean {
  const parsed = HaCommandError.safeParse(err);
  return parsed.success && parsed.data.code === 'unauthorized';
}
