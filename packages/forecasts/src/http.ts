import type { z } from 'zod';

export type ForecastFetchErrorKind = 'timeout' | 'network' | 'http' | 'rate_limited' | 'auth' | 'malformed' | 'invalid';

/** Why a forecast source failed; `reason` is the one line shown to people. */
export class ForecastFetchError extends Error {
  override readonly name = 'ForecastFetchError';
  constructor(
    readonly kind: ForecastFetchErrorKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
  get reason(): string {
    return `${this.kind.replaceAll('_', ' ')}: ${this.message}`;
  }
}

export function describeZodError(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (error.issues.length > max) parts.push(`… and ${error.issues.length - max} more`);
  return parts.join('; ');
}

function prop(err: unknown, key: 'name' | 'message'): string {
  const v = typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : key === 'message' ? String(err) : '';
}

/** GET a JSON API with a timeout and validate it with zod; every failure is a ForecastFetchError. */
export async function getJson<S extends z.ZodType>(
  url: string,
  schema: S,
  what: string,
  timeoutMs: number,
): Promise<z.output<S>> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', 'user-agent': 'smart-power-station' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const name = prop(err, 'name');
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new ForecastFetchError('timeout', `${what}: no answer within ${timeoutMs} ms`);
    }
    throw new ForecastFetchError('network', `${what}: ${prop(err, 'message')}`);
  }
  if (res.status === 429) {
    const ra = res.headers.get('retry-after');
    const retryAfterMs = ra && /^\d+$/.test(ra.trim()) ? Number(ra) * 1000 : undefined;
    throw new ForecastFetchError('rate_limited', `${what}: HTTP 429 Too Many Requests`, retryAfterMs);
  }
  if (res.status === 401 || res.status === 403) throw new ForecastFetchError('auth', `${what}: HTTP ${res.status}`);
  if (!res.ok) throw new ForecastFetchError('http', `${what}: HTTP ${res.status}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ForecastFetchError('malformed', `${what}: response is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ForecastFetchError('invalid', `${what}: unexpected response shape: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
