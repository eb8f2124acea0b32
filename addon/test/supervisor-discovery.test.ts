import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceToSupervisor, DISCOVERY_SERVICE } from '../src/ha/supervisor-discovery';
import { silentLogger } from '../src/logger';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  auth: string | undefined;
  body: unknown;
}

/** A stand-in for the Supervisor's /discovery endpoint on loopback. */
async function supervisor(status: number): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: JSON.parse(text) });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { result: 'ok', data: { uuid: 'abc' } } : { result: 'error' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

describe('announceToSupervisor', () => {
  it('posts the smart_power_station service with the token, as config.yaml declares it', async () => {
    const s = await supervisor(200);
    try {
      const ok = await announceToSupervisor({
        supervisorUrl: s.url,
        token: 'tok',
        addonVersion: '0.1.0',
        logger: silentLogger(),
      });
      expect(ok).toBe(true);
      expect(s.seen).toEqual([
        {
          method: 'POST',
          url: '/discovery',
          auth: 'Bearer tok',
          body: { service: DISCOVERY_SERVICE, config: { addon_version: '0.1.0' } },
        },
      ]);
    } finally {
      s.server.close();
    }
  });

  it('reports a refusal or an unreachable Supervisor as false and never throws', async () => {
    const s = await supervisor(403);
    try {
      await expect(
        announceToSupervisor({ supervisorUrl: s.url, token: 't', addonVersion: '0.1.0', logger: silentLogger() }),
      ).resolves.toBe(false);
    } finally {
      s.server.close();
    }
    await expect(
      announceToSupervisor({
        supervisorUrl: 'http://127.0.0.1:1',
        token: 't',
        addonVersion: '0.1.0',
        logger: silentLogger(),
        timeoutMs: 2000,
      }),
    ).resolves.toBe(false);
  });
});
