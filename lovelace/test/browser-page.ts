/**
 * A loopback HTTP server for the browser tests: the page, the bundle, and the add-on's API answered
 * from the fixtures (for the panel host's HttpDataSource). Everything is same-origin, so any other
 * request the bundle made would be a request outside HA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { devicesFixture, historyFixture, offGridPlanFixture, planFixture, readingsFixture } from './fixtures.js';

export const LOVELACE_DIR = path.join(__dirname, '..');
export const BUNDLE_PATH = path.join(LOVELACE_DIR, 'dist', 'smart-power-station-cards.js');

/** Builds the bundle as `pnpm build` does (esbuild; well under a second), into a folder of this test's own. */
export function buildBundle(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bundle-'));
  try {
    const out = path.join(dir, path.basename(BUNDLE_PATH));
    execFileSync(process.execPath, [path.join(LOVELACE_DIR, 'scripts', 'bundle.mjs'), out], { stdio: 'pipe' });
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { margin: 0; padding: 8px; font-family: sans-serif; background: #fafafa; }
  #cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 8px; }
  body.dark { background: #111; --primary-text-color: #e1e1e1; --card-background-color: #1c1c1c;
    --secondary-text-color: #9b9b9b; --divider-color: rgba(225,225,225,0.12); }
</style></head>
<body><div id="cards"></div><script type="module" src="/sps.js"></script></body></html>`;

export class CardTestServer {
  private server: http.Server | null = null;
  /** Requests the page made, path and query. */
  readonly requests: string[] = [];
  /** Answer as a mixed household: a Sungrow inverter with its battery beside the station. */
  inverter = false;
  /** Answer the plan of an off-grid house (`optimizer.grid: none`). */
  offGrid = false;

  constructor(private readonly bundle: string) {}

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push(url.pathname + url.search);
    const json = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      case '/sps.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(this.bundle);
        return;
      case '/api/plan':
        return json(this.offGrid ? offGridPlanFixture(Date.now()) : planFixture(Date.now()));
      case '/api/devices':
        return json(devicesFixture({ inverter: this.inverter }));
      case '/api/readings':
        return json(readingsFixture({ inverter: this.inverter }));
      case '/api/readings/history': {
        const from = Date.parse(url.searchParams.get('from') ?? '');
        const to = Date.parse(url.searchParams.get('to') ?? '');
        return json(historyFixture(url.searchParams.get('key') ?? '', from, to));
      }
      case '/api/stream':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write('retry: 3000\n\n');
        return;
      case '/api/optimizer/override':
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'refused by the safety guard: the battery is at its backup reserve' }));
        return;
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no route ${url.pathname}` }));
    }
  }
}
