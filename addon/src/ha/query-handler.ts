import { HaActionError } from './action-handler.js';

/**
 * The GET paths the cards may read through the bridge (`smart_power_station/query`). The bridge
 * checks the same list (const.QUERY_PATHS); checking it here too keeps the add-on's answer to an
 * older or altered bridge the same: only these reads, never a write.
 */
export const QUERY_PATHS: readonly string[] = [
  '/api/plan',
  '/api/devices',
  '/api/readings',
  '/api/readings/history',
  '/api/health',
  '/api/dr',
];

/** A query that waits longer than this gives up (the bridge waits 10 s). */
const QUERY_TIMEOUT_MS = 8000;

/**
 * Answers a query with what the add-on's own HTTP API answers for that GET, fetched from its own
 * listening address (`origin`, e.g. `http://127.0.0.1:8099`): the same validation, presenters,
 * errors and guards as for the panel. (fastify's in-process `inject` would skip the socket, but its
 * lazily loaded cookie parser is an ES module that CommonJS test runs cannot load.)
 */
export function createQueryHandler(origin: () => string): (path: string) => Promise<Record<string, unknown>> {
  return async (path) => {
    const [route] = path.split('?', 1);
    if (route === undefined || !QUERY_PATHS.includes(route)) {
      throw new HaActionError(`path: not one of ${QUERY_PATHS.join(', ')}`);
    }
    let status: number;
    let body: unknown;
    try {
      const response = await fetch(`${origin()}${path}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
      });
      status = response.status;
      body = await response.json().catch(() => undefined);
    } catch (err) {
      throw new HaActionError(`${route}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (status >= 400 || typeof body !== 'object' || body === null || Array.isArray(body)) {
      const error = (body as { error?: unknown } | undefined)?.error;
      throw new HaActionError(typeof error === 'string' ? error : `${route}: HTTP ${status}`);
    }
    return body as Record<string, unknown>;
  };
}
