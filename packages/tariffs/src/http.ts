import type { z } from 'zod';
import { PriceFetchError, describeZodError } from './errors.js';

export interface JsonRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** Name of the API in error messages, e.g. "Amber prices". */
  what: string;
  /** Used to turn an HTTP-date Retry-After into a delay. */
  now?: number;
}

export interface JsonResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

/** Error name without `instanceof` (errors from fetch may come from another realm, e.g. DOMException). */
function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string'
    ? (err as { name: string }).name
    : '';
}

function errorMessage(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message
    : String(err);
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * GET/POST a JSON API with a timeout and validate the body with zod. Every
 * failure becomes a PriceFetchError whose kind says what went wrong.
 */
export async function fetchJson<S extends z.ZodType>(req: JsonRequest, schema: S): Promise<JsonResponse<z.output<S>>> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/json',
        'user-agent': 'smart-power-station',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    const name = errorName(err);
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new PriceFetchError('timeout', `${req.what}: no answer within ${req.timeoutMs} ms`, { cause: err });
    }
    const inner = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
    const cause = inner !== undefined ? `: ${errorMessage(inner)}` : '';
    throw new PriceFetchError('network', `${req.what}: ${errorMessage(err)}${cause}`, {
      cause: err,
    });
  }

  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    const name = errorName(err);
    const kind = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    throw new PriceFetchError(kind, `${req.what}: response body not received (${errorMessage(err)})`, { cause: err });
  }

  if (res.status === 429) {
    const retryAfterMs =
      parseRetryAfter(res.headers.get('retry-after'), req.now) ?? parseRetryAfter(res.headers.get('ratelimit-reset'));
    throw new PriceFetchError(
      'rate_limited',
      `${req.what}: HTTP 429 Too Many Requests${retryAfterMs !== undefined ? `, retry after ${Math.ceil(retryAfterMs / 1000)} s` : ''}`,
      { status: 429, retryAfterMs },
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new PriceFetchError('auth', `${req.what}: HTTP ${res.status} (check the API key / token)`, {
      status: res.status,
    });
  }
  if (!res.ok) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), req.now);
    throw new PriceFetchError('http', `${req.what}: HTTP ${res.status} ${res.statusText}`.trim(), {
      status: res.status,
      retryAfterMs,
    });
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PriceFetchError('malformed', `${req.what}: response is not valid JSON (${text.slice(0, 60)}…)`, {
      status: res.status,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new PriceFetchError('invalid', `${req.what}: unexpected response shape: ${describeZodError(parsed.error)}`, {
      status: res.status,
    });
  }
  return { data: parsed.data, headers: res.headers, status: res.status };
}

/** Join a base URL (with or without trailing slash) and a path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
