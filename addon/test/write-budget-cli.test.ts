import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { SungrowSimulator } from '@sps/device-sungrow';
import { systemClock } from '@sps/core';
import { stringify } from 'yaml';
import { main } from '../src/cli';
import { KIT_NAMES, startDemoKit, type DemoKit } from '../src/cli/demo-kit';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';
import { WRITE_LEDGER_FILE } from '../src/write-ledger-file';

/**
 * `sps write` obeys the same write budget and relay hold as the add-on, across repeated runs and
 * against a running add-on, through the write ledger in the shared data dir. Each `main()` call
 * builds its own guard, exactly as a separate `sps write` process does; the ledger file is the only
 * thing the runs share.
 */

async function sps(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await main(args, { stdout, stderr, env: {} });
  return { code, out, err };
}

describe('sps write and the write budget', () => {
  const sim = new SungrowSimulator();
  let port: number;
  let dir: string;

  beforeAll(async () => {
    port = await sim.start({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'sps-write-budget-'));
  });

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the 13th write within a minute across separate runs sharing a data dir', async () => {
    const dataDir = path.join(dir, 'runs');
    mkdirSync(dataDir);
    const before = sim.writeCount;
    const write = (w: number) =>
      sps([
        'write',
        'sungrow-sh',
        'set_charge_limit',
        '--power-w',
        String(w),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
      ]);
    for (let i = 0; i < 12; i++) {
      const run = await write(1000 + 10 * i);
      expect(run).toMatchObject({ code: 0, err: '' });
    }
    const refused = await write(2000);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(
      /^sps write: rejected: write rate limit: device sungrow-sh already had 12 writes in the last minute \(limit 12\); retry in \d+ s\n$/,
    );
    expect(sim.writeCount - before).toBe(12);
  });

  it('shares the budget with a running add-on that uses the same data dir', async () => {
    const dataDir = path.join(dir, 'addon');
    mkdirSync(dataDir);
    const devices = [{ name: 'Inverter', driver: 'sungrow-sh', host: '127.0.0.1', port, poll_interval_s: 60 }];
    const file = path.join(dir, 'options.yaml');
    writeFileSync(file, stringify({ devices }));
    const runtime = await AddonRuntime.start({
      config: parseOptions({ devices }, builtInDrivers),
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
    try {
      const deadline = Date.now() + 20_000;
      while (runtime.manager.get('inverter')?.availability.available !== true) {
        if (Date.now() > deadline) throw new Error('the inverter did not connect');
        await new Promise((r) => setTimeout(r, 25));
      }
      for (let i = 0; i < 12; i++) {
        const run = await sps([
          'write',
          'sungrow-sh',
          'set_discharge_limit',
          '--power-w',
          String(1000 + 10 * i),
          '--config',
          file,
          '--device',
          'Inverter',
          '--data-dir',
          dataDir,
        ]);
        expect(run).toMatchObject({ code: 0, err: '' });
      }
      const response = await fetch(`${runtime.url}api/devices/inverter/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'set_discharge_limit', power_w: 3000 }),
      });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await runtime.stop();
    }
  });
});

describe('sps write and the relay hold of a station member', () => {
  let kit: DemoKit;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    kit = await startDemoKit({ socPct: 40, minOnOffS: 600 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'sps-write-hold-'));
    file = path.join(dir, 'options.yaml');
    writeFileSync(file, stringify({ devices: kit.devices }));
  });

  afterAll(async () => {
    await kit.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to switch P1 back in a later run inside the minimum on/off time', async () => {
    const relay = (on: boolean) =>
      sps([
        'write',
        'shelly',
        'set_relay',
        '--on',
        String(on),
        '--config',
        file,
        '--device',
        KIT_NAMES.p1,
        '--data-dir',
        dir,
      ]);
    expect(kit.p1.state.relays[0]?.on).toBe(false);
    expect(await relay(true)).toMatchObject({ code: 0, err: '' });
    expect(kit.p1.state.relays[0]?.on).toBe(true);
    const back = await relay(false);
    expect(back.code).not.toBe(0);
    expect(back.err).toMatch(
      /^sps write: rejected: on: relay station_charger_simulated channel 0 \(P1 of power_station\) was switched on \d+ s ago; its minimum on\/off time is 600 s, try again in \d+ s\n$/,
    );
    expect(kit.p1.state.relays[0]?.on).toBe(true);
    // The station, written from another run, is held to it as well (restore_normal would open P1).
    const station = await sps(['write', 'station', 'restore_normal', '--config', file, '--data-dir', dir]);
    expect(station.code).not.toBe(0);
    expect(station.err).toMatch(/minimum on\/off time is 600 s, try again in \d+ s/);
    expect(kit.p1.state.relays[0]?.on).toBe(true);
    expect(readFileSync(path.join(dir, WRITE_LEDGER_FILE), 'utf8')).toMatch(/"d":"station_charger_simulated"/);
  });
});
