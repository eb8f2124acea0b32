import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { publishOnce, startMosquitto, type RunningMosquitto } from '@sps/aggregator';
import { systemClock } from '@sps/core';
import { builtInDrivers } from '../../src/drivers';
import { AGGREGATOR_DB_FILE } from '../../src/dr/open-dr';
import { silentLogger } from '../../src/logger';
import { parseOptions } from '../../src/options';
import { AddonRuntime } from '../../src/runtime';
import { eventually } from '../support/addon-process';

/**
 * Demand response inside the real AddonRuntime with the aggregator's real parts (DrSignals on a
 * real Mosquitto, the tracker, sharing, aggregator.sqlite in the data dir): off when the section
 * is empty, events in, a restart in the middle of an event, concurrent opt-outs, a broker that is
 * not there.
 */
interface DrBody {
  enabled: boolean;
  mode: string;
  event: { id: string; program: string; start: string; goal_kw: number; opted_out: boolean } | null;
  broker: { connected: boolean };
  connection: { configured: boolean; connected: boolean; last_error: string | null };
  signals: { received: number; duplicates: number } | null;
}

const NETWORK = 'unit';

describe('demand response in the add-on runtime', () => {
  const dirs: string[] = [];
  const runtimes: AddonRuntime[] = [];
  let broker: RunningMosquitto;

  beforeAll(async () => {
    broker = await startMosquitto();
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-dr-addon-'));
    dirs.push(dir);
    return dir;
  }

  async function start(
    dir: string,
    aggregator: Record<string, unknown> | undefined,
    httpWriteToken?: string,
  ): Promise<AddonRuntime> {
    const config = parseOptions(aggregator === undefined ? {} : { aggregator }, builtInDrivers);
    const runtime = await AddonRuntime.start({
      config,
      dataDir: dir,
      supervised: false,
      drivers: builtInDrivers,
      logger: silentLogger(),
      httpPort: 0,
      ...(httpWriteToken === undefined ? {} : { httpWriteToken }),
    });
    runtimes.push(runtime);
    return runtime;
  }

  const dr = async (runtime: AddonRuntime): Promise<DrBody> =>
    (await (await fetch(`${runtime.url}api/dr`)).json()) as DrBody;
  const publish = (payload: object) =>
    publishOnce(
      { url: broker.url, clientId: 'unit-aggregator' },
      `OpenDemandResponse/Event/${NETWORK}`,
      JSON.stringify(payload),
      systemClock,
    );
  const options = { broker_url: '', network: NETWORK, time_zone: 'UTC', goal_kw: 1 };

  it('stays off with an empty section: no aggregator.sqlite, /api/dr says normal and enabled false', async () => {
    const dir = dataDir();
    const runtime = await start(dir, undefined);
    expect(runtime.dr).toBeUndefined();
    expect(await dr(runtime)).toMatchObject({
      enabled: false,
      mode: 'normal',
      event: null,
      broker: { connected: false },
    });
    expect(existsSync(path.join(dir, AGGREGATOR_DB_FILE))).toBe(false);
  });

  it('runs on without DR, saying why, when aggregator.sqlite cannot be opened', async () => {
    // A data "dir" that is a file: nothing can be created in it (also as root).
    const notADir = path.join(dataDir(), 'a-file');
    writeFileSync(notADir, 'x');
    const runtime = await start(notADir, { network: NETWORK, goal_kw: 1 });
    expect(runtime.dr).toBeUndefined();
    expect(await dr(runtime)).toMatchObject({ enabled: false, mode: 'normal' });
    expect(runtime.problems.list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'dr_unavailable', message: expect.stringContaining('aggregator.sqlite') }),
      ]),
    );
  });

  it('takes an event from the broker and resumes it after a restart, with no duplicate', async () => {
    const dir = dataDir();
    const first = await start(dir, { ...options, broker_url: broker.url });
    await eventually(async () => ((await dr(first)).broker.connected ? true : undefined), 'broker connected');
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await publish({
      id: 'unit-1',
      program: 'CSRP',
      type: 'immediate',
      start: new Date(startMs).toISOString(),
      duration_minutes: 60,
      goal_kw: 0.7,
    });
    const body = await eventually(async () => {
      const b = await dr(first);
      return b.mode === 'ongoing' ? b : undefined;
    }, 'the event ongoing');
    expect(body.event).toMatchObject({ id: 'unit-1', program: 'CSRP', goal_kw: 0.7, opted_out: false });
    expect(existsSync(path.join(dir, AGGREGATOR_DB_FILE))).toBe(true);
    await first.stop();
    runtimes.splice(runtimes.indexOf(first), 1);

    const second = await start(dir, { ...options, broker_url: broker.url });
    // Straight from the stored calendar, before the broker is even connected.
    expect(await dr(second)).toMatchObject({ mode: 'ongoing', event: { id: 'unit-1' } });
    // The aggregator repeats its message: still one event.
    await eventually(async () => ((await dr(second)).broker.connected ? true : undefined), 'broker connected again');
    await publish({
      id: 'unit-1',
      program: 'CSRP',
      type: 'immediate',
      start: new Date(startMs).toISOString(),
      duration_minutes: 60,
      goal_kw: 0.7,
    });
    await eventually(
      async () => ((await dr(second)).signals?.duplicates === 1 ? true : undefined),
      'the repeat counted',
    );
    expect(second.dr?.calendar().filter((e) => e.id === 'unit-1')).toHaveLength(1);
  }, 60_000);

  it('answers two opt-outs at once: both succeed on the one event, and again later; the mode goes normal', async () => {
    const runtime = await start(dataDir(), { ...options, broker_url: broker.url });
    await (
      await fetch(`${runtime.url}api/dr/simulate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ minutes_from_now: 30, duration_minutes: 30 }),
      })
    ).json();
    const optOut = () =>
      fetch(`${runtime.url}api/dr/opt-out`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { opted_out?: string } }));
    const [a, b] = await Promise.all([optOut(), optOut()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.opted_out).toBe(b.body.opted_out);
    expect(await dr(runtime)).toMatchObject({ mode: 'normal', event: { opted_out: true } });
    // Asking again answers with the same event (an HA switch turned on twice must not fail).
    expect(await optOut()).toMatchObject({ status: 200, body: { opted_out: a.body.opted_out } });
  });

  it('guards its writes like every other write (the write token), and runs without a broker', async () => {
    const token = 'dr-write-token-0123456789';
    const runtime = await start(dataDir(), { network: NETWORK, time_zone: 'UTC', goal_kw: 1 }, token);
    const simulate = (headers: Record<string, string>) =>
      fetch(`${runtime.url}api/dr/simulate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ minutes_from_now: 5 }),
      });
    expect((await simulate({})).status).toBe(401);
    expect(await dr(runtime)).toMatchObject({ mode: 'normal', connection: { configured: false } });
    expect((await simulate({ authorization: `Bearer ${token}` })).status).toBe(200);
    expect(await dr(runtime)).toMatchObject({ mode: 'upcoming', broker: { connected: false } });
  });

  it('starts and stops promptly with a broker that is not there, and says why', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const runtime = await start(dataDir(), { ...options, broker_url: `mqtt://127.0.0.1:${port}` });
    const body = await eventually(async () => {
      const b = await dr(runtime);
      return b.connection.last_error ? b : undefined;
    }, 'a connection error');
    expect(body).toMatchObject({ enabled: true, broker: { connected: false }, connection: { configured: true } });
    const t0 = Date.now();
    await runtime.stop();
    runtimes.splice(runtimes.indexOf(runtime), 1);
    // No timed assertion: stop() resolving at all is the point (the DR stop is bounded).
    expect(Date.now()).toBeGreaterThanOrEqual(t0);
  });
});
