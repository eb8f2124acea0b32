import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runSps, unusedPort } from './support/addon-process';
import { aemoServer, octopusServer, type PriceServer } from './support/price-servers';

interface CliSeries {
  provider: string;
  currency: string;
  intervals: { start: string; end: string; import: number; export: number; kind: string; spike: string | null }[];
}

/** `sps prices` / `sps forecast` as a child process of the built CLI, against local servers. */
describe('sps prices and sps forecast', () => {
  const servers: PriceServer[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-prices-cli-'));

  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints Octopus Agile prices as the normalised series (p/kWh → GBP/kWh, oldest first)', async () => {
    // A price that depends on the slot, so order and units are checked: 10.5 p … with a negative one.
    const octopus = await octopusServer((t) => ((t / 1_800_000) % 7) * 3 - 2.5);
    servers.push(octopus);
    const { code, stdout, stderr } = await runSps([
      'prices',
      'octopus',
      '--product',
      'agile',
      '--region',
      'C',
      '--base-url',
      octopus.url,
      '--json',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(stdout) as CliSeries;
    expect(out).toMatchObject({ provider: 'octopus', currency: 'GBP' });
    expect(out.intervals.length).toBeGreaterThan(10);
    for (const [i, interval] of out.intervals.entries()) {
      expect(interval.start).toMatch(/Z$/);
      expect(Date.parse(interval.end) - Date.parse(interval.start)).toBe(1_800_000);
      expect(interval.import).toBeCloseTo((((Date.parse(interval.start) / 1_800_000) % 7) * 3 - 2.5) / 100, 6);
      expect(interval.kind).toBe('actual');
      if (i > 0) expect(Date.parse(interval.start)).toBeGreaterThan(Date.parse(out.intervals[i - 1]!.start));
    }
    expect(out.intervals.some((i) => i.import < 0)).toBe(true);
    expect(octopus.requests[0]).toMatch(
      /\/products\/AGILE-[^/]+\/electricity-tariffs\/E-1R-AGILE-[^/]+-C\/standard-unit-rates\//,
    );
  });

  it('prints AEMO prices ($/MWh ex GST → AUD/kWh inc GST) with dispatch as actual and spikes flagged', async () => {
    const aemo = await aemoServer(Date.now(), (end, type) =>
      type === 'FORECAST' && end % (3 * 1_800_000) === 0 ? 15000 : 100,
    );
    servers.push(aemo);
    const { code, stdout, stderr } = await runSps([
      'prices',
      'aemo',
      '--region',
      'NSW1',
      '--base-url',
      aemo.url,
      '--json',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(stdout) as CliSeries;
    expect(out).toMatchObject({ provider: 'aemo', currency: 'AUD' });
    const actual = out.intervals.filter((i) => i.kind === 'actual');
    expect(actual.length).toBeGreaterThan(0);
    expect(actual[0]!.import).toBeCloseTo((100 / 1000) * 1.1, 6);
    expect(out.intervals.some((i) => i.kind === 'forecast' && i.spike === 'potential')).toBe(true);
  });

  it('prints a human table without --json', async () => {
    const { code, stdout } = await runSps([
      'prices',
      'flat',
      '--currency',
      'EUR',
      '--time-zone',
      'Europe/Berlin',
      '--import-rate',
      '0.32',
      '--export-rate',
      '0.08',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^flat: \d+ intervals, EUR\/kWh/);
    expect(stdout).toMatch(/start\s+end\s+import\s+export\s+kind\s+spike/);
    expect(stdout).toContain('0.3200');
  });

  it.each([
    [['prices'], /^sps prices: provider: missing/],
    [['prices', 'agl'], /^sps prices: provider: expected one of amber\|octopus/],
    [['prices', 'octopus', '--region', 'Z'], /^sps prices: --region: must be a GSP region letter/],
    [['prices', 'amber', '--site', 'S1'], /^sps prices: --token: is required for provider amber/],
    [['prices', 'octopus', '--region', 'C', '--token', 'x'], /^sps prices: --token: is not used by provider octopus/],
    [['prices', 'flat', '--import-rate', 'lots'], /^sps prices: --import-rate: expected a number/],
    [
      ['prices', 'tou', '--time-zone', 'UTC', '--periods', 'peak all 9-5 0.3'],
      /^sps prices: --periods: period 1 .*HH:MM-HH:MM/,
    ],
    [['forecast', 'sun'], /^sps forecast: kind: expected solar or load/],
    [
      ['forecast', 'solar', '--source', 'open-meteo', '--latitude', '95', '--longitude', '0', '--kwp', '4'],
      /^sps forecast: --latitude: /,
    ],
    [['forecast', 'load', '--time-zone', 'UTC'], /^sps forecast: --history: /],
  ])('bad input %j exits 2 with one line naming the field', async (args, line) => {
    const { code, stdout, stderr } = await runSps(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(line);
  });

  it('an unreachable or failing provider exits 1 with the reason', async () => {
    const port = await unusedPort();
    const refused = await runSps(['prices', 'aemo', '--region', 'VIC1', '--base-url', `http://127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^sps prices: aemo: network: /);
    const failing = await octopusServer(() => 10);
    servers.push(failing);
    failing.failWith = 500;
    const broken = await runSps(['prices', 'octopus', '--region', 'A', '--base-url', failing.url]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^sps prices: octopus: http: .*500/);
  });

  it('forecasts load from a CSV history', async () => {
    const file = path.join(tmp, 'load.csv');
    const now = Date.now();
    const lines = ['timestamp,kw'];
    for (let t = Math.floor((now - 14 * 86_400_000) / 1_800_000) * 1_800_000; t < now - 1_800_000; t += 1_800_000) {
      const hour = new Date(t).getUTCHours();
      lines.push(`${new Date(t).toISOString()},${hour >= 17 && hour < 21 ? 2.5 : 0.5}`);
    }
    writeFileSync(file, lines.join('\n'));
    const { code, stdout, stderr } = await runSps([
      'forecast',
      'load',
      '--history',
      file,
      '--time-zone',
      'UTC',
      '--hours',
      '24',
      '--json',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(stdout) as { kind: string; unit: string; points: { start: string; kw: number }[] };
    expect(out).toMatchObject({ kind: 'load', unit: 'kW' });
    expect(out.points).toHaveLength(24 * 12);
    const evening = out.points.find((p) => new Date(p.start).getUTCHours() === 18)!;
    const night = out.points.find((p) => new Date(p.start).getUTCHours() === 3)!;
    expect(evening.kw).toBeGreaterThan(night.kw * 2);
  });
});
