import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Plan } from '@sps/scheduler';
import { CLI, ensureBuilt, REPO_ROOT } from './support/addon-process';

/**
 * `sps plan --scenario S --json | jq` was cut at 65,536 bytes: the CLI called process.exit()
 * while Node still held the part of the output a full pipe had not taken. Here the CLI writes
 * into a pipe whose reader is slow on purpose: it stops reading at the first chunk and reads on
 * once the CLI has exited (the old code) or has had ample time to (the fixed code waits for the
 * reader, so its output is whole whatever the timing).
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-pipe-cli-'));

/** 48 hours at 5 minutes: a plan whose JSON is several times a pipe's 64 KiB. */
function bigScenario(): Record<string, unknown> {
  const n = 576;
  const hour = (i: number): number => (i * 5) / 60;
  const series = (f: (h: number) => number): number[] =>
    Array.from({ length: n }, (_, i) => Math.round(f(hour(i) % 24) * 1000) / 1000);
  return {
    interval_minutes: 5,
    start: '2026-01-15T00:00:00Z',
    prices: {
      import: series((h) => (h >= 17 && h < 21 ? 0.45 : h >= 7 ? 0.25 : 0.12)),
      export: series((h) => (h >= 17 && h < 21 ? 0.12 : 0.04)),
      currency: 'AUD',
    },
    solar_kw: series((h) => Math.max(0, 4 * Math.sin((Math.PI * (h - 6)) / 13))),
    load_kw: series((h) => (h >= 17 && h < 22 ? 1.8 : 0.4)),
    battery: { capacity_kwh: 10, soc_pct: 50, min_soc_pct: 10, max_charge_kw: 5, max_discharge_kw: 5 },
  };
}

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('sps plan --json into a slowly read pipe: the whole JSON arrives (> 64 KiB)', async () => {
  const file = path.join(tmp, 'big.json');
  writeFileSync(file, JSON.stringify(bigScenario()));
  // A real pipe, as a shell makes for `| jq` (Node's own 'pipe' stdio is a socket pair, which
  // hid the bug); pipefail keeps the CLI's exit code.
  const child = spawn(
    'bash',
    ['-c', 'set -o pipefail; "$0" "$@" | cat', process.execPath, CLI, 'plan', '--scenario', file, '--json'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const chunks: Buffer[] = [];
  const stdout = child.stdout;
  const ended = new Promise<void>((resolve) => stdout.on('end', resolve));
  let paused = false;
  stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (paused) return;
    paused = true;
    // The child has begun its one big write: stop reading so the pipe fills up behind it.
    stdout.pause();
    let timer: NodeJS.Timeout | undefined;
    void Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 1500)))]).then(() => {
      clearTimeout(timer);
      stdout.resume();
    });
  });
  const code = await exited;
  await ended;
  const text = Buffer.concat(chunks).toString('utf8');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(Buffer.byteLength(text)).toBeGreaterThan(64 * 1024);
  expect(text.endsWith('}\n')).toBe(true);
  const plan = Plan.parse(JSON.parse(text));
  expect(plan.intervals).toHaveLength(576);
}, 120_000);
