import { readFileSync } from 'node:fs';

/**
 * How long the HTTP server waits for a client and how many it holds at once. Without these a
 * client trickling a body (or thousands of idle sockets) kept its descriptors for good and
 * starved the device sockets of the same process (EMFILE).
 */
export interface HttpLimits {
  /** A request's headers must arrive within this (Node answers 408 and closes). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included (bodies are at most 64 KiB). Not the response: the SSE stream is unaffected. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive socket is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node looks for expired requests; the timeouts are enforced to within this. */
  readonly timeoutCheckIntervalMs: number;
  /** Sockets beyond this are closed as they are accepted, so descriptors are left for devices. */
  readonly maxConnections: number;
}

/** The cap never takes more than a quarter of the descriptors, and 256 is plenty for a panel. */
const MAX_CONNECTIONS = 256;
const MIN_CONNECTIONS = 16;

export function defaultHttpLimits(openFilesLimit: number | undefined = processOpenFilesLimit()): HttpLimits {
  return {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    timeoutCheckIntervalMs: 1_000,
    maxConnections: connectionCap(openFilesLimit),
  };
}

export function connectionCap(openFilesLimit: number | undefined): number {
  if (openFilesLimit === undefined || !Number.isFinite(openFilesLimit)) return MAX_CONNECTIONS;
  return Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS, Math.floor(openFilesLimit / 4)));
}

/** The soft RLIMIT_NOFILE from /proc (Linux; Node has no API for it); undefined elsewhere or when unlimited. */
export function processOpenFilesLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    return match && match[1] !== 'unlimited' ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
