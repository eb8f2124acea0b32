import { RelayHoldError, WriteRateLimitedError, waitBeforeRetryMs } from '@sps/control';
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
      headers: { 'retry-after': retryAfterSeconds(err.retryAfterMs) },
    };
  }
  if (err instanceof RelayHoldError) {
    // The relay is fine and the command valid, but it conflicts with the relay's anti-chatter hold.
    return {
      status: 409,
      body: { error: err.message, field: 'on' },
      headers: { 'retry-after': retryAfterSeconds(err.retryAfterMs) },
    };
  }
  if (err instanceof CommandRejectedError) {
    return { status: 422, body: { error: err.message, ...(err.field === undefined ? {} : { field: err.field }) } };
  }
  if (err instanceof DeviceError) {
    const reply = { status: DEVICE_ERROR_STATUS[err.kind], body: { error: err.reason, kind: err.kind } };
    if (err.kind !== 'busy') return reply;
    // A member's relay hold or write budget (through a composite) knows when it will take the command.
    const waitMs = retryAfterInCauses(err);
    const retryAfter = waitMs === undefined ? String(DEVICE_BUSY_RETRY_AFTER_S) : retryAfterSeconds(waitMs);
    return { ...reply, headers: { 'retry-after': retryAfter } };
  }
  return { status: 500, body: { error: 'internal error' } };
}

/** The wait a relay hold or write budget named somewhere down an error's cause chain, ms. */
function retryAfterInCauses(err: Error): number | undefined {
  let cause: unknown = err.cause;
  for (let depth = 0; depth < 8 && cause instanceof Error; depth++) {
    const waitMs = waitBeforeRetryMs(cause);
    if (waitMs !== undefined) return waitMs;
    cause = cause.cause;
  }
  return undefined;
}

/** Retry-After in whole seconds, at least 1 (0 would invite an immediate retry that is refused again). */
function retryAfterSeconds(waitMs: number): string {
  return String(Math.max(1, Math.ceil(waitMs / 1000)));
}
