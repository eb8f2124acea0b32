import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '@sps/core';
import { TeslemetrySimulator } from '@sps/device-tesla';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * The optimiser drives a Powerwall by tariff sync (issue 12): the add-on in-process with the
 * Teslemetry simulator on loopback HTTP and a local tou tariff. The plan goes up as the site's
 * time-of-use tariff (the body validated by the simulator against tariff_content_v2) with the site
 * in autonomous mode — no forced command per interval — and stopping the add-on hands the user's
 * own mode and reserve back. Real time; every wait is a bounded poll.
 */

const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 25_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let sim: TeslemetrySimulator;
let runtime: AddonRuntime | undefined;
let dataDir: string;

beforeAll(async () => {
  sim = new TeslemetrySimulator({ site: { reservePct: 25, mode: 'self_consumption', socPct: 40 } });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'sps-tesla-sync-'));
  const h = new Date().getUTCHours();
  const config = parseOptions(
    {
      devices: [
        {
          name: 'Powerwall',
          driver: 'teslemetry',
          token: sim.token,
          base_url: `http://127.0.0.1:${port}`,
          poll_interval_s: 10,
        },
      ],
      // Cheap now, dear later: a plan with charging now and exporting later.
      tariff: {
        provider: 'tou',
        currency: 'AUD',
        time_zone: 'UTC',
        periods: `offpeak all ${hh(h)}-${hh(h + 2)} 0.05/0.01; peak all ${hh(h + 2)}-${hh(h)} 0.60/0.30`,
      },
      forecast: { load: 'none', time_zone: 'UTC' },
      optimizer: { goal: 'cost', battery_devices: ['Powerwall'] },
    },
    builtInDrivers,
  );
  runtime = await AddonRuntime.start({
    config,
    dataDir,
    supervised: false,
    drivers: builtInDrivers,
    logger: silentLogger(),
    httpPort: 0,
    clock: systemClock,
    archive: {
      append: () => undefined,
      flush: () => undefined,
      close: () => undefined,
      history: () => ({ resolution: 'raw', points: [] }),
    },
    stateStore: new MemoryStateStore(),
    haConfigDirs: [],
  });
}, 30_000);

afterAll(async () => {
  await runtime?.stop();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface PlanBody {
  mode: string;
  current: { action: string; command: unknown } | null;
  batteries: { device: string; mode: string; planned: boolean }[];
}

describe('a Powerwall under the optimiser', () => {
  it('gets the plan as its time-of-use tariff, in autonomous mode, without per-interval forced commands', async () => {
    await until('a tariff upload', () => (sim.writes('time_of_use_settings').length > 0 ? true : undefined));
    // The tariff goes up first, then the operation mode (a second request): wait for it too.
    await until('autonomous mode', () => (sim.state.mode === 'autonomous' ? true : undefined));
    // The simulator answers a malformed tariff with an error body; this one was taken.
    expect(sim.state.tariff).not.toBeNull();
    const body = await until('the optimiser following the plan', async () => {
      const b = (await (await fetch(`${runtime?.url}api/plan`)).json()) as PlanBody;
      return b.mode === 'optimising' ? b : undefined;
    });
    expect(body.current?.command).toBeNull();
    expect(body.batteries).toEqual([expect.objectContaining({ device: 'powerwall', mode: 'optimising' })]);
    // The force path (reserve 100 %) was not used: the reserve is still the user's.
    expect(sim.state.reservePct).toBe(25);
    expect(sim.writes('backup')).toEqual([]);
  });

  it('hands the user’s own mode back when the add-on stops', async () => {
    await runtime?.stop();
    runtime = undefined;
    expect(sim.state).toMatchObject({ mode: 'self_consumption', reservePct: 25 });
  });
});
