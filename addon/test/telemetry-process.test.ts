import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTelemetryReceiver, type TelemetryReceiver } from '@sps/aggregator';
import { ManualClock } from '@sps/core';
import { SungrowSimulator } from '@sps/device-sungrow';
import { SpsProcess, ensureBuilt } from './support/addon-process';

/**
 * Remote telemetry in the add-on as a child process: a Sungrow simulator as the battery, the
 * reference receiver on loopback. The first batch hangs on the wire when SIGTERM comes; the add-on
 * exits cleanly, and after a restart that batch and the minutes gathered before the signal arrive,
 * each once, in order. Real time: 10-second samples, 1-minute batches (about a minute of waiting).
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-telemetry-process-'));
const sim = new SungrowSimulator({ clock: new ManualClock('2026-01-15T12:00:00Z') });
let receiver: TelemetryReceiver;
const processes: SpsProcess[] = [];

async function waitFor(check: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  ensureBuilt();
  receiver = await startTelemetryReceiver();
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await receiver.close();
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

it('SIGTERM while a batch is on the wire loses nothing: after a restart every sample arrives once, in order', async () => {
  const simPort = await sim.start({ host: '127.0.0.1', port: 0 });
  const optionsFile = path.join(tmp, 'options.yaml');
  writeFileSync(
    optionsFile,
    [
      'devices:',
      '  - name: Inverter',
      '    driver: sungrow-sh',
      '    host: 127.0.0.1',
      `    port: ${simPort}`,
      '    poll_interval_s: 2',
      'telemetry:',
      '  enabled: true',
      `  url: ${receiver.url}`,
      '  interval_s: 10',
      '  batch_minutes: 1',
    ].join('\n'),
  );
  const args = ['run', '--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0'];
  receiver.answer = () => ({ hang: true });
  const first = new SpsProcess(args);
  processes.push(first);
  await first.url();
  await waitFor(() => receiver.stats.requests >= 1, 'the first batch on the wire', 120_000);
  first.child.kill('SIGTERM');
  expect((await first.exitWithin(30_000)).code).toBe(0);
  expect(first.unhandledRejections()).toEqual([]);
  expect(receiver.batches).toEqual([]);

  receiver.answer = () => ({ status: 204 });
  const second = new SpsProcess(args);
  processes.push(second);
  await second.url();
  await waitFor(() => receiver.batches.some((b) => b.seq === 1), 'the hung batch delivered', 60_000);
  // Whatever was gathered before the signal is stored as seq 2 (unless the signal came right at a boundary).
  await new Promise((r) => setTimeout(r, 1000));
  const seqs = receiver.batches.map((b) => b.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  const times = receiver.batches.flatMap((b) => b.samples.map((s) => s.t));
  expect(times.length).toBeGreaterThan(0);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  expect(new Set(times).size).toBe(times.length);
  expect(receiver.batches[0]?.samples[0]?.device).toBe('inverter');
  expect(Object.keys(receiver.batches[0]?.samples[0]?.values ?? {})).toContain('battery_soc');
  expect(receiver.rejected).toEqual([]);
  const status = (await (await fetch(`${await second.url()}api/telemetry`)).json()) as {
    enabled: boolean;
    devices: string[];
    outbox: { pending: number; lastError: string | null };
  };
  expect(status).toMatchObject({ enabled: true, devices: ['inverter'], outbox: { pending: 0, lastError: null } });
  second.child.kill('SIGTERM');
  expect((await second.exitWithin(30_000)).code).toBe(0);
}, 240_000);
