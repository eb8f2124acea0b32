import { createConnection, ERR_CANNOT_CONNECT, ERR_INVALID_AUTH, type Connection, type HaWebSocket } from './haws.js';
import WebSocket from 'ws';
import { z } from 'zod';

/**
 * Opens a websocket to HA and completes the auth phase, as home-assistant-js-websocket's
 * `createSocket` contract requires (resolve only after auth_ok, set `haVersion`). We use the
 * `ws` package rather than the global WebSocket so timeouts and the handshake's HTTP status
 * (the Supervisor proxy answers 502 while Core restarts) are visible.
 */

const AuthPhaseMessage = z.object({
  type: z.enum(['auth_required', 'auth_ok', 'auth_invalid']),
  ha_version: z.string().optional(),
  message: z.string().optional(),
});

export interface SocketOptions {
  readonly url: string;
  readonly token: string;
  /** Abandon a socket that has not finished auth after this long (half-open proxies). */
  readonly authTimeoutMs?: number;
}

/** Why a connection attempt failed; `auth` failures are not worth retrying quickly. */
export class HaSocketError extends Error {
  constructor(
    readonly code: typeof ERR_CANNOT_CONNECT | typeof ERR_INVALID_AUTH,
    message: string,
  ) {
    super(message);
    this.name = 'HaSocketError';
  }
}

export function openAuthenticatedSocket(options: SocketOptions): Promise<HaWebSocket> {
  const authTimeoutMs = options.authTimeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, { handshakeTimeout: authTimeoutMs, maxPayload: 64 * 1024 * 1024 });
    let settled = false;
    const fail = (err: HaSocketError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new HaSocketError(ERR_CANNOT_CONNECT, `no auth_ok within ${authTimeoutMs} ms`)),
      authTimeoutMs,
    );

    socket.on('unexpected-response', (_req, res) => {
      fail(new HaSocketError(ERR_CANNOT_CONNECT, `HTTP ${res.statusCode ?? '?'} from ${options.url}`));
    });
    socket.on('error', (err) => fail(new HaSocketError(ERR_CANNOT_CONNECT, err.message)));
    socket.on('close', (code) => fail(new HaSocketError(ERR_CANNOT_CONNECT, `closed during auth (code ${code})`)));
    socket.on('message', (data) => {
      let parsed: z.infer<typeof AuthPhaseMessage>;
      try {
        parsed = AuthPhaseMessage.parse(JSON.parse(String(data)));
      } catch {
        fail(new HaSocketError(ERR_CANNOT_CONNECT, 'malformed message during auth'));
        return;
      }
      if (parsed.type === 'auth_required') {
        socket.send(JSON.stringify({ type: 'auth', access_token: options.token }));
      } else if (parsed.type === 'auth_invalid') {
        fail(new HaSocketError(ERR_INVALID_AUTH, `auth_invalid: ${parsed.message ?? 'token refused'}`));
      } else if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
        // The Connection adds its own listeners next; an 'error' with no listener would crash Node.
        socket.on('error', () => undefined);
        const haSocket = socket as unknown as HaWebSocket;
        haSocket.haVersion = parsed.ha_version ?? 'unknown';
        resolve(haSocket);
      }
    });
  });
}

/** A plain HA websocket connection (no bridge session): for reading registries, states and services. */
export function connectToHa(options: SocketOptions): Promise<Connection> {
  return createConnection({ setupRetry: 0, createSocket: () => openAuthenticatedSocket(options) });
}
