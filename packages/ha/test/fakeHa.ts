import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for HA's websocket API, speaking its auth phase and message framing,
 * with the bridge's commands answered the way integration-bridge does. Only for unit tests
 * of the client; the e2e suite runs the real HA.
 */
export interface FakeHaOptions {
  token?: string;
  /** Answer the first N upgrade requests with this HTTP status (the Supervisor's 502). */
  rejectFirst?: { count: number; status: number };
  /** Like the Supervisor proxy while Core starts: auth_ok, then close, for the first N connections. */
  closeAfterAuthFirst?: number;
  bridgeLoaded?: boolean;
  protocol?: number;
  /**
   * The token's user is not an administrator: HA authenticates it, then answers the bridge's
   * `@require_admin` commands and subscribe_events for a non-allowlisted event the way HA 2025.4
   * does, `{code: 'unauthorized', message: 'Unauthorized'}`.
   */
  nonAdmin?: boolean;
  /** Optional features the bridge lists in its hello result (absent: a bridge before 0.2.0). */
  features?: string[];
}

export interface Received {
  readonly conn: number;
  readonly msg: Record<string, unknown> & { id?: number; type: string };
}

export class FakeHa {
  readonly received: Received[] = [];
  bridgeLoaded: boolean;
  protocol: number;
  nonAdmin: boolean;
  answerHeartbeats = true;
  /** Results for other HA commands by type (e.g. `energy/solar_forecast`); unlisted ones are unknown. */
  readonly commandResults = new Map<string, unknown>();
  private server!: WebSocketServer;
  private connections = 0;
  private upgrades = 0;
  private sockets = new Set<WebSocket>();
  private subscriptions = new Map<WebSocket, number>();
  private eventSubs = new Map<WebSocket, number>();
  /** HA's state machine, for subscribe_entities (compressed format: `s` state, `a` attributes). */
  private readonly entities = new Map<string, { s: string; a: Record<string, unknown> }>();
  private entitySubs = new Map<WebSocket, { id: number; ids: ReadonlySet<string> }[]>();
  private readonly waiters: Array<{ pred: (r: Received) => boolean; resolve: (r: Received) => void }> = [];

  constructor(private readonly options: FakeHaOptions = {}) {
    this.bridgeLoaded = options.bridgeLoaded ?? true;
    this.protocol = options.protocol ?? 1;
    this.nonAdmin = options.nonAdmin ?? false;
  }

  async start(): Promise<string> {
    this.server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, cb) => {
        this.upgrades++;
        const reject = this.options.rejectFirst;
        if (reject && this.upgrades <= reject.count) cb(false, reject.status);
        else cb(true);
      },
    });
    await new Promise<void>((resolve) => this.server.once('listening', resolve));
    this.server.on('connection', (socket) => this.accept(socket));
    const { port } = this.server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/api/websocket`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get connectionCount(): number {
    return this.connections;
  }

  get upgradeCount(): number {
    return this.upgrades;
  }

  of(type: string): Received[] {
    return this.received.filter((r) => r.msg.type === type);
  }

  waitFor(pred: (r: Received) => boolean): Promise<Received> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  waitForType(type: string, nth = 1): Promise<Received> {
    return this.waitFor(() => this.of(type).length >= nth).then(() => this.of(type)[nth - 1]!);
  }

  /** Push an event on the add-on's bridge subscription. */
  sendAction(event: Record<string, unknown>): void {
    for (const [socket, id] of this.subscriptions) socket.send(JSON.stringify({ id, type: 'event', event }));
  }

  fireBridgeEvent(type: 'loaded' | 'unloaded'): void {
    for (const [socket, id] of this.eventSubs) {
      socket.send(
        JSON.stringify({
          id,
          type: 'event',
          event: { event_type: 'smart_power_station_bridge', data: { type, protocol: 1 }, origin: 'LOCAL' },
        }),
      );
    }
  }

  /** Create or change an entity; subscribe_entities subscribers that filter on it hear of it. */
  setEntity(entityId: string, state: string, attributes: Record<string, unknown> = {}): void {
    const known = this.entities.has(entityId);
    const next = { s: state, a: { ...this.entities.get(entityId)?.a, ...attributes } };
    this.entities.set(entityId, next);
    this.sendEntityEvent(
      entityId,
      known ? { c: { [entityId]: { '+': { s: state, a: attributes } } } } : { a: { [entityId]: next } },
    );
  }

  removeEntity(entityId: string): void {
    this.entities.delete(entityId);
    this.sendEntityEvent(entityId, { r: [entityId] });
  }

  private sendEntityEvent(entityId: string, event: Record<string, unknown>): void {
    for (const [socket, subs] of this.entitySubs) {
      for (const sub of subs) {
        if (sub.ids.has(entityId)) socket.send(JSON.stringify({ id: sub.id, type: 'event', event }));
      }
    }
  }

  dropAll(): void {
    for (const s of this.sockets) s.terminate();
  }

  private accept(socket: WebSocket): void {
    const connNo = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.subscriptions.delete(socket);
      this.eventSubs.delete(socket);
      this.entitySubs.delete(socket);
    });
    socket.send(JSON.stringify({ type: 'auth_required', ha_version: '2025.4.4' }));
    let authed = false;
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Received['msg'];
      if (!authed) {
        if (msg.type !== 'auth') return;
        if (msg['access_token'] !== (this.options.token ?? 'test-token-123')) {
          socket.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token' }));
          socket.close();
          return;
        }
        authed = true;
        socket.send(JSON.stringify({ type: 'auth_ok', ha_version: '2025.4.4' }));
        if (connNo <= (this.options.closeAfterAuthFirst ?? 0)) socket.close();
        return;
      }
      const record = { conn: connNo, msg };
      this.received.push(record);
      this.answer(socket, msg);
      for (const w of [...this.waiters]) {
        if (w.pred(record)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(record);
        }
      }
    });
  }

  private answer(socket: WebSocket, msg: Received['msg']): void {
    const ok = (result: unknown = null): void =>
      socket.send(JSON.stringify({ id: msg.id, type: 'result', success: true, result }));
    const fail = (code: string, message: string): void =>
      socket.send(JSON.stringify({ id: msg.id, type: 'result', success: false, error: { code, message } }));
    const bridgeCommand = msg.type.startsWith('smart_power_station/');
    const adminOnly = bridgeCommand || (msg.type === 'subscribe_events' && msg['event_type'] !== 'state_changed');
    if (adminOnly && this.nonAdmin) return fail('unauthorized', 'Unauthorized');
    if (bridgeCommand && !this.bridgeLoaded) return fail('unknown_command', 'Unknown command.');
    switch (msg.type) {
      case 'subscribe_events':
        this.eventSubs.set(socket, msg.id!);
        return ok();
      case 'unsubscribe_events':
        for (const [sock, subs] of this.entitySubs) {
          this.entitySubs.set(
            sock,
            subs.filter((sub) => sub.id !== msg['subscription']),
          );
        }
        return ok();
      case 'ping':
        return socket.send(JSON.stringify({ id: msg.id, type: 'pong' }));
      case 'subscribe_entities': {
        // HA answers the result, then one event with every matching entity (websocket_api commands.py).
        const ids = new Set((msg['entity_ids'] as string[] | undefined) ?? []);
        this.entitySubs.set(socket, [...(this.entitySubs.get(socket) ?? []), { id: msg.id!, ids }]);
        ok();
        const added = Object.fromEntries([...this.entities].filter(([id]) => ids.has(id)));
        return socket.send(JSON.stringify({ id: msg.id, type: 'event', event: { a: added } }));
      }
      case 'get_states':
        return ok([{ entity_id: 'sensor.x', state: '1', attributes: {}, last_changed: '', last_updated: '' }]);
      case 'call_service':
        return ok({ context: { id: 'c' } });
      case 'smart_power_station/hello':
        if (msg['protocol'] !== this.protocol)
          return fail('protocol_mismatch', `bridge speaks protocol ${this.protocol}`);
        return ok({
          protocol: this.protocol,
          bridge_version: '0.1.0',
          ha_version: '2025.4.4',
          loaded: true,
          ...(this.options.features === undefined ? {} : { features: this.options.features }),
        });
      case 'smart_power_station/subscribe':
        this.subscriptions.set(socket, msg.id!);
        return ok();
      case 'smart_power_station/heartbeat':
        if (this.answerHeartbeats) ok({ subscribed: true });
        return;
      case 'smart_power_station/declare':
      case 'smart_power_station/states':
      case 'smart_power_station/availability':
      case 'smart_power_station/action_result':
      case 'smart_power_station/repairs':
        return ok({});
      default:
        if (this.commandResults.has(msg.type)) return ok(this.commandResults.get(msg.type));
        return fail('unknown_command', 'Unknown command.');
    }
  }
}
