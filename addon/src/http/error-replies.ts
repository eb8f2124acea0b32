import { WriteRateLimitedError } from '@sps/control';
import { CommandRejectedError, DeviceError, type DeviceErrorKind } from '@sps/core';
import { UnknownDeviceError } from '../device-manager.js';

/** How a failure becomes an HTTP answer. Every error body is `{ error, … }` with a one-line message. */
export interface ErrorReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

const DEVICE_ERROR_STATUS: Record<DeviceErrorKind, number> = {
  rejected: 409,
  unsupported: 409,
  // The device is fine but asked to be asked again: 503 with Retry-After, like any busy server.
  busy: 503,
  timeout: 504,
  connection_refused: 502,
  connection_lost: 502,
  bad_response: 502,
  auth_failed: 502,
  not_connected: 502,
};

/** A busy device (Modbus exception 5/6/10/11) usually answers again within seconds. */
export const DEVICE_BUSY_RETRY_AFTER_S = 5;

export function badRequest(message: string, field?: string): ErrorReply {
  return { status: 400, body: { error: message, ...(field === undefined ? {} : { field }) } };
}

export function errorReply(err: unknown): ErrorReply {
  if (err instanceof UnknownDeviceError) return { status: 404, body: { error: err.message } };
  if (err instanceof WriteRateLimitedError) {
    return {
      status: 429,
      body: { error: err.message },
      headers: { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) },
    };
  }
  if (err instanceof CommandRejectedError) {
    return { status: 422, body: { error: err.message, ...(err.field === undefined ? {} : { field: err.field }) } };
  }
  if (err instanceof DeviceError) {
    const reply = { status: DEVICE_ERROR_STATUS[err.kind], body: { error: err.reason, kind: err.kind } };
    return err.kind === 'busy' ? { ...reply, headers: { 'retry-after': String(DEVICE_BUSY_RETRY_AFTER_S) } } : reply;
  }
  return { status: 500, body: { error: 'internal error' } };
}
