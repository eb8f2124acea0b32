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
    ['172.30.32.2', true],
    ['::ffff:172.30.32.2', true],
    ['127.0.0.1', true],
    ['::1', true],
    ['172.30.32.1', false],
    ['192.168.1.20', false],
    ['::ffff:10.0.0.9', false],
    [undefined, false],
  ])('a request from %s is allowed: %s', (address, allowed) => {
    expect(isAllowedUnderSupervisor(address)).toBe(allowed);
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
      expect(await statusFrom('127.0.0.1', `http://127.0.0.1:${port}/`)).toBe(200);
      // Any other source is refused, like a LAN client reaching the add-on's port directly.
      expect(await statusFrom('127.0.0.3', `http://127.0.0.1:${port}/api/health`)).toBe(403);
      expect(await statusFrom('127.0.0.3', `http://127.0.0.1:${port}/`)).toBe(403);
    } finally {
      await app.close();
    }
  });
});
