import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '@sps/core';
import { ShellySimulator } from '@sps/device-shelly';
import { ReadingStore } from '@sps/store';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { STORE_FILE } from '../src/open-archive';
import { parseOptions } from '../src/options';
import { AddonRuntime, type RuntimeOptions } from '../src/runtime';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * Issue 10 items 13 and 14 in the running add-on (in process, real SQLite files, a Shelly
 * simulator on loopback): a damaged store or an unusable data dir never stops the add-on from
 * starting and polling, and a store that cannot write makes health `degraded` with the reason
 * until writes succeed again.
 */

interface HealthBody {
  status: string;
  problems: { id: string; severity: string; message: string }[];
}
interface ReadingsBody {
  devices: Record<string, { available: boolean; readings: Record<string, { value: unknown }> }>;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-store-faults-'));
const sim = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC0000F1' });
let simPort: number;
const runtimes: AddonRuntime[] = [];

beforeAll(async () => {
  simPort = await sim.start({ host: '127.0.0.1', port: 0 });
  sim.setLoad(0, 230);
  sim.setRelay(0, true);
});

afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop();
});

afterAll(async () => {
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function start(dataDir: string, extra: Partial<RuntimeOptions> = {}): Promise<AddonRuntime> {
  const config = parseOptions(
    {
      devices: [
        { name: 'Plug', driver: 'shelly', host: '127.0.0.1', port: simPort, transport: 'http', poll_interval_s: 1 },
      ],
    },
    builtInDrivers,
  );
  const runtime = await AddonRuntime.start({
    config,
    dataDir,
    supervised: false,
    drivers: builtInDrivers,
    logger: silentLogger(),
    httpPort: 0,
    clock: systemClock,
    haConfigDirs: [],
    ...extra,
  });
  runtimes.push(runtime);
  return runtime;
}

async function get<T>(runtime: AddonRuntime, route: string): Promise<T> {
  return (await (await fetch(`http://127.0.0.1:${runtime.port}${route}`)).json()) as T;
}

async function plugPolled(runtime: AddonRuntime): Promise<void> {
  await eventually(async () => {
    const body = await get<ReadingsBody>(runtime, '/api/readings');
    return body.devices['plug']?.available === true ? true : undefined;
  }, 'the plug polled');
}

function freshDataDir(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('a damaged store at start', () => {
  it('garbage bytes: the add-on starts, polls, moves the file aside and says so in health', async () => {
    const dataDir = freshDataDir('garbage');
    const file = path.join(dataDir, STORE_FILE);
    const garbage = Buffer.from('\u0000\u00ffgarbage where a database should be '.repeat(500), 'latin1');
    writeFileSync(file, garbage);

    const runtime = await start(dataDir);
    await plugPolled(runtime);
    const moved = readdirSync(dataDir).filter((f) => /^readings\.sqlite\.corrupt-\d{8}T\d{6}Z$/.test(f));
    expect(moved).toHaveLength(1);
    expect(readFileSync(path.join(dataDir, moved[0]!))).toEqual(garbage);

    const health = await get<HealthBody>(runtime, '/api/health');
    expect(health.status).toBe('degraded');
    expect(health.problems).toEqual([
      expect.objectContaining({ id: 'store_reset', severity: 'error', message: expect.stringContaining(moved[0]!) }),
    ]);
    expect(runtime.problems.list()[0]?.repair).toEqual({
      key: 'store_reset',
      placeholders: { path: path.join(dataDir, moved[0]!) },
    });
    // The fresh store takes the readings.
    await eventually(async () => {
      const history = await get<{ points?: unknown[] }>(
        runtime,
        `/api/readings/history?device=plug&key=power_0&from=${new Date(Date.now() - 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`,
      );
      return (history.points?.length ?? 0) > 0 ? true : undefined;
    }, 'readings stored in the fresh store');
  });

  it('a truncated real store: the add-on starts and polls; a restart on the fresh store is healthy again', async () => {
    const dataDir = freshDataDir('truncated');
    const file = path.join(dataDir, STORE_FILE);
    const store = ReadingStore.open({ path: file, onProblem: () => undefined });
    for (let i = 0; i < 5000; i++)
      store.append('plug', { timestamp: Date.now() - 60_000 + i, values: { power_0: i, energy: i * 2 } });
    store.close();
    truncateSync(file, Math.floor(statSync(file).size / 3));

    const first = await start(dataDir);
    await plugPolled(first);
    expect((await get<HealthBody>(first, '/api/health')).problems).toEqual([
      expect.objectContaining({ id: 'store_reset', message: expect.stringMatching(/truncated/) }),
    ]);
    await first.stop();
    // The notice lasts until the restart: the fresh store is sound, nothing to report.
    const second = await start(dataDir);
    await plugPolled(second);
    expect(await get<HealthBody>(second, '/api/health')).toMatchObject({ status: 'ok', problems: [] });
  });

  it('a data dir that cannot be used: the add-on starts and polls on a memory store, and says why', async () => {
    const notAFolder = path.join(tmp, 'a-file');
    writeFileSync(notAFolder, 'x');
    const runtime = await start(path.join(notAFolder, 'data'));
    await plugPolled(runtime);
    const health = await get<HealthBody>(runtime, '/api/health');
    expect(health.status).toBe('degraded');
    expect(health.problems).toEqual([
      expect.objectContaining({
        id: 'store_unavailable',
        message: expect.stringMatching(/cannot be opened.*in memory/),
      }),
    ]);
    expect(runtime.problems.list()[0]?.repair?.key).toBe('store_unwritable');
  });
});

describe('a store that cannot write', () => {
  it('a full disk (a real SQLITE_FULL) makes health degraded with the reason, and it clears when writes succeed', async () => {
    const dataDir = freshDataDir('full');
    const store = ReadingStore.open({ path: path.join(dataDir, STORE_FILE), onProblem: () => undefined });
    const runtime = await start(dataDir, { archive: store });
    await plugPolled(runtime);
    expect((await get<HealthBody>(runtime, '/api/health')).status).toBe('ok');

    store.setSizeLimit(1);
    // The plug alone fills a page every few minutes; a burst of another device's readings needs
    // new pages at once.
    const values: Record<string, number> = {};
    for (let k = 0; k < 200; k++) values[`v${k}`] = k * 1.5;
    for (let i = 0; i < 20; i++) store.append('other', { timestamp: Date.now() - 30_000 + i, values });
    const degraded = await eventually(async () => {
      const health = await get<HealthBody>(runtime, '/api/health');
      return health.status === 'degraded' ? health : undefined;
    }, 'health degraded by the full disk');
    expect(degraded.problems).toEqual([
      expect.objectContaining({
        id: 'store_writes',
        message: expect.stringMatching(/^The disk is full: .*queued in memory/),
      }),
    ]);
    expect(runtime.problems.list()[0]?.repair).toEqual({
      key: 'disk_full',
      placeholders: { path: path.join(dataDir, STORE_FILE) },
    });
    // The devices are still polled meanwhile.
    expect((await get<ReadingsBody>(runtime, '/api/readings')).devices['plug']?.available).toBe(true);

    store.setSizeLimit(null);
    await eventually(async () => {
      const health = await get<HealthBody>(runtime, '/api/health');
      return health.status === 'ok' ? true : undefined;
    }, 'health ok once the store writes again');
    // What waited in the queue is on disk now.
    const burst = store.history({ deviceId: 'other', key: 'v0', from: Date.now() - 120_000, to: Date.now() + 1 });
    expect(burst.points).toHaveLength(20);
  });
});

describe('the add-on process on a damaged store', () => {
  it('starts, polls, logs an error naming the moved file, stays up, and stops cleanly; the next start is healthy', async () => {
    ensureBuilt();
    const dataDir = freshDataDir('process');
    writeFileSync(path.join(dataDir, STORE_FILE), Buffer.alloc(8192, 0x5a));
    const optionsFile = path.join(tmp, 'process-options.json');
    writeFileSync(
      optionsFile,
      JSON.stringify({
        devices: [
          { name: 'Plug', driver: 'shelly', host: '127.0.0.1', port: simPort, transport: 'http', poll_interval_s: 1 },
        ],
      }),
    );
    const args = ['run', '--config', optionsFile, '--data-dir', dataDir, '--port', '0'];
    for (const run of ['damaged', 'fresh'] as const) {
      const addon = new SpsProcess(args);
      try {
        const base = await addon.url();
        await eventually(async () => {
          const body = (await (await fetch(`${base}api/readings`)).json()) as ReadingsBody;
          return body.devices['plug']?.available === true ? true : undefined;
        }, 'the plug polled by the add-on process');
        const health = (await (await fetch(`${base}api/health`)).json()) as HealthBody;
        if (run === 'damaged') {
          const moved = readdirSync(dataDir).find((f) => f.startsWith(`${STORE_FILE}.corrupt-`));
          expect(moved).toBeDefined();
          expect(health).toMatchObject({ status: 'degraded', problems: [{ id: 'store_reset' }] });
          expect(addon.stdout).toMatch(
            new RegExp(`^\\S+ ERROR The readings store was damaged .*${moved!.replace(/\./g, '\\.')}`, 'm'),
          );
        } else {
          expect(health).toMatchObject({ status: 'ok', problems: [] });
        }
        addon.child.kill('SIGTERM');
        expect((await addon.exitWithin(10_000)).code).toBe(0);
      } finally {
        await addon.kill();
      }
    }
  }, 60_000);
});
