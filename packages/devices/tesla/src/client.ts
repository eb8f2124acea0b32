import { DeviceError, toDeviceError, type Clock } from '@sps/core';
import { errorReason } from './codec/responses.js';

export interface TeslemetryTarget {
  /** The API root without a trailing slash, e.g. https://api.teslemetry.com */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
}

export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

/** Answers are small JSON documents; a lifetime history is the largest (a few kB per year). */
const MAX_BODY_CHARS = 2_000_000;
/** A Retry-After further away than this is not waited for by one command; the caller is told "busy". */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/** A refused request that asks to be retried later (HTTP 429), with when. */
export class RateLimitedError extends DeviceError {
  constructor(
    readonly retryAtMs: number,
    message: string,
  ) {
    super('busy', message);
  }
}

/**
 * One Teslemetry / Fleet API conversation per call: bearer token, a timeout, and every failure as
 * a DeviceError whose message is the API's own error text when it sent one:
 * - 401/403 → `auth_failed` ("token rejected"): the device becomes unavailable with that reason;
 * - 429 → `busy` until Retry-After; no request leaves before then (reads and commands alike);
 * - other 4xx → `rejected` (a refusal: asking again cannot help);
 * - 5xx, timeouts, resets → transient kinds that the poll and the command queue retry.
 */
export class TeslemetryClient {
  private blockedUntil = 0;

  constructor(
    private readonly target: TeslemetryTarget,
    private readonly clock: Clock,
  ) {}

  /** While a 429's Retry-After runs: when it ends, else null. */
  get retryAfterMs(): number | null {
    const left = this.blockedUntil - this.clock.now();
    return left > 0 ? left : null;
  }

  get(path: string): Promise<ApiAnswer> {
    return this.request('GET', path);
  }

  post(path: string, body: unknown): Promise<ApiAnswer> {
    return this.request('POST', path, body);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
    const what = `${method} ${path.split('?')[0] ?? path}`;
    const wait = this.retryAfterMs;
    if (wait !== null) {
      throw new RateLimitedError(
        this.blockedUntil,
        `rate limited by the API: retry after ${Math.ceil(wait / 1000)} s (${what})`,
      );
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.target.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.target.timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (err) {
      throw classifyFetchError(err, what, this.target.timeoutMs);
    }
    if (text.length > MAX_BODY_CHARS) throw new DeviceError('bad_response', `${what}: answer larger than 2 MB`);
    let json: unknown = null;
    let parsed = false;
    try {
      json = text === '' ? null : (JSON.parse(text) as unknown);
      parsed = true;
    } catch {
      // Gateways answer 502/504 with HTML; the status says enough below.
    }
    const reason = errorReason(json);
    const detail = reason ?? (text.trim().slice(0, 120) || `HTTP ${response.status}`);
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new DeviceError('auth_failed', `token rejected (HTTP ${status}: ${detail})`);
    }
    if (status === 429) {
      const delay = retryAfterMs(response.headers.get('retry-after'), this.clock.now()) ?? 60_000;
      this.blockedUntil = this.clock.now() + delay;
      throw new RateLimitedError(
        this.blockedUntil,
        `rate limited by the API: retry after ${Math.ceil(delay / 1000)} s (${what}: ${detail})`,
      );
    }
    if (status >= 500) throw new DeviceError('bad_response', `${what}: HTTP ${status}: ${detail}`);
    if (status >= 400) throw new DeviceError('rejected', `${what}: ${detail}`);
    if (reason !== null) throw new DeviceError('rejected', `${what}: ${reason}`);
    if (!parsed) throw new DeviceError('bad_response', `${what}: the answer is not JSON`);
    return { status, text, json };
  }
}

/** Retry-After as seconds or an HTTP date → ms from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Number(text) * 1000, 24 * 3_600_000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.min(at - now, 24 * 3_600_000));
}

function classifyFetchError(err: unknown, what: string, timeoutMs: number): DeviceError {
  // Duck-typed: fetch's errors come from another realm under some runners, so instanceof fails.
  const record = typeof err === 'object' && err !== null ? (err as { name?: unknown; cause?: unknown }) : {};
  if (record.name === 'TimeoutError' || record.name === 'AbortError') {
    return new DeviceError('timeout', `no answer within ${timeoutMs} ms to ${what}`, { cause: err });
  }
  // fetch wraps the socket error in `cause` (ECONNREFUSED, ECONNRESET, ENOTFOUND…).
  const cause = record.cause !== undefined ? record.cause : err;
  const e = toDeviceError(cause);
  const kind = e.kind === 'bad_response' ? 'connection_lost' : e.kind;
  return new DeviceError(kind, `${e.message} (${what})`, { cause: err });
}
