import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TeslemetrySimulator } from '@sps/device-tesla';
import { teslemetryDriver, teslemetrySettingsFile } from '../src/drivers/teslemetry';
import { SpsProcess, ensureBuilt, runSps } from './support/addon-process';

/**
 * `sps simulate teslemetry` and `sps read|write teslemetry --token … --base-url …` as child
 * processes over loopback HTTP, and the driver's option fields.
 */

interface ReadOutput {
  device: Record<string, unknown>;
  readings: Record<string, number | string | boolean | null>;
}

beforeAll(() => ensureBuilt());

describe('sps simulate / read / write teslemetry', () => {
  it('prints the simulator address as JSON, serves a read, and stops on SIGINT', async () => {
    const simulator = new SpsProcess(['simulate', 'teslemetry', '--json']);
    try {
      const match = await simulator.waitForOutput(/^(\{.*\})\n/);
      const started = JSON.parse(match[1] as string) as { port: number; read: string };
      expect(started.read).toBe(`sps read teslemetry --token sim-token --base-url http://127.0.0.1:${started.port}`);
      const result = await runSps([
        'read',
        'teslemetry',
        '--token',
        'sim-token',
        '--base-url',
        `http://127.0.0.1:${started.port}`,
        '--json',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout) as ReadOutput;
      // Found through /api/1/products; the id is beyond 2^53 and keeps every digit.
      expect(output.device).toMatchObject({ driver: 'teslemetry', manufacturer: 'Tesla', serial: '90071992547409931' });
      expect(output.readings).toMatchObject({ operation_mode: 'self_consumption', backup_reserve: 20 });
      for (const key of ['battery_soc', 'battery_power', 'grid_power', 'pv_power', 'load_power', 'pv_energy']) {
        expect(typeof output.readings[key]).toBe('number');
      }
      simulator.child.kill('SIGINT');
      expect(await simulator.exitWithin(5000)).toEqual({ code: 0, signal: null });
    } finally {
      await simulator.kill();
    }
  });

  it('writes through the API and remembers the user settings in --data-dir across runs', async () => {
    const sim = new TeslemetrySimulator({ siteId: '1234567890123456789', site: { reservePct: 30 } });
    const port = await sim.start();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sps-teslemetry-'));
    try {
      const reach = ['--token', 'sim-token', '--base-url', `http://127.0.0.1:${port}`, '--site-id', sim.siteId];
      const forced = await runSps([
        'write',
        'teslemetry',
        'force_charge',
        '--power-w',
        '3000',
        ...reach,
        '--data-dir',
        dataDir,
        '--json',
      ]);
      expect(forced.stderr).toBe('');
      expect(forced.code).toBe(0);
      expect(sim.state).toMatchObject({ reservePct: 100, mode: 'autonomous' });
      expect(sim.requests.map((r) => r.path)).not.toContain('/api/1/products');
      const saved = JSON.parse(readFileSync(teslemetrySettingsFile(dataDir, 'teslemetry'), 'utf8')) as object;
      expect(saved).toMatchObject({ backup_reserve: 30, operation_mode: 'self_consumption', forced: 'charge' });
      // A second process (as after a restart) hands the site back to the reserve the user had.
      const restored = await runSps([
        'write',
        'teslemetry',
        'restore_normal',
        ...reach,
        '--data-dir',
        dataDir,
        '--json',
      ]);
      expect(restored.code).toBe(0);
      expect(sim.state).toMatchObject({ reservePct: 30, mode: 'self_consumption' });
    } finally {
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits non-zero with the reason on a rejected token', async () => {
    const sim = new TeslemetrySimulator();
    const port = await sim.start();
    try {
      const result = await runSps(['read', 'teslemetry', '--token', 'wrong', '--base-url', `http://127.0.0.1:${port}`]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe('sps read: auth failed: token rejected (HTTP 401: invalid bearer token)\n');
    } finally {
      await sim.stop();
    }
  });
});

describe('teslemetry driver fields', () => {
  const parse = (input: unknown) => teslemetryDriver.fields.safeParse(input);

  it('keeps site ids as text and names a bad field', () => {
    expect(parse({ token: 'abc', site_id: 123456 })).toMatchObject({ success: true, data: { site_id: '123456' } });
    expect(parse({ token: 'abc', site_id: '12345678901234567890' })).toMatchObject({
      success: true,
      data: { site_id: '12345678901234567890' },
    });
    const bad = parse({ token: 'abc', site_id: 'abc' });
    expect(bad.success ? '' : `${bad.error.issues[0]?.path.join('.')}: ${bad.error.issues[0]?.message}`).toBe(
      'site_id: expected the numeric energy site id',
    );
    const missing = parse({});
    expect(missing.success ? '' : missing.error.issues[0]?.message).toBe('is required');
    expect(parse({ token: 'abc', base_url: 'ftp://x' }).success).toBe(false);
  });

  it('polls every 30 s by default and never faster than 10 s', () => {
    expect(teslemetryDriver.pollIntervals({ token: 'abc' })).toEqual({ defaultMs: 30_000, minMs: 10_000 });
  });
});
