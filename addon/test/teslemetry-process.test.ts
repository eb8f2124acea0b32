import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TeslemetrySimulator } from '@sps/device-tesla';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * The add-on as a child process with a Powerwall through Teslemetry (the simulator on loopback HTTP):
 * a force through the HTTP API, then SIGTERM — or SIGKILL and a new start on the same data dir —
 * and the site ends with the reserve and mode the user had before the force.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-teslemetry-process-'));
const running: SpsProcess[] = [];
const sims: TeslemetrySimulator[] = [];

beforeAll(() => ensureBuilt());

afterAll(async () => {
  for (const child of running) await child.kill();
  for (const sim of sims) await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Rig {
  readonly sim: TeslemetrySimulator;
  readonly optionsFile: string;
  readonly dataDir: string;
}

async function prepare(name: string): Promise<Rig> {
  const sim = new TeslemetrySimulator({ site: { reservePct: 25, mode: 'self_consumption' } });
  sims.push(sim);
  const port = await sim.start();
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  const optionsFile = path.join(dir, 'options.yaml');
  writeFileSync(
    optionsFile,
    [
      'log_level: info',
      'devices:',
      '  - name: Powerwall',
      '    driver: teslemetry',
      `    token: ${sim.token}`,
      `    base_url: http://127.0.0.1:${port}`,
      '    poll_interval_s: 10',
    ].join('\n'),
  );
  return { sim, optionsFile, dataDir: path.join(dir, 'data') };
}

async function startAddon(rig: Rig): Promise<{ addon: SpsProcess; base: string }> {
  const addon = new SpsProcess(['run', '--config', rig.optionsFile, '--data-dir', rig.dataDir, '--port', '0']);
  running.push(addon);
  const base = await addon.url();
  await eventually(async () => {
    const body = (await (await fetch(`${base}api/devices`)).json()) as {
      devices: { id: string; availability: { available: boolean } }[];
    };
    return body.devices.find((d) => d.id === 'powerwall')?.availability.available === true ? true : undefined;
  }, 'the Powerwall to be available');
  return { addon, base };
}

async function forceCharge(base: string): Promise<void> {
  const response = await fetch(`${base}api/devices/powerwall/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'force_charge', power_w: 3000 }),
  });
  expect({ status: response.status, body: (await response.json()) as unknown }).toMatchObject({ status: 200 });
}

describe('a Powerwall forced by the add-on goes back to the user', () => {
  it('on SIGTERM', async () => {
    const rig = await prepare('sigterm');
    const { addon, base } = await startAddon(rig);
    await forceCharge(base);
    expect(rig.sim.state).toMatchObject({ reservePct: 100, mode: 'autonomous', gridChargingBlocked: false });
    addon.child.kill('SIGTERM');
    expect(await addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(rig.sim.state).toMatchObject({ reservePct: 25, mode: 'self_consumption', gridChargingBlocked: true });
    expect(addon.stdout + addon.stderr).not.toContain('BUG: unhandled rejection');
  });

  it('after a kill in the middle of a force, at the next start', async () => {
    const rig = await prepare('sigkill');
    const first = await startAddon(rig);
    await forceCharge(first.base);
    first.addon.child.kill('SIGKILL');
    await first.addon.exitWithin(10_000);
    expect(rig.sim.state).toMatchObject({ reservePct: 100, mode: 'autonomous' });
    const second = await startAddon(rig);
    await eventually(
      async () => (rig.sim.state.reservePct === 25 && rig.sim.state.mode === 'self_consumption' ? true : undefined),
      'the reserve and mode the user had',
    );
    second.addon.child.kill('SIGTERM');
    expect(await second.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(second.addon.stdout + second.addon.stderr).not.toContain('BUG: unhandled rejection');
  });
});
