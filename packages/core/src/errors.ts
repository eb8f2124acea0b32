/**
 * Why a device could not be read or commanded. The kind drives behaviour
 * (HTTP status, retry/backoff, HA availability); the message is shown to people.
 */
export type DeviceErrorKind =
  /** No answer in time. */
  | 'timeout'
  /** Nothing listens at the address, or the host is unreachable. */
  | 'connection_refused'
  /** The connection dropped mid-conversation. */
  | 'connection_lost'
  /** The device answered with something we cannot decode (short frame, bad CRC, malformed JSON…). */
  | 'bad_response'
  /** The device understood and said no (Modbus exception 1–4, HTTP 4xx, "not allowed now"). */
  | 'rejected'
  /**
   * The device answered but cannot do it right now and asks to be asked again (Modbus exceptions
   * 5 acknowledge, 6 server busy, 10/11 gateway): transient, never a refusal.
   */
  | 'busy'
  /** The device (or its firmware/transport) cannot do this at all. */
  | 'unsupported'
  /** Authentication failed. */
  | 'auth_failed'
  /** The adapter is not connected (not yet, or closed). */
  | 'not_connected';

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
  constructor(
    readonly kind: DeviceErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The short reason shown in HA and the web panel, e.g. `timeout: no answer within 3000 ms`. */
  get reason(): string {
    return `${this.kind.replaceAll('_', ' ')}: ${this.message}`;
  }

  /**
   * True when the device itself is fine but refused this particular request: asking again will not
   * help. Everything else (timeouts, lost connections, `busy`) may succeed on a later attempt.
   */
  get isRefusal(): boolean {
    return this.kind === 'rejected' || this.kind === 'unsupported';
  }

  /** True when the device answered (so the link is up), whether it refused or was only busy. */
  get deviceAnswered(): boolean {
    return this.isRefusal || this.kind === 'busy';
  }
}

/** A command that breaks the device's capabilities or a safety limit; never reaches the device. */
export class CommandRejectedError extends Error {
  override readonly name = 'CommandRejectedError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A decoder found a frame it cannot trust. Codecs throw only this. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Normalise any thrown value into a DeviceError so callers handle one type. */
export function toDeviceError(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  if (err instanceof DecodeError) return new DeviceError('bad_response', err.message, { cause: err });
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DeviceError('connection_refused', message, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new DeviceError('connection_lost', message, { cause: err });
    case 'ETIMEDOUT':
      return new DeviceError('timeout', message, { cause: err });
    default:
      return new DeviceError('bad_response', message, { cause: err });
  }
}
