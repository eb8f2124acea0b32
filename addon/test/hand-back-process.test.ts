import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { EMS_MODE_CODE, FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * The add-on as a child process against a Sungrow simulator on loopback (issue 10, items 1–2):
 * whatever happens — SIGTERM under HTTP load, a slow inverter, a throttled add-on, a busy answer
 * at the end of a timed override — the inverter ends in its own mode (EMS self-consumption, forced
 * command stop), and a refusal that can never succeed is raised as a problem.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-hand-back-'));
const running: SpsProcess[] = [];
const sims: SungrowSimulator[] = [];

afterAll(async () => {
  for (const child of running) await child.kill();
  for (const sim of sims) await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Rig {
  readonly sim: SungrowSimulator;
  readonly addon: SpsProcess;
  readonly base: string;
  readonly dataDir: string;
  readonly optionsFile: string;
}

async function startSimulator(): Promise<SungrowSimulator> {
  // A frozen clock: the battery's state only changes through the add-on's writes.
  const sim = new SungrowSimulator({ clock: new ManualClock('2026-01-15T12:00:00Z') });
  sims.push(sim);
  await sim.start({ host: '127.0.0.1', port: 0 });
  return sim;
}

function spawnAddon(optionsFile: string, dataDir: string): SpsProcess {
  const addon = new SpsProcess(['run', '--config', optionsFile, '--data-dir', dataDir, '--port', '0'], { TZ: 'UTC' });
  running.push(addon);
  return addon;
}

async function startRig(name: string, extraOptions: string[] = [], sim?: SungrowSimulator): Promise<Rig> {
  const simulator = sim ?? (await startSimulator());
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  const optionsFile = path.join(dir, 'options.yaml');
  writeFileSync(
    optionsFile,
    [
      'log_level: info',
      'devices:',
      '  - name: Inverter',
      '    driver: sungrow-sh',
      '    host: 127.0.0.1',
      `    port: ${simulator.port as number}`,
      '    poll_interval_s: 1',
      '    timeout_ms: 2000',
      ...extraOptions,
    ].join('\n'),
  );
  const dataDir = path.join(dir, 'data');
  const addon = spawnAddon(optionsFile, dataDir);
  const base = await addon.url();
  await eventually(async () => {
    const body = (await (await fetch(`${base}api/devices`)).json()) as {
      devices: { id: string; availability: { available: boolean } }[];
    };
    return body.devices.find((d) => d.id === 'inverter')?.availability.available === true ? true : undefined;
  }, 'the inverter to be available');
  return { sim: simulator, addon, base, dataDir, optionsFile };
}

async function postCommand(base: string, body: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${base}api/devices/inverter/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

const emsMode = (sim: SungrowSimulator) => sim.holdingRegisters.get(HOLDING.EMS_MODE);
const forcedCommand = (sim: SungrowSimulator) => sim.holdingRegisters.get(HOLDING.FORCED_COMMAND);

function expectOwnMode(sim: SungrowSimulator): void {
  expect({ ems: emsMode(sim), command: forcedCommand(sim) }).toEqual({
    ems: EMS_MODE_CODE.self_consumption,
    command: FORCED_COMMAND_CODE.stop,
  });
}

/**
 * `clients` keep-alive clients, each asking GET /api/plan again as soon as it has an answer, until
 * the server goes away or `maxRequestsEach` is reached. Resolves `started` once every client has
 * had an answer, and `finished` when all have stopped.
 */
function planLoad(base: string, clients: number, maxRequestsEach: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let answered = 0;
  let resolveStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));
  const firstAnswer = new Set<number>();
  const one = (client: number): Promise<boolean> =>
    new Promise((resolve) => {
      const req = http.get(`${base}api/plan`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          answered++;
          firstAnswer.add(client);
          if (firstAnswer.size === clients) resolveStarted();
          resolve(true);
        });
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
    });
  const finished = Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < maxRequestsEach; i++) if (!(await one(client))) return;
    }),
  ).finally(() => agent.destroy());
  return { started, finished, answered: () => answered };
}

/** SIGSTOP/SIGCONT the child in a duty cycle (a slow, overloaded machine) until it exits or `maxCycles`. */
async function throttle(addon: SpsProcess, stopMs: number, runMs: number, maxCycles: number): Promise<number> {
  let exited = false;
  void addon.exited.then(() => (exited = true));
  let cycles = 0;
  for (; cycles < maxCycles && !exited; cycles++) {
    addon.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, stopMs));
    addon.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, runMs));
  }
  if (!exited) addon.child.kill('SIGCONT');
  return cycles;
}

beforeAll(() => ensureBuilt(), 180_000);

describe('SIGTERM while the battery is forced', () => {
  it('under 200 concurrent GET /api/plan: HTTP closes first, the optimiser battery is handed back, exit 0', async () => {
    // A tariff that makes charging now worth it: cheap for the next three hours, dear afterwards.
    const hour = new Date().getUTCHours();
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const rig = await startRig('load', [
      'tariff:',
      '  provider: tou',
      '  currency: AUD',
      '  time_zone: UTC',
      `  periods: 'cheap all ${hh(hour)}-${hh(hour + 3)} 0.02/0.01; dear all ${hh(hour + 3)}-${hh(hour)} 0.90/0.60'`,
    ]);
    await eventually(
      async () => (forcedCommand(rig.sim) === FORCED_COMMAND_CODE.charge ? true : undefined),
      'the optimiser to force-charge the battery',
      60_000,
    );
    expect(emsMode(rig.sim)).toBe(EMS_MODE_CODE.forced);

    const load = planLoad(rig.base, 200, 10_000);
    await load.started;
    rig.addon.child.kill('SIGTERM');
    const { code, signal } = await rig.addon.exitWithin(60_000);
    await load.finished;
    // Exit code 1 would mean the hard deadline cut the shutdown short.
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expectOwnMode(rig.sim);
    expect(rig.addon.stdout).toMatch(/handed back to its own mode/);
    expect(load.answered()).toBeGreaterThanOrEqual(200);
  }, 180_000);

  it('on a slow machine (slow inverter, add-on throttled by SIGSTOP/SIGCONT): a manual force is handed back, exit 0', async () => {
    const rig = await startRig('slow');
    expect(await postCommand(rig.base, { type: 'force_charge', power_w: 2700 })).toBe(200);
    expect(forcedCommand(rig.sim)).toBe(FORCED_COMMAND_CODE.charge);
    // Every Modbus answer takes 150 ms: a restore (read, write, read-back per register) takes ~1 s.
    rig.sim.setFaults({ responseDelayMs: 150 });
    const load = planLoad(rig.base, 200, 10_000);
    await load.started;
    rig.addon.child.kill('SIGTERM');
    // The add-on gets the CPU a third of the time.
    const throttled = throttle(rig.addon, 100, 50, 1000);
    const { code, signal } = await rig.addon.exitWithin(120_000);
    const cycles = await throttled;
    await load.finished;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(cycles).toBeGreaterThan(0);
    expectOwnMode(rig.sim);
  }, 180_000);
});

describe('the end of a timed override', () => {
  it('retries through Modbus exception 6 (busy) until the inverter is back in self-consumption', async () => {
    const rig = await startRig('busy');
    const until = new Date(Date.now() + 10_000).toISOString();
    expect(await postCommand(rig.base, { type: 'force_discharge', power_w: 2000, until })).toBe(200);
    expect(forcedCommand(rig.sim)).toBe(FORCED_COMMAND_CODE.discharge);
    rig.sim.setFaults({ writeException: 6 }); // the inverter is busy when the override ends
    await eventually(
      async () => ((rig.addon.stdout.match(/hand-back failed; trying again/g) ?? []).length >= 2 ? true : undefined),
      'the add-on to retry the busy inverter',
      60_000,
    );
    expect(forcedCommand(rig.sim)).toBe(FORCED_COMMAND_CODE.discharge);
    rig.sim.setFaults({ writeException: null }); // no longer busy
    await eventually(
      async () =>
        emsMode(rig.sim) === EMS_MODE_CODE.self_consumption && forcedCommand(rig.sim) === FORCED_COMMAND_CODE.stop
          ? true
          : undefined,
      'the inverter back in self-consumption',
      60_000,
    );
    expectOwnMode(rig.sim);
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 180_000);

  it('raises restore_failed when the inverter refuses for good, and clears it once it is restored', async () => {
    const rig = await startRig('refused');
    const until = new Date(Date.now() + 3000).toISOString();
    expect(await postCommand(rig.base, { type: 'force_charge', power_w: 1500, until })).toBe(200);
    rig.sim.setFaults({ writeException: 3 }); // illegal data value: can never succeed
    const health = await eventually(
      async () => {
        const body = (await (await fetch(`${rig.base}api/health`)).json()) as {
          status: string;
          problems: { id: string; severity: string; message: string }[];
        };
        return body.problems.some((p) => p.id === 'restore_failed:inverter') ? body : undefined;
      },
      'the restore_failed problem in /api/health',
      60_000,
    );
    expect(health.status).toBe('degraded');
    expect(health.problems.find((p) => p.id === 'restore_failed:inverter')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/Inverter refused to return to its own mode \(rejected: Modbus exception 3/),
    });
    rig.sim.setFaults({ writeException: null });
    expect(await postCommand(rig.base, { type: 'restore_normal' })).toBe(200);
    expectOwnMode(rig.sim);
    const after = (await (await fetch(`${rig.base}api/health`)).json()) as { problems: { id: string }[] };
    expect(after.problems.map((p) => p.id)).not.toContain('restore_failed:inverter');
    rig.addon.child.kill('SIGTERM');
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('a device the add-on could not hand back before it exited', () => {
  it('is handed back first thing at the next start, with device_left_forced meanwhile', async () => {
    const sim = await startSimulator();
    const first = await startRig('left', [], sim);
    expect(await postCommand(first.base, { type: 'force_charge', power_w: 2700 })).toBe(200);
    sim.setFaults({ writeException: 6 }); // busy for the whole shutdown
    first.addon.child.kill('SIGTERM');
    expect(await first.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(first.addon.stdout).toMatch(/device still forced at shutdown/);
    expect(forcedCommand(sim)).toBe(FORCED_COMMAND_CODE.charge);

    sim.setFaults({ writeException: null });
    const second = spawnAddon(first.optionsFile, first.dataDir);
    await second.url();
    await eventually(
      async () =>
        emsMode(sim) === EMS_MODE_CODE.self_consumption && forcedCommand(sim) === FORCED_COMMAND_CODE.stop
          ? true
          : undefined,
      'the inverter handed back after the restart',
      60_000,
    );
    expect(second.stdout).toMatch(/was left in a forced mode \(force_charge 2700 W\)/);
    await eventually(async () => {
      const body = (await (await fetch(`${await second.url()}api/health`)).json()) as { problems: { id: string }[] };
      return body.problems.length === 0 ? true : undefined;
    }, 'device_left_forced to clear');
    second.child.kill('SIGTERM');
    expect(await second.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 180_000);

  it('a device that stops answering during the shutdown does not push it past the deadline', async () => {
    const rig = await startRig('hung');
    expect(await postCommand(rig.base, { type: 'force_discharge', power_w: 1000 })).toBe(200);
    rig.sim.setFaults({ responseDelayMs: 600_000 }); // no answer at all (the client gives up after 2 s)
    rig.addon.child.kill('SIGTERM');
    // Exit code 1 would mean the hard deadline had to cut the shutdown short.
    expect(await rig.addon.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(rig.addon.stdout).toMatch(/device still forced at shutdown.*outcome=out_of_time/);
    rig.sim.setFaults({ responseDelayMs: 0 });
  }, 180_000);
});
