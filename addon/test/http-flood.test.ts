import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { SungrowSimulator } from '@sps/device-sungrow';
import { CLI, REPO_ROOT, ensureBuilt, eventually } from './support/addon-process';

/**
 * Issue 10 item 9: two clients with ~10,000 idle sockets each used up the add-on's file
 * descriptors; health failed and devices got EMFILE. Scaled down and kept on loopback: the real
 * add-on (`sps run`) under `ulimit -n 160`, flooded with 400 idle connections, must keep polling
 * its device, close what it will not serve, and answer /api/health again while the flood's
 * sockets are still held open by the flooder.
 */
const OPEN_FILES = 160;
const FLOOD = 400;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-http-flood-'));
const sim = new SungrowSimulator({ clock: new ManualClock('2026-01-15T12:00:00Z') });
let child: ChildProcess;
let output = '';
const flood: net.Socket[] = [];

beforeAll(async () => {
  ensureBuilt();
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
      '    poll_interval_s: 1',
    ].join('\n'),
  );
  const { SUPERVISOR_TOKEN: _ignored, ...env } = process.env;
  // The shell lowers the descriptor limit for the add-on alone, then becomes it.
  child = spawn(
    '/bin/sh',
    [
      '-c',
      `ulimit -n ${OPEN_FILES} && exec "$@"`,
      'sh',
      process.execPath,
      CLI,
      'run',
      '--config',
      optionsFile,
      '--data-dir',
      path.join(tmp, 'data'),
      '--port',
      '0',
    ],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
}, 180_000);

afterAll(async () => {
  for (const socket of flood) socket.destroy();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function healthStatus(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

it('keeps polling its device and answers health again under a flood of idle connections', async () => {
  const port = Number(
    await eventually(
      async () => /listening on http:\/\/localhost:(\d+)\//.exec(output)?.[1],
      'the add-on to listen',
      30_000,
    ),
  );
  await eventually(async () => (sim.requestCount > 0 ? true : undefined), 'the first device poll');

  let closedByServer = 0;
  for (let i = 0; i < FLOOD; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('close', () => closedByServer++);
    flood.push(socket);
  }
  await Promise.all(
    flood.map((s) => new Promise<void>((resolve) => (s.connecting ? s.once('connect', () => resolve()) : resolve()))),
  );

  // Past the connection cap (a quarter of the descriptors), sockets are closed as they are accepted.
  await eventually(
    async () => (closedByServer >= FLOOD - OPEN_FILES / 4 ? true : undefined),
    'over-cap sockets closed',
  );
  // The device keeps being polled while the flood stands.
  const polled = sim.requestCount;
  await eventually(async () => (sim.requestCount > polled + 2 ? true : undefined), 'device polls during the flood');
  // Idle sockets within the cap are closed by the headers timeout; health answers again, the flood still "open".
  await eventually(
    async () => ((await healthStatus(port)) === 200 ? true : undefined),
    'health during the flood',
    30_000,
  );
  expect(output).not.toMatch(/EMFILE/);
  expect(child.exitCode).toBeNull();
}, 90_000);
