import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SafetyGuard } from '@sps/control';
import { ManualClock } from '@sps/core';
import { ReadingStore } from '@sps/store';
import type { FastifyInstance } from 'fastify';
import { DeviceManager } from '../src/device-manager';
import { builtInDrivers } from '../src/drivers';
import { isLoopbackHost, splitHostHeader } from '../src/http/access-guard';
import { beyondLoopbackWarning, planHttpExposure } from '../src/http/exposure';
import { connectionCap } from '../src/http/http-limits';
import { buildHttpServer, type HttpServerDeps } from '../src/http/server';
import { resolveWriteToken, WRITE_TOKEN_FILE, WriteTokenError } from '../src/http/write-token';
import { ReadingHub } from '../src/hub';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { ProblemBoard } from '../src/problems';
import { AddonRuntime } from '../src/runtime';
import { fakeDrivers, type FakeDevice } from './support/fake-device';

/**
 * Issue 10 items 8 and 9, outside the Supervisor: DNS rebinding (a foreign Host), cross-site
 * writes from a page in the user's browser, the write token, and slow clients. Real sockets on
 * loopback; the Host, Origin and Sec-Fetch-Site headers are what a browser would send.
 */

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

/** One request on its own socket, with headers a browser (or an attacker's page) would send. */
function request(
  port: number,
  method: string,
  route: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: route,
        agent,
        setHost: false,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        const socket = res.socket;
        const closed = new Promise<void>((done) => socket.once('close', () => done()));
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          agent.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
            closed,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the add-on outside Home Assistant', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const { drivers, devices } = fakeDrivers(clock);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-http-access-'));
  let runtime: AddonRuntime;
  let port: number;
  const inverter = (): FakeDevice => devices.get('inverter') as FakeDevice;
  const host = (): string => `127.0.0.1:${port}`;
  const command = JSON.stringify({ type: 'set_backup_reserve', percent: 30 });
  const post = (headers: Record<string, string>, body = command): Promise<Answer> =>
    request(port, 'POST', '/api/devices/inverter/commands', headers, body);

  beforeAll(async () => {
    runtime = await AddonRuntime.start({
      config: parseOptions({ devices: [{ name: 'Inverter', driver: 'fake' }] }, drivers),
      dataDir: tmp,
      supervised: false,
      drivers,
      logger: silentLogger(),
      httpPort: 0,
      httpHostNames: ['power.home.arpa'],
      clock,
      archive: ReadingStore.open({ path: ':memory:', clock }),
    });
    port = runtime.port;
    await clock.advance(0);
  });

  afterAll(async () => {
    await runtime.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('answers only to its own names (DNS rebinding)', () => {
    it.each(['localhost', '127.0.0.1', '[::1]'])('answers Host %s with its port', async (name) => {
      expect((await request(port, 'GET', '/api/health', { host: `${name}:${port}` })).status).toBe(200);
    });

    it('answers a configured name, on any port (a reverse proxy)', async () => {
      expect((await request(port, 'GET', '/api/health', { host: 'power.home.arpa' })).status).toBe(200);
      expect((await request(port, 'GET', '/api/health', { host: 'POWER.home.arpa:8443' })).status).toBe(200);
    });

    it('refuses a foreign Host with 421 and closes the connection, for reads and writes', async () => {
      const read = await request(port, 'GET', '/api/health', { host: `evil.example:${port}` });
      expect(read.status).toBe(421);
      expect(read.headers.connection).toBe('close');
      await read.closed;
      const write = await post({ host: `evil.example:${port}` });
      expect(write.status).toBe(421);
      expect(write.body['error']).toMatch(/evil\.example/);
      await write.closed;
      const page = await request(port, 'GET', '/', { host: 'attacker.test' });
      expect(page.status).toBe(421);
      expect(inverter().executed).toEqual([]);
    });

    it('refuses loopback names on another port, and a missing Host', async () => {
      expect((await request(port, 'GET', '/api/health', { host: `localhost:${port + 1}` })).status).toBe(421);
      expect((await request(port, 'GET', '/api/health', { host: 'localhost' })).status).toBe(421);
      // Node itself answers 400 to an HTTP/1.1 request without Host.
      expect([400, 421]).toContain((await request(port, 'GET', '/api/health', {})).status);
    });
  });

  describe('refuses writes from other sites', () => {
    it('refuses a write whose Origin is not the panel', async () => {
      const answer = await post({ host: host(), origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(answer.status).toBe(403);
      await answer.closed;
      // Another port on localhost is the same site but not the panel.
      expect((await post({ host: host(), origin: `http://localhost:${port + 1}` })).status).toBe(403);
      expect((await post({ host: host(), origin: 'null' })).status).toBe(403);
      expect((await post({ host: host(), 'sec-fetch-site': 'same-site' })).status).toBe(403);
      expect((await post({ host: host(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect(inverter().executed).toEqual([]);
    });

    it('lets a foreign page read (a plain GET changes nothing)', async () => {
      const answer = await request(port, 'GET', '/api/health', { host: host(), origin: 'http://evil.example' });
      expect(answer.status).toBe(200);
    });

    it("obeys the panel's own same-origin fetch and a client without Origin (curl, the CLI)", async () => {
      const panel = await post({ host: host(), origin: `http://${host()}`, 'sec-fetch-site': 'same-origin' });
      expect(panel.status).toBe(200);
      // Another value: the guard does not re-send an identical command within 30 s.
      const curl = await post(
        { host: `localhost:${port}` },
        JSON.stringify({ type: 'set_backup_reserve', percent: 31 }),
      );
      expect(curl.status).toBe(200);
      expect(inverter().executed).toHaveLength(2);
    });

    it('says no write token is needed on loopback', async () => {
      expect((await request(port, 'GET', '/api/access', { host: host() })).body).toEqual({
        write_token_required: false,
      });
    });
  });
});

describe('the write token', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const { drivers, devices } = fakeDrivers(clock);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-http-token-'));
  const token = 'a-write-token-of-24-chars';
  let runtime: AddonRuntime;
  const post = (headers: Record<string, string>): Promise<Answer> =>
    request(
      runtime.port,
      'POST',
      '/api/devices/inverter/commands',
      { host: `127.0.0.1:${runtime.port}`, ...headers },
      JSON.stringify({ type: 'set_backup_reserve', percent: 30 }),
    );

  beforeAll(async () => {
    runtime = await AddonRuntime.start({
      config: parseOptions({ devices: [{ name: 'Inverter', driver: 'fake' }] }, drivers),
      dataDir: tmp,
      supervised: false,
      drivers,
      logger: silentLogger(),
      httpPort: 0,
      httpWriteToken: token,
      clock,
      archive: ReadingStore.open({ path: ':memory:', clock }),
    });
    await clock.advance(0);
  });

  afterAll(async () => {
    await runtime.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses writes without it, or with another, and obeys it', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    await none.closed;
    expect((await post({ authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await post({ authorization: token })).status).toBe(401);
    expect(devices.get('inverter')?.executed).toEqual([]);
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
    expect(devices.get('inverter')?.executed).toHaveLength(1);
  });

  it('keeps reads open and tells the panel to ask for the token', async () => {
    const access = await request(runtime.port, 'GET', '/api/access', { host: `localhost:${runtime.port}` });
    expect(access.body).toEqual({ write_token_required: true });
    expect(runtime.writeToken).toEqual({ value: token, origin: 'given' });
  });

  it('is generated once, 0600 in the data dir, when none is given, and reused at the next start', () => {
    const dir = path.join(tmp, 'generated');
    const first = resolveWriteToken({ dataDir: dir });
    expect(first.origin).toBe('generated');
    expect(first.value.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, WRITE_TOKEN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.value);
    expect(resolveWriteToken({ dataDir: dir })).toEqual({ ...first, origin: 'stored' });
    expect(() => resolveWriteToken({ dataDir: dir, given: 'short' })).toThrow(WriteTokenError);
  });

  it('is required whenever the bind address is not loopback, which the log says loudly', () => {
    const dataDir = path.join(tmp, 'exposure');
    const lan = planHttpExposure({ supervised: false, host: '0.0.0.0', dataDir });
    expect(lan.beyondLoopback).toBe(true);
    expect(lan.writeToken).toMatchObject({ origin: 'generated', file: path.join(dataDir, WRITE_TOKEN_FILE) });
    expect(planHttpExposure({ supervised: false, host: '192.168.1.5', dataDir }).writeToken).toMatchObject({
      origin: 'stored',
    });
    expect(planHttpExposure({ supervised: false, host: '127.0.0.1', dataDir })).toEqual({
      beyondLoopback: false,
      writeToken: undefined,
    });
    // Under the Supervisor, ingress decides: nothing changes.
    expect(planHttpExposure({ supervised: true, host: '0.0.0.0', dataDir })).toEqual({
      beyondLoopback: false,
      writeToken: undefined,
    });
    expect(beyondLoopbackWarning('0.0.0.0')).toMatch(/^LISTENING BEYOND LOOPBACK on 0\.0\.0\.0: .*write token/);

    for (const loopback of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) {
      expect(isLoopbackHost(loopback)).toBe(true);
    }
    for (const beyond of ['0.0.0.0', '::', '192.168.1.5', 'fe80::1', 'nas.local']) {
      expect(isLoopbackHost(beyond)).toBe(false);
    }
  });
});

describe('the HTTP server with short test timeouts', () => {
  const clock = new ManualClock();
  let app: FastifyInstance;
  let port: number;

  async function serve(deps: Partial<HttpServerDeps>): Promise<void> {
    const hub = new ReadingHub();
    const guard = new SafetyGuard({ clock });
    const logger = silentLogger();
    app = buildHttpServer({
      manager: new DeviceManager([], { drivers: builtInDrivers, hub, guard, clock, logger }),
      hub,
      guard,
      archive: ReadingStore.open({ path: ':memory:', clock }),
      clock,
      logger,
      version: 'test',
      startedAt: clock.now(),
      problems: new ProblemBoard(clock, logger),
      ingressOnly: false,
      access: { bindHost: '0.0.0.0', hostNames: [] },
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 400, keepAliveTimeoutMs: 200, timeoutCheckIntervalMs: 50 },
      ...deps,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
  }

  afterEach(async () => {
    await app.close();
  });

  /** A client that sends headers promising a body, then one byte at a time, until the server closes it. */
  function slowBody(headers: string): Promise<string> {
    return new Promise((resolve) => {
      let received = '';
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(headers);
      });
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write('x');
      }, 20);
      socket.setEncoding('utf8').on('data', (d: string) => (received += d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(received);
      });
    });
  }

  it('closes a slow-body client (request timeout)', async () => {
    await serve({});
    const answer = await slowBody(
      `POST /api/devices/x/commands HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a client that never finishes its headers', async () => {
    await serve({});
    const answer = await slowBody(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a refused client that keeps sending its body', async () => {
    await serve({});
    const answer = await slowBody(
      `POST /api/devices/x/commands HTTP/1.1\r\nHost: evil.example:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 421/);
  });

  it('closes a client refused by the ingress guard that keeps sending its body', async () => {
    await serve({ ingressOnly: true, limits: { maxConnections: 64 } });
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      // From 127.0.0.3: not the ingress proxy.
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' }, () => {
        socket.write(`POST /api/devices/x/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{`);
      });
      const drip = setInterval(() => !socket.destroyed && socket.write('x'), 20);
      socket.setEncoding('utf8').on('data', (d: string) => (received += d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(received);
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toMatch(/connection: close/i);
  });

  it('accepts any address as Host when bound to all addresses (not a rebinding name)', async () => {
    await serve({});
    expect((await request(port, 'GET', '/api/health', { host: `192.168.1.5:${port}` })).status).toBe(200);
    expect((await request(port, 'GET', '/api/health', { host: `[fe80::1]:${port}` })).status).toBe(200);
    expect((await request(port, 'GET', '/api/health', { host: `nas.evil.example:${port}` })).status).toBe(421);
  });

  it('caps connections below the file-descriptor limit', async () => {
    await serve({ limits: { maxConnections: 7 } });
    expect(app.server.maxConnections).toBe(7);
    expect(connectionCap(1024)).toBe(256);
    expect(connectionCap(128)).toBe(32);
    expect(connectionCap(20)).toBe(16);
    expect(connectionCap(undefined)).toBe(256);
  });

  it('parses Host headers', () => {
    expect(splitHostHeader('LocalHost:8099')).toEqual({ name: 'localhost', port: 8099 });
    expect(splitHostHeader('[::1]:80')).toEqual({ name: '[::1]', port: 80 });
    expect(splitHostHeader('a:b:c')).toBeUndefined();
  });
});
