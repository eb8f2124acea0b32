import { DeviceError, toDeviceError } from '@sps/core';
import WebSocket from 'ws';
import { rpcAuthObject, type RpcAuthObject } from '../codec/digest.js';
import { decodeAuthChallenge, decodeRpcInbound, encodeRpcRequest, type RpcResponse } from '../codec/rpc-frame.js';
import type { HttpTarget } from './http.js';
import {
  authFailed,
  newClientSource,
  newCnonce,
  rpcErrorToDeviceError,
  type RpcNotificationListener,
  type ShellyRpcClient,
} from './rpc-client.js';

interface Pending {
  readonly method: string;
  readonly resolve: (response: RpcResponse) => void;
  readonly reject: (err: DeviceError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Gen2+ JSON-RPC over WebSocket (`ws://host/rpc`). One socket, many requests in flight matched
 * by id. The device pushes NotifyStatus/NotifyFullStatus to a client once it has sent a request
 * with a valid `src` (device-protocols.md §2.1), so `connect()` sends one.
 *
 * Auth: the first protected request gets error 401 whose message holds the digest challenge;
 * we build the `auth` object once and attach it to every later request (Shelly docs: over
 * WebSocket the challenge is needed only once). A 401 to a request that already carried the
 * auth built from a fresh challenge means the password is wrong.
 *
 * The socket is opened lazily and again after it dropped, so a call after a drop reconnects.
 */
export class ShellyWsRpcClient implements ShellyRpcClient {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly src = newClientSource();
  private auth: RpcAuthObject | null = null;
  private closed = false;

  constructor(
    private readonly target: HttpTarget,
    private readonly password: string | null,
    private readonly listener: RpcNotificationListener | null = null,
  ) {}

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  async connect(): Promise<void> {
    this.closed = false;
    await this.ensureOpen();
  }

  async call(method: string, params?: Readonly<Record<string, unknown>>): Promise<unknown> {
    let response = await this.exchange(method, params, this.auth);
    if (response.kind === 'error' && response.code === 401) {
      if (this.password === null) throw authFailed(method, false);
      let challenge;
      try {
        challenge = decodeAuthChallenge(response.message);
      } catch (err) {
        throw new DeviceError('bad_response', `${method}: ${(err as Error).message}`, { cause: err });
      }
      this.auth = rpcAuthObject(challenge, this.password, newCnonce());
      response = await this.exchange(method, params, this.auth);
      if (response.kind === 'error' && response.code === 401) {
        this.auth = null;
        throw authFailed(method, true);
      }
    }
    if (response.kind === 'error') throw rpcErrorToDeviceError(method, response.code, response.message);
    return response.result;
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = null;
    this.opening = null;
    this.failAll(new DeviceError('not_connected', 'the WebSocket client is closed'));
    if (socket === null || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      socket.close();
    });
  }

  private async exchange(
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    auth: RpcAuthObject | null,
  ): Promise<RpcResponse> {
    const socket = await this.ensureOpen();
    const id = this.nextId++;
    const frame = encodeRpcRequest({
      id,
      src: this.src,
      method,
      ...(params === undefined ? {} : { params }),
      ...(auth === null ? {} : { auth }),
    });
    return new Promise<RpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DeviceError('timeout', `no answer within ${this.target.timeoutMs} ms to ${method} over WebSocket`));
      }, this.target.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      socket.send(frame, (err) => {
        if (err) this.settle(id, new DeviceError('connection_lost', `${method}: send failed (${err.message})`));
      });
    });
  }

  private ensureOpen(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new DeviceError('not_connected', 'the WebSocket client is closed'));
    if (this.socket !== null && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= this.open().finally(() => (this.opening = null));
    return this.opening;
  }

  private open(): Promise<WebSocket> {
    const { host, port, timeoutMs } = this.target;
    const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}/rpc`;
    return new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      let opened = false;
      socket.on('open', () => {
        opened = true;
        this.socket = socket;
        resolve(socket);
      });
      socket.on('message', (data, isBinary) => {
        if (this.socket === socket) this.onFrame(isBinary ? '' : rawText(data));
      });
      socket.on('error', (err) => {
        if (!opened) reject(openError(err, url));
      });
      socket.on('unexpected-response', (_req, res) => {
        reject(new DeviceError('unsupported', `${url}: HTTP ${res.statusCode ?? 0} instead of a WebSocket`));
        socket.terminate();
      });
      socket.on('close', () => {
        if (!opened) return reject(new DeviceError('connection_refused', `${url}: closed before opening`));
        if (this.socket !== socket) return;
        this.socket = null;
        const err = new DeviceError('connection_lost', `WebSocket ${url} closed`);
        this.failAll(err);
        if (!this.closed) this.listener?.onDisconnect(err);
      });
    });
  }

  private onFrame(text: string): void {
    let inbound;
    try {
      inbound = decodeRpcInbound(text);
    } catch (err) {
      // A frame we cannot read cannot be matched to its request: fail what is waiting.
      this.failAll(new DeviceError('bad_response', toDeviceError(err).message));
      return;
    }
    if (inbound.kind === 'notification') {
      if (inbound.method === 'NotifyStatus') this.listener?.onStatus('delta', inbound.params);
      else if (inbound.method === 'NotifyFullStatus') this.listener?.onStatus('full', inbound.params);
      return;
    }
    const id = typeof inbound.id === 'number' ? inbound.id : Number(inbound.id);
    this.settle(id, inbound);
  }

  private settle(id: number, outcome: RpcResponse | DeviceError): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof DeviceError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private failAll(err: DeviceError): void {
    for (const [id, pending] of [...this.pending]) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(new DeviceError(err.kind, `${pending.method}: ${err.message}`));
    }
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function openError(err: Error, url: string): DeviceError {
  const e = toDeviceError(err);
  if (e.kind === 'timeout' || /timed out/i.test(err.message)) {
    return new DeviceError('timeout', `${url}: no WebSocket handshake in time`, { cause: err });
  }
  if (e.kind === 'bad_response') return new DeviceError('bad_response', `${url}: ${err.message}`, { cause: err });
  return new DeviceError('connection_refused', `${url}: ${err.message}`, { cause: err });
}
