import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { listenOn, systemClock, type Clock, type TimerHandle } from '@sps/core';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyHttpAuthorization, verifyRpcAuth, type RpcAuthObject } from '../codec/digest.js';
import { ShellyPhysics, type ShellyPhysicalState } from './physics.js';
import { SHELLY_PROFILES, type ShellyProfile, type ShellyProfileName } from './profiles.js';
import {
  deviceId,
  renderDeviceInfo,
  renderGen1Relay,
  renderGen1Settings,
  renderGen1Status,
  renderGen2Config,
  renderGen2Status,
  renderMeter,
  renderSwitch,
  type SimIdentity,
} from './render.js';

export interface ShellySimulatorOptions {
  readonly profile?: ShellyProfileName;
  /** Enables auth: Basic for Gen1, digest SHA-256 for Gen2+. */
  readonly password?: string;
  /** Gen1 login user (Gen2+ is always `admin`). */
  readonly username?: string;
  readonly mac?: string;
  readonly name?: string;
  readonly clock?: Clock;
  /** Wander the loads a little every second and push NotifyStatus (the demo). */
  readonly realtime?: boolean;
  /** What the appliance behind each relay draws when on, W (default 0). */
  readonly loadsW?: readonly number[];
}

export interface ShellySimulatorFaults {
  /** `json`: answers are cut-off JSON; `shape`: the status has a wrong field type. `/shelly` stays sane. */
  readonly malformed?: 'json' | 'shape' | null;
  /** Answer this much later (HTTP and WebSocket). */
  readonly responseDelayMs?: number;
  /** Close every connection instead of answering. */
  readonly dropConnections?: boolean;
}

interface RpcRequest {
  readonly id: unknown;
  readonly src: unknown;
  readonly method: unknown;
  readonly params?: unknown;
  readonly auth?: unknown;
}

type Json = Record<string, unknown>;

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nonces stay valid for an hour (Shelly docs, firmware 2.0+). */
const NONCE_LIFETIME_MS = 3_600_000;

/**
 * A Shelly on loopback, speaking the real protocols: Gen1 HTTP (`/shelly`, `/status`,
 * `/settings`, `/relay/N`) with optional Basic auth, or Gen2+ JSON-RPC (`POST /rpc`,
 * `GET|POST /rpc/<Method>`, WebSocket `/rpc` with NotifyStatus pushes) with optional
 * SHA-256 digest auth (HTTP header challenge; over WebSocket the 401 error frame).
 */
export class ShellySimulator {
  readonly profile: ShellyProfile;
  readonly physics: ShellyPhysics;
  readonly identity: SimIdentity;
  private readonly clock: Clock;
  private readonly password: string | null;
  private readonly username: string;
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly sockets = new Set<Duplex>();
  /** WebSocket clients that have sent a valid request, by their `src`. */
  private readonly subscribers = new Map<WebSocket, string>();
  private readonly nonces = new Map<number, number>();
  private faults: Required<ShellySimulatorFaults> = { malformed: null, responseDelayMs: 0, dropConnections: false };
  private ticker: TimerHandle | null = null;
  private readonly realtime: boolean;
  /** Loads and meter powers as last set; realtime mode wanders around them. */
  private readonly nominalLoadsW: number[];
  private readonly nominalMeterW: number[];
  /** Requests answered, by method or path; for tests. */
  readonly requests: string[] = [];
  /** 401 challenges sent (HTTP header or WebSocket error frame); for tests. */
  authChallenges = 0;

  constructor(options: ShellySimulatorOptions = {}) {
    this.profile = SHELLY_PROFILES[options.profile ?? 'plus-plug-s'];
    this.clock = options.clock ?? systemClock;
    this.password = options.password ?? null;
    this.username = options.username ?? 'admin';
    this.realtime = options.realtime ?? false;
    this.physics = new ShellyPhysics(this.profile, this.clock);
    this.nominalLoadsW = this.physics.relays.map((_, i) => options.loadsW?.[i] ?? 0);
    this.nominalLoadsW.forEach((w, i) => this.physics.setLoad(i, w));
    this.nominalMeterW = this.physics.meterChannels?.map((c) => c.powerW) ?? [];
    this.identity = {
      profile: this.profile,
      mac: (options.mac ?? 'AABBCCDDEEFF').toUpperCase(),
      name: options.name ?? 'Simulated Shelly',
      authEnabled: this.password !== null,
    };
  }

  /** The Gen2+ device id (also the digest realm). */
  get deviceId(): string {
    return deviceId(this.identity);
  }

  get state(): ShellyPhysicalState {
    return this.physics.snapshot();
  }

  get websocketClients(): number {
    return this.subscribers.size;
  }

  setFaults(faults: ShellySimulatorFaults): void {
    this.faults = { ...this.faults, ...faults };
    if (this.faults.dropConnections) this.dropConnections();
  }

  /** Close every open HTTP and WebSocket connection now. */
  dropConnections(): void {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Switch a relay as if its button was pressed; pushes NotifyStatus. */
  setRelay(channel: number, on: boolean, source = 'button'): void {
    this.physics.setRelay(channel, on, source);
    this.notifySwitch(channel, ['output', 'source', 'apower', 'current']);
  }

  /** The appliance behind relay `channel` now draws `watts` when on; pushes NotifyStatus. */
  setLoad(channel: number, watts: number): void {
    this.physics.setLoad(channel, watts);
    this.nominalLoadsW[channel] = watts;
    this.notifySwitch(channel, ['apower', 'current', 'aenergy']);
  }

  /** Set a meter phase / CT channel's active power (+ import); pushes NotifyStatus. */
  setMeterPower(channel: number, watts: number): void {
    this.physics.setMeterPower(channel, watts);
    this.nominalMeterW[channel] = watts;
    if (this.profile.generation > 1) this.notify(renderMeter(this.profile, this.physics.snapshot()));
  }

  /** Push NotifyFullStatus to every subscribed WebSocket client. */
  notifyFullStatus(): void {
    this.broadcast('NotifyFullStatus', renderGen2Status(this.identity, this.physics.snapshot(), this.unixSeconds()));
  }

  /** Push a raw NotifyStatus delta (tests use it for malformed pushes). */
  notify(delta: Json): void {
    this.broadcast('NotifyStatus', delta);
  }

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    if (this.server !== null) throw new Error('simulator already started');
    const server = createServer((req, res) => void this.onHttp(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => {
      if (this.profile.generation === 1 || (req.url ?? '').split('?')[0] !== '/rpc' || this.faults.dropConnections) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws));
    });
    this.server = server;
    this.wss = wss;
    const port = await listenOn(server, address);
    if (this.realtime) this.ticker = this.clock.setInterval(() => this.tick(), 1000);
    return port;
  }

  async stop(): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    const server = this.server;
    const wss = this.wss;
    this.server = null;
    this.wss = null;
    this.subscribers.clear();
    if (wss !== null) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    if (server !== null) {
      for (const socket of this.sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  snapshot(): ShellyPhysicalState {
    return this.state;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://device');
    const body = await readBody(req);
    if (this.faults.dropConnections) {
      req.socket.destroy();
      return;
    }
    if (this.faults.responseDelayMs > 0) await sleep(this.faults.responseDelayMs);
    if (res.destroyed || this.server === null) return;
    this.requests.push(`${req.method ?? 'GET'} ${url.pathname}`);
    try {
      if (url.pathname === '/shelly') return sendJson(res, 200, renderDeviceInfo(this.identity));
      if (this.profile.generation === 1) return this.onGen1(req, res, url);
      return this.onGen2Http(req, res, url, body);
    } catch (err) {
      sendText(res, 500, err instanceof Error ? err.message : String(err));
    }
  }

  private onGen1(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.password !== null && !this.basicAuthOk(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Basic realm="shelly"');
      return sendText(res, 401, '401 Unauthorized');
    }
    const snapshot = this.physics.snapshot();
    if (url.pathname === '/status') {
      const status = renderGen1Status(this.identity, snapshot, this.unixSeconds());
      if (this.faults.malformed === 'shape') (status.relays as Json[])[0] = { ison: 'yes' };
      return this.sendMaybeMalformed(res, status);
    }
    if (url.pathname === '/settings')
      return this.sendMaybeMalformed(res, renderGen1Settings(this.identity, snapshot, this.username));
    const relay = /^\/relay\/(\d+)$/.exec(url.pathname);
    if (relay) {
      const channel = Number(relay[1]);
      if (channel >= this.profile.relays) return sendText(res, 404, 'Not Found');
      const turn = url.searchParams.get('turn');
      if (turn === 'on' || turn === 'off' || turn === 'toggle') {
        const on = turn === 'toggle' ? !(this.physics.relays[channel]?.on ?? false) : turn === 'on';
        this.physics.setRelay(channel, on, 'http');
      } else if (turn !== null) {
        return sendText(res, 400, 'Bad turn!');
      }
      return this.sendMaybeMalformed(res, renderGen1Relay(this.physics.snapshot(), channel));
    }
    return sendText(res, 404, 'Not Found');
  }

  private onGen2Http(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    let method: string;
    let params: unknown;
    let frame: RpcRequest | null = null;
    if (url.pathname === '/rpc' && req.method === 'POST') {
      try {
        frame = JSON.parse(body) as RpcRequest;
      } catch {
        return sendJson(res, 400, { code: -32700, message: 'Parse error' });
      }
      if (typeof frame !== 'object' || frame === null || typeof frame.method !== 'string') {
        return sendJson(res, 400, { code: -103, message: 'Invalid request' });
      }
      method = frame.method;
      params = frame.params;
    } else {
      const m = /^\/rpc\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
      if (!m) return sendText(res, 404, 'Not Found');
      method = m[1] as string;
      params = req.method === 'POST' && body.trim() !== '' ? safeJson(body) : queryParams(url);
    }
    if (this.needsAuth(method) && !this.httpDigestOk(req)) {
      res.setHeader(
        'www-authenticate',
        `Digest qop="auth", realm="${this.deviceId}", nonce="${this.issueNonce().toString(16)}", algorithm=SHA-256`,
      );
      return sendJson(res, 401, { code: 401, message: 'unauthorized' });
    }
    let result: unknown;
    try {
      result = this.dispatch(method, params, 'http');
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(-103, String(err));
      const error = { code: e.code, message: e.message };
      return frame === null
        ? sendJson(res, e.code === 404 ? 404 : 500, error)
        : sendJson(res, 200, { id: frame.id, src: this.deviceId, dst: frame.src, error });
    }
    const payload = frame === null ? result : { id: frame.id, src: this.deviceId, dst: frame.src, result };
    this.sendMaybeMalformed(res, payload);
  }

  private sendMaybeMalformed(res: ServerResponse, payload: unknown): void {
    if (this.faults.malformed === 'json')
      return sendText(res, 200, JSON.stringify(payload).slice(0, 25), 'application/json');
    sendJson(res, 200, payload);
  }

  private basicAuthOk(header: string | undefined): boolean {
    const m = /^Basic\s+(.+)$/i.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    return decoded === `${this.username}:${this.password ?? ''}`;
  }

  private httpDigestOk(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header === undefined || this.password === null) return false;
    const params = verifyHttpAuthorization(header, this.password, req.method ?? 'POST');
    if (params === null || params.realm !== this.deviceId) return false;
    return this.nonceValid(parseInt(params.nonce ?? '', 16));
  }

  // ---- WebSocket -------------------------------------------------------------------------

  private onWebSocket(ws: WebSocket): void {
    ws.on('error', () => undefined);
    ws.on('close', () => this.subscribers.delete(ws));
    ws.on('message', (data) => void this.onWsFrame(ws, rawText(data)));
  }

  private async onWsFrame(ws: WebSocket, text: string): Promise<void> {
    if (this.faults.dropConnections) return ws.terminate();
    if (this.faults.responseDelayMs > 0) await sleep(this.faults.responseDelayMs);
    let frame: RpcRequest;
    try {
      frame = JSON.parse(text) as RpcRequest;
    } catch {
      return send(ws, { id: null, src: this.deviceId, error: { code: -32700, message: 'Parse error' } });
    }
    if (
      typeof frame !== 'object' ||
      frame === null ||
      typeof frame.method !== 'string' ||
      typeof frame.src !== 'string'
    ) {
      return send(ws, { id: frame?.id ?? null, src: this.deviceId, error: { code: -103, message: 'Invalid request' } });
    }
    const reply = (body: Json): void => send(ws, { id: frame.id, src: this.deviceId, dst: frame.src, ...body });
    this.requests.push(`WS ${frame.method}`);
    if (this.needsAuth(frame.method) && !this.rpcAuthOk(frame.auth)) {
      const challenge = {
        auth_type: 'digest',
        nonce: this.issueNonce(),
        nc: 1,
        realm: this.deviceId,
        algorithm: 'SHA-256',
      };
      return reply({ error: { code: 401, message: JSON.stringify(challenge) } });
    }
    // Notifications start once a client has made a valid request with a `src`.
    this.subscribers.set(ws, frame.src);
    let result: unknown;
    try {
      result = this.dispatch(frame.method, frame.params, 'WS_in');
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(-103, String(err));
      return reply({ error: { code: e.code, message: e.message } });
    }
    if (this.faults.malformed === 'json') {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, result }).slice(0, 25));
      return;
    }
    reply({ result });
  }

  private rpcAuthOk(auth: unknown): boolean {
    if (this.password === null || typeof auth !== 'object' || auth === null) return false;
    const a = auth as Partial<RpcAuthObject>;
    if (
      typeof a.realm !== 'string' ||
      typeof a.username !== 'string' ||
      typeof a.nonce !== 'number' ||
      (typeof a.cnonce !== 'number' && typeof a.cnonce !== 'string') ||
      typeof a.response !== 'string'
    ) {
      return false;
    }
    if (a.realm !== this.deviceId || !this.nonceValid(a.nonce)) return false;
    return verifyRpcAuth(a as RpcAuthObject, this.password, 1);
  }

  private broadcast(method: string, params: Json): void {
    if (this.profile.generation === 1) return;
    for (const [ws, dst] of this.subscribers) {
      send(ws, { src: this.deviceId, dst, method, params: { ts: this.clock.now() / 1000, ...params } });
    }
  }

  private notifySwitch(channel: number, fields: readonly string[]): void {
    if (this.profile.generation === 1) return;
    const full = renderSwitch(this.profile, this.physics.snapshot(), channel, this.unixSeconds());
    // NotifyStatus carries only what changed (plus the id), like the real device.
    const delta: Json = { id: channel };
    for (const f of fields) if (f in full) delta[f] = full[f];
    this.notify({ [`switch:${channel}`]: delta });
  }

  // ---- RPC methods -----------------------------------------------------------------------

  private needsAuth(method: string): boolean {
    // Shelly.GetDeviceInfo (and /shelly) stay open with auth enabled (Shelly docs, Authentication).
    return this.password !== null && method !== 'Shelly.GetDeviceInfo';
  }

  private dispatch(method: string, rawParams: unknown, source: string): unknown {
    const params = (typeof rawParams === 'object' && rawParams !== null ? rawParams : {}) as Json;
    const snapshot = (): ShellyPhysicalState => this.physics.snapshot();
    switch (method) {
      case 'Shelly.GetDeviceInfo':
        return renderDeviceInfo(this.identity);
      case 'Shelly.GetStatus': {
        const status = renderGen2Status(this.identity, snapshot(), this.unixSeconds());
        if (this.faults.malformed === 'shape') {
          const key = this.profile.relays > 0 ? 'switch:0' : 'em:0';
          status[key] = { ...(status[key] as Json), [this.profile.relays > 0 ? 'output' : 'total_act_power']: 'yes' };
        }
        return status;
      }
      case 'Shelly.GetConfig':
        return renderGen2Config(this.identity);
      case 'Shelly.ListMethods':
        return { methods: METHODS.filter((m) => this.hasMethod(m)) };
      case 'Switch.GetStatus':
        return renderSwitch(this.profile, snapshot(), this.switchId(params), this.unixSeconds());
      case 'Switch.Set':
      case 'Switch.Toggle': {
        const id = this.switchId(params);
        let on: boolean;
        if (method === 'Switch.Toggle') on = !(this.physics.relays[id]?.on ?? false);
        else if (typeof params.on === 'boolean') on = params.on;
        else throw new RpcError(-103, "Missing required argument 'on'!");
        const wasOn = this.physics.setRelay(id, on, source);
        this.notifySwitch(id, ['output', 'source', 'apower', 'current']);
        return { was_on: wasOn };
      }
      case 'EM.GetStatus':
      case 'EMData.GetStatus': {
        if (this.profile.meter !== 'three_phase') throw new RpcError(404, `No handler for ${method}`);
        const meter = renderMeter(this.profile, snapshot());
        return method === 'EM.GetStatus' ? meter['em:0'] : meter['emdata:0'];
      }
      case 'EM1.GetStatus':
      case 'EM1Data.GetStatus': {
        if (this.profile.meter !== 'single_phase') throw new RpcError(404, `No handler for ${method}`);
        const id = typeof params.id === 'number' ? params.id : 0;
        const meter = renderMeter(this.profile, snapshot());
        const value = meter[method === 'EM1.GetStatus' ? `em1:${id}` : `em1data:${id}`];
        if (value === undefined) throw new RpcError(-105, `Argument 'id', value ${id} not found!`);
        return value;
      }
      default:
        throw new RpcError(404, `No handler for ${method}`);
    }
  }

  private hasMethod(method: string): boolean {
    if (method.startsWith('Switch.')) return this.profile.relays > 0;
    if (method.startsWith('EM1')) return this.profile.meter === 'single_phase';
    if (method.startsWith('EM')) return this.profile.meter === 'three_phase';
    return true;
  }

  private switchId(params: Json): number {
    const id = params.id;
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new RpcError(-103, "Missing required argument 'id'!");
    if (id < 0 || id >= this.profile.relays) throw new RpcError(-105, `Argument 'id', value ${id} not found!`);
    return id;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private issueNonce(): number {
    this.authChallenges += 1;
    for (const [old, at] of this.nonces) if (this.clock.now() - at > NONCE_LIFETIME_MS) this.nonces.delete(old);
    const nonce = Math.floor(this.clock.now() / 1000) * 1000 + randomInt(0, 1000);
    this.nonces.set(nonce, this.clock.now());
    return nonce;
  }

  private nonceValid(nonce: number): boolean {
    const issued = this.nonces.get(nonce);
    return issued !== undefined && this.clock.now() - issued <= NONCE_LIFETIME_MS;
  }

  private unixSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** Realtime mode: loads wander a little, as appliances do, and clients hear about it. */
  private tick(): void {
    this.physics.relays.forEach((relay, i) => {
      const nominal = this.nominalLoadsW[i] ?? 0;
      if (!relay.on || nominal === 0) return;
      this.physics.setLoad(i, Math.round(nominal * (0.97 + Math.random() * 0.06) * 10) / 10);
      this.notifySwitch(i, ['apower', 'current', 'aenergy']);
    });
    if (this.physics.meterChannels !== null && this.profile.generation > 1) {
      this.physics.meterChannels.forEach((_, i) =>
        this.physics.setMeterPower(
          i,
          Math.round(((this.nominalMeterW[i] ?? 0) + (Math.random() - 0.5) * 40) * 10) / 10,
        ),
      );
      this.notify(renderMeter(this.profile, this.physics.snapshot()));
    }
  }
}

const METHODS = [
  'Shelly.GetDeviceInfo',
  'Shelly.GetStatus',
  'Shelly.GetConfig',
  'Shelly.ListMethods',
  'Switch.GetStatus',
  'Switch.Set',
  'Switch.Toggle',
  'EM.GetStatus',
  'EMData.GetStatus',
  'EM1.GetStatus',
  'EM1Data.GetStatus',
];

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  sendText(res, status, JSON.stringify(payload), 'application/json');
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

function send(ws: WebSocket, frame: Json): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** `GET /rpc/Switch.Set?id=0&on=true`: numbers and booleans arrive as text. */
function queryParams(url: URL): Json {
  const out: Json = {};
  for (const [key, value] of url.searchParams) {
    if (value === 'true' || value === 'false') out[key] = value === 'true';
    else if (/^-?\d+(\.\d+)?$/.test(value)) out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
