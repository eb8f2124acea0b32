import http from 'node:http';
import { DeviceError, ManualClock } from '@sps/core';
import { ReadingStore } from '@sps/store';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { fakeDrivers, type FakeDevice } from './support/fake-device';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('HTTP API', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const { drivers, devices } = fakeDrivers(clock);
  let runtime: AddonRuntime;
  let base: string;
  const device = (id: string): FakeDevice => devices.get(id) as FakeDevice;

  async function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
    const response = await fetch(base + path, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      headers: response.headers,
    };
  }
  const post = (id: string, command: unknown) => call('POST', `/api/devices/${id}/commands`, JSON.stringify(command));

  beforeAll(async () => {
    const config = parseOptions(
      {
        devices: [
          { name: 'Inverter', driver: 'fake', position: 'P3' },
          { name: 'Shed battery', driver: 'fake' },
        ],
        safety: { backup_reserve_pct: 15, max_charge_w: 4000 },
      },
      drivers,
    );
    runtime = await AddonRuntime.start({
      config,
      dataDir: '/nonexistent',
      supervised: false,
      drivers,
      logger: silentLogger(),
      httpPort: 0,
      clock,
      archive: ReadingStore.open({ path: ':memory:', clock }),
    });
    base = `http://127.0.0.1:${runtime.port}`;
    await clock.advance(0);
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('binds to loopback by default and reports health', async () => {
    const { status, body } = await call('GET', '/api/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', devices: { total: 2, available: 2 } });
    expect(runtime.url).toBe(`http://localhost:${runtime.port}/`);
  });

  it('reports degraded health, with the reason, while a problem stands', async () => {
    runtime.problems.raise({ id: 'test_problem', severity: 'error', message: 'the disk is full' });
    try {
      const { status, body } = await call('GET', '/api/health');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'degraded',
        problems: [{ id: 'test_problem', severity: 'error', message: 'the disk is full' }],
      });
    } finally {
      runtime.problems.clear('test_problem');
    }
    expect((await call('GET', '/api/health')).body).toMatchObject({ status: 'ok', problems: [] });
  });

  it('lists devices with info, availability, entities and effective limits', async () => {
    const { body } = await call('GET', '/api/devices');
    const list = body['devices'] as Record<string, unknown>[];
    expect(list.map((d) => d['id'])).toEqual(['inverter', 'shed_battery']);
    expect(list[0]).toMatchObject({
      name: 'Inverter',
      driver: 'fake',
      position: 'P3',
      poll_interval_s: 5,
      info: { manufacturer: 'Fake', model: 'FK-1', serial: 'SN-inverter' },
      availability: { available: true, reason: null },
      capabilities: { limits: { maxChargeW: 4000, maxDischargeW: 5000, backupReservePct: 15 } },
    });
    expect((list[0]?.['entities'] as unknown[]).length).toBe(3);
  });

  it('serves the latest readings with units', async () => {
    device('inverter').soc = 72.5;
    await clock.advance(5000);
    const { body } = await call('GET', '/api/readings');
    expect(body['devices']).toMatchObject({
      inverter: {
        available: true,
        timestamp: '2026-06-01T12:00:05.000Z',
        readings: {
          battery_soc: { value: 72.5, unit: '%' },
          pv_power: { value: 1234, unit: 'W' },
          mode: { value: 'auto', unit: null },
        },
      },
    });
  });

  it('answers 400 naming the field for a malformed body', async () => {
    let answer = await post('inverter', { type: 'force_charge', power_w: 'lots' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ field: 'power_w' });
    expect(String(answer.body['error'])).toMatch(/^power_w: /);

    answer = await post('inverter', { type: 'warp_drive' });
    expect(answer).toMatchObject({ status: 400, body: { field: 'type' } });

    answer = await post('inverter', { type: 'restore_normal', extra: 1 });
    expect(answer).toMatchObject({ status: 400, body: { field: 'extra', error: 'extra: unknown field' } });

    answer = await call('POST', '/api/devices/inverter/commands', '{"type": "force_charge",');
    expect(answer).toMatchObject({ status: 400, body: { field: 'body' } });

    answer = await call('POST', '/api/devices/inverter/commands', 'restore_normal', 'text/plain');
    expect(answer).toMatchObject({ status: 400, body: { field: 'body' } });

    answer = await call('POST', '/api/devices/inverter/commands', '[]');
    expect(answer).toMatchObject({ status: 400, body: { field: 'body' } });
    expect(device('inverter').executed).toEqual([]);
  });

  it('answers 404 for an unknown device and route', async () => {
    expect((await post('toaster', { type: 'restore_normal' })).status).toBe(404);
    expect((await call('GET', '/api/nothing')).status).toBe(404);
  });

  it('answers 422 when the safety guard rejects, naming the field and limit', async () => {
    const answer = await post('inverter', { type: 'force_charge', power_w: 4500 });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      error: 'power_w: 4500 W exceeds the maximum charge power of 4000 W',
      field: 'power_w',
    });
  });

  it('sends a valid command and returns the outcome', async () => {
    const answer = await post('inverter', { type: 'force_charge', power_w: 2500 });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      device: 'inverter',
      command: { type: 'force_charge', power_w: 2500 },
      writes: 1,
    });
    expect(device('inverter').executed).toContainEqual({ type: 'force_charge', power_w: 2500 });
  });

  it('maps device failures to 409, 502 and 504 with the reason', async () => {
    const shed = device('shed_battery');
    shed.refuseWith = new DeviceError('rejected', 'Modbus exception 3');
    expect(await post('shed_battery', { type: 'set_charge_limit', power_w: 100 })).toMatchObject({
      status: 409,
      body: { error: 'rejected: Modbus exception 3', kind: 'rejected' },
    });
    shed.refuseWith = undefined;

    shed.failWith = new DeviceError('timeout', 'no answer within 3000 ms');
    expect(await post('shed_battery', { type: 'set_charge_limit', power_w: 200 })).toMatchObject({
      status: 504,
      body: { error: 'timeout: no answer within 3000 ms' },
    });
    // Now unreachable: the next command fails fast with the reason the device gave.
    expect(await post('shed_battery', { type: 'set_charge_limit', power_w: 300 })).toMatchObject({
      status: 502,
      body: { kind: 'not_connected', error: 'not connected: timeout: no answer within 3000 ms' },
    });
    const { body } = await call('GET', '/api/devices');
    expect((body['devices'] as Record<string, unknown>[])[1]).toMatchObject({
      availability: { available: false, reason: 'timeout: no answer within 3000 ms' },
    });
    shed.failWith = undefined;
    await clock.advance(10_000);
  });

  it('refuses a write storm with 429', async () => {
    let last: Answer | undefined;
    for (let w = 1; w <= 14; w++) {
      last = await post('shed_battery', { type: 'set_discharge_limit', power_w: 100 * w });
      if (last.status !== 200) break;
    }
    expect(last?.status).toBe(429);
    expect(last?.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('answers history queries from the store and validates the query', async () => {
    for (const soc of [40, 50, 60]) {
      device('inverter').soc = soc;
      await clock.advance(5000);
    }
    (runtime as unknown as { archive: ReadingStore }).archive.flush();
    const from = '2026-06-01T11:00:00Z';
    const { status, body } = await call(
      'GET',
      `/api/readings/history?device=inverter&key=battery_soc&from=${from}&to=${clock.now()}`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ device: 'inverter', key: 'battery_soc', unit: '%', from: '2026-06-01T11:00:00.000Z' });
    const lasts = (body['points'] as { last: number }[]).map((p) => p.last);
    expect(lasts.slice(-3)).toEqual([40, 50, 60]);

    const bucketed = await call('GET', `/api/readings/history?device=inverter&key=battery_soc&from=${from}&step=1h`);
    expect(bucketed.status).toBe(200);

    const bad = async (query: string) => (await call('GET', `/api/readings/history?${query}`)).body;
    expect(await bad('device=inverter&key=Battery SOC')).toMatchObject({ field: 'key' });
    expect(await bad('device=inverter&key=battery_soc&from=yesterday')).toMatchObject({ field: 'from' });
    expect(await bad('device=inverter&key=battery_soc&from=2026-06-01T10:00:00+02:00')).toMatchObject({
      field: 'from',
    });
    expect(await bad('device=inverter&key=battery_soc&from=2000&to=1000')).toMatchObject({ field: 'from' });
    expect(await bad('device=inverter&key=battery_soc&step=5x')).toMatchObject({ field: 'step' });
    expect(await bad('key=battery_soc')).toMatchObject({ field: 'device' });
    expect(await bad('device=inverter&key=battery_soc&color=red')).toMatchObject({ field: 'color' });
    expect((await call('GET', '/api/readings/history?device=toaster&key=battery_soc')).status).toBe(404);
  });

  it('streams readings and availability as server-sent events', async () => {
    const received: string[] = [];
    const request = http.get(`${base}/api/stream`);
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => received.push(chunk));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !pattern.test(received.join('')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(received.join('')).toMatch(pattern);
    };
    // The snapshot first…
    await waitFor(/event: availability\ndata: \{"device":"inverter","available":true/);
    await waitFor(/event: readings\ndata: \{"device":"inverter"/);
    // …then live events.
    device('inverter').soc = 33.3;
    await clock.advance(5000);
    await waitFor(/"battery_soc":\{"value":33.3,"unit":"%"\}/);
    await clock.advance(15_000);
    await waitFor(/: heartbeat\n\n/);
    expect((await call('GET', '/api/health')).body['stream_clients']).toBe(1);
    request.destroy();
    // A client that goes away is dropped.
    let clients: unknown = 1;
    for (let i = 0; i < 100 && clients !== 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      clients = (await call('GET', '/api/health')).body['stream_clients'];
    }
    expect(clients).toBe(0);
  });

  it('serves the web panel with relative URLs only', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="panel.js"');
    expect(html).not.toMatch(/(src|href)="\//);
    const script = await (await fetch(`${base}/panel.js`)).text();
    expect(script).toContain("from './smart-power-station-cards.js'");
    expect(script).toContain("new EventSource('api/stream')");
    expect(script).not.toMatch(/fetch\(['`]\//);
    expect((await fetch(`${base}/style.css`)).status).toBe(200);
    // The cards' bundle, built or not: a JavaScript module either way.
    const bundle = await fetch(`${base}/smart-power-station-cards.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/text\/javascript/);
  });
});
