import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { PLANT_HOLDING, SigenergySimulator } from '@sps/device-sigenergy';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * The add-on as a child process against a SigenStor simulator on loopback: a forced charge puts the
 * plant under remote EMS, a busy plant at the end of a timed override is retried until remote EMS is
 * off, SIGTERM hands it back before the add-on exits, and the PV-reads-0 firmware is logged once.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-sigenergy-'));
const running: SpsProcess[] = [];
const sims: SigenergySimulator[] = [];

beforeAll(() => ensureBuilt());

afterAll(async () => {
  for (const child of running) await child.kill();
  for (const sim of sims) await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Rig {
  readonly sim: SigenergySimulator;
  readonly addon: SpsProcess;
  readonly base: string;
}

async function startRig(name: string, firmware: { plantPvReadsZero?: boolean } = {}): Promise<Rig> {
  // A frozen clock at noon: the plant changes only through the add-on's writes.
  const sim = new SigenergySimulator({ clock: new ManualClock('2026-01-15T12:00:00Z'), firmware });
  sims.push(sim);
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  const optionsFile = path.join(dir, 'options.yaml');
  writeFileSync(
    optionsFile,
    [
      'log_level: info',
      'devices:',
      '  - name: SigenStor',
      '    driver: sigenergy',
      '    host: 127.0.0.1',
      `    port: ${port}`,
      '    poll_interval_s: 2',
      '    timeout_ms: 2000',
    ].join('\n'),
  );
  const addon = new SpsProcess(['run', '--config', optionsFile, '--data-dir', path.join(dir, 'data'), '--port', '0'], {
    TZ: 'UTC',
  });
  running.push(addon);
  const base = await addon.url();
  await eventually(async () => {
    const body = (await (await fetch(`${base}api/devices`)).json()) as {
      devices: { id: string; availability: { available: boolean } }[];
    };
    return body.devices.find((d) => d.id === 'sigenstor')?.availability.available === true ? true : undefined;
  }, 'the SigenStor to be available');
  return { sim, addon, base };
}

async function postCommand(base: string, body: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${base}api/devices/sigenstor/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

const remoteEms = (sim: SigenergySimulator) => sim.holdingRegisters.get(PLANT_HOLDING.REMOTE_EMS_ENABLE);

describe('the add-on drives a SigenStor through remote EMS and hands it back', () => {
  it('SIGTERM while force-charging: remote EMS is off before the add-on exits, exit 0', async () => {
    const rig = await startRig('sigterm');
    expect(await postCommand(rig.base, { type: 'force_charge', power_w: 3000 })).toBe(200);
    expect(remoteEms(rig.sim)).toBe(1);
    expect(rig.sim.holdingRegisters.get(PLANT_HOLDING.REMOTE_EMS_MODE)).toBe(3);
    expect(rig.sim.state.batteryPowerW).toBe(-3000);
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(remoteEms(rig.sim)).toBe(0);
    expect(rig.addon.stdout).toMatch(/handed back to its own mode/);
    expect(rig.addon.stdout + rig.addon.stderr).not.toMatch(/unhandled rejection/i);
  }, 120_000);

  it('hold (remote EMS standby) counts as forced: SIGTERM hands it back too', async () => {
    const rig = await startRig('hold');
    expect(await postCommand(rig.base, { type: 'set_operating_mode', mode: 'hold' })).toBe(200);
    expect(remoteEms(rig.sim)).toBe(1);
    expect(rig.sim.holdingRegisters.get(PLANT_HOLDING.REMOTE_EMS_MODE)).toBe(1);
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(remoteEms(rig.sim)).toBe(0);
  }, 120_000);

  it('a plant busy (exception 6) at the end of a timed override is retried until remote EMS is off', async () => {
    const rig = await startRig('busy');
    const until = new Date(Date.now() + 5000).toISOString();
    expect(await postCommand(rig.base, { type: 'force_discharge', power_w: 2000, until })).toBe(200);
    expect(remoteEms(rig.sim)).toBe(1);
    rig.sim.setFaults({ writeException: 6 });
    await eventually(
      async () => ((rig.addon.stdout.match(/hand-back failed; trying again/g) ?? []).length >= 2 ? true : undefined),
      'the add-on to retry the busy plant',
      60_000,
    );
    expect(remoteEms(rig.sim)).toBe(1);
    rig.sim.setFaults({ writeException: null });
    await eventually(async () => (remoteEms(rig.sim) === 0 ? true : undefined), 'remote EMS off', 60_000);
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('logs the PV-reads-0 firmware once, and reports PV from the inverters', async () => {
    const rig = await startRig('quirk', { plantPvReadsZero: true });
    const readings = await eventually(async () => {
      const text = JSON.stringify(await (await fetch(`${rig.base}api/readings`)).json());
      return text.includes('plant_pv_reads_zero') ? text : undefined;
    }, 'the quirk in the device readings');
    expect(readings).toContain('inverters');
    await eventually(
      async () => (/WARN .*plant's PV power \(30035\) reads 0/.test(rig.addon.stdout) ? true : undefined),
      'the warning in the log',
    );
    // A few polls later it is still one line.
    const polls = rig.sim.requestCount;
    await eventually(async () => (rig.sim.requestCount > polls + 20 ? true : undefined), 'more polls');
    expect(rig.addon.stdout.match(/reads 0 while the inverters report PV/g)).toHaveLength(1);
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
