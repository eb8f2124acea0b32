import { randomInt } from 'node:crypto';
import { DeviceError } from '@sps/core';

/** A Gen2+ RPC transport: HTTP (`POST /rpc`) or WebSocket (`/rpc`, with notifications). */
export interface ShellyRpcClient {
  call(method: string, params?: Readonly<Record<string, unknown>>): Promise<unknown>;
  close(): Promise<void>;
}

/** Push side of the WebSocket transport. */
export interface RpcNotificationListener {
  /** NotifyStatus (a delta) or NotifyFullStatus (everything); `params` as the device sent it. */
  onStatus(kind: 'delta' | 'full', params: Readonly<Record<string, unknown>>): void;
  /** The socket closed under us; the next call reconnects. */
  onDisconnect(reason: DeviceError): void;
}

/**
 * RPC error codes: 401 needs (other) credentials; -114/404 name a method the device lacks
 * (mongoose-os RPC, as Shelly devices report them); the rest are refusals (-103 invalid
 * argument, -105 not found, …).
 */
export function rpcErrorToDeviceError(method: string, code: number, message: string): DeviceError {
  if (code === 401) return new DeviceError('auth_failed', `${method}: unauthorized (401)`);
  if (code === 404 || code === -114) return new DeviceError('unsupported', `${method}: ${message} (${code})`);
  return new DeviceError('rejected', `${method}: ${message} (${code})`);
}

/** Clients identify themselves with `src`; the device addresses responses and notifications to it. */
export function newClientSource(): string {
  return `sps-${randomInt(0, 2 ** 32)
    .toString(16)
    .padStart(8, '0')}`;
}

/** Digest cnonce: Shelly's examples use a number; any unpredictable value does. */
export function newCnonce(): number {
  return randomInt(1, 2 ** 47);
}

export function authFailed(method: string, hasPassword: boolean): DeviceError {
  return new DeviceError(
    'auth_failed',
    hasPassword
      ? `${method}: the device refused the configured password (digest SHA-256, user admin)`
      : `${method}: the device has authentication enabled; set its password in the options`,
  );
}
