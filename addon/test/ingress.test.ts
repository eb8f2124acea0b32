import http from 'node:http';
import { SafetyGuard } from '@sps/control';
import { ManualClock } from '@sps/core';
import { ReadingStore } from '@sps/store';
import { DeviceManager } from '../src/device-manager';
import { builtInDrivers } from '../src/drivers';
import { isAllowedUnderSupervisor } from '../src/http/ingress-guard';
import { buildHttpServer } from '../src/http/server';
import { ReadingHub } from '../src/hub';
import { silentLogger } from '../src/logger';
import { ProblemBoard } from '../src/problems';

describe('under the Supervisor', () => {
  it.each([
    ['172.30.32.2', 'POST', '/api/devices/x/commands', true],
    ['::ffff:172.30.32.2', 'GET', '/', true],
    // Loopback is the host's (host_network): only the container's own tools' reads.
    ['127.0.0.1', 'GET', '/api/health', true],
    ['::1', 'HEAD', '/api/health', true],
    ['127.0.0.1', 'GET', '/api/dr?x=1', true],
    ['127.0.0.1', 'GET', '/', false],
    ['127.0.0.1', 'GET', '/api/readings', false],
    ['::ffff:127.0.0.1', 'POST', '/api/health', false],
    ['127.0.0.1', 'POST', '/api/devices/x/commands', false],
    ['172.30.32.1', 'GET', '/api/health', false],
    ['192.168.1.20', 'GET', '/api/health', false],
    ['::ffff:10.0.0.9', 'GET', '/', false],
    [undefined, 'GET', '/api/health', false],
  ])('a request from %s (%s %s) is allowed: %s', (address, method, url, allowed) => {
    expect(isAllowedUnderSupervisor(address, method, url)).toBe(allowed);
  });

  /** GET from a chosen local source address (anything in 127.0.0.0/8 is this machine on Linux). */
  function statusFrom(localAddress: string, url: string): Promise<number> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { localAddress }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
  }

  it('guards every route, the page included', async () => {
    const clock = new ManualClock();
    const hub = new ReadingHub();
    const guard = new SafetyGuard({ clock });
    const logger = silentLogger();
    const app = buildHttpServer({
      manager: new DeviceManager([], { drivers: builtInDrivers, hub, guard, clock, logger }),
      hub,
      guard,
      archive: ReadingStore.open({ path: ':memory:', clock }),
      clock,
      logger,
      version: 'test',
      startedAt: clock.now(),
      problems: new ProblemBoard(clock, logger),
      ingressOnly: true,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    try {
      expect(await statusFrom('127.0.0.1', `http://127.0.0.1:${port}/api/health`)).toBe(200);
      // Loopback is the host's under host_network: the panel and the data stay behind ingress.
      expect(await statusFrom('127.0.0.1', `http://127.0.0.1:${port}/`)).toBe(403);
      expect(await statusFrom('127.0.0.1', `http://127.0.0.1:${port}/api/readings`)).toBe(403);
      // Any other source is refused, like a LAN client reaching the add-on's port directly.
      expect(await statusFrom('127.0.0.3', `http://127.0.0.1:${port}/api/health`)).toBe(403);
      expect(await statusFrom('127.0.0.3', `http://127.0.0.1:${port}/`)).toBe(403);
    } finally {
      await app.close();
    }
  });
});
