// A scripted HTTP server on 127.0.0.1 for provider tests (tariffs, forecasts): records requests, answers with a handler the test swaps.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void;

/** A loopback HTTP server whose behaviour a test swaps per request. */
export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export async function startServer(initial: Handler = (_req, res) => json(res, 404, {})): Promise<TestServer> {
  let handler = initial;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An in-memory stand-in for the store's key-value interface. */
export class MemoryState {
  readonly data = new Map<string, unknown>();
  getState<T>(ns: string, key: string): T | undefined {
    const v = this.data.get(`${ns}/${key}`);
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  putState(ns: string, key: string, value: unknown): void {
    // A JSON round-trip, like the real store.
    this.data.set(`${ns}/${key}`, JSON.parse(JSON.stringify(value)));
  }
}

export const MIN = 60_000;
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
