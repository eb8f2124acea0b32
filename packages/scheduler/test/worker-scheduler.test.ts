import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadScheduler,
  ScenarioError,
  SolverWorkerScheduler,
  solverWorkerFile,
  syntheticScenario,
} from '@sps/scheduler';

/**
 * The add-on plans on a worker thread (solver-worker.ts, compiled to dist/ by `tsc -b`, which `pnpm
 * test` runs first). These tests run the real compiled worker with the real HiGHS.
 */
const NOW = new Date('2026-03-02T00:00:00Z');

function workerFile(): string {
  const file = solverWorkerFile();
  if (file === null)
    throw new Error('packages/scheduler/dist/solver-worker.js is missing: run `pnpm exec tsc -b` first');
  return file;
}

describe('the solver on a worker thread', () => {
  let dir: string;
  const schedulers: SolverWorkerScheduler[] = [];
  const start = (file = workerFile()): SolverWorkerScheduler => {
    const s = new SolverWorkerScheduler(file);
    schedulers.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sps-solver-worker-'));
  });
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the plan this thread would have made', async () => {
    const scenario = syntheticScenario({ hours: 24, ev: true, seed: 4 });
    const here = (await loadScheduler()).plan(scenario, { now: NOW, timeZone: 'UTC' });
    const there = await start().plan(scenario, { now: NOW, timeZone: 'UTC' });
    expect(there.status).toBe('optimal');
    expect(there.objective).toBeCloseTo(here.objective ?? NaN, 6);
    expect(there.intervals.map((iv) => iv.action)).toEqual(here.intervals.map((iv) => iv.action));
  });

  it('leaves this thread free while it solves (the devices’ I/O goes on)', async () => {
    const scheduler = start();
    // Warm up: the first solve also loads HiGHS into the worker.
    await scheduler.plan(syntheticScenario({ hours: 2 }), { now: NOW });
    let turns = 0;
    let solving = true;
    const spin = (): void => {
      turns += 1;
      if (solving) setImmediate(spin);
    };
    setImmediate(spin);
    const plan = await scheduler.plan(syntheticScenario({ hours: 48, ev: true, seed: 2 }), { now: NOW });
    solving = false;
    expect(plan.status).toBe('optimal');
    // On this thread the event loop would not turn once during the solve.
    expect(turns).toBeGreaterThan(5);
  });

  it('queues solves asked for at once and answers each', async () => {
    const scheduler = start();
    const plans = await Promise.all(
      [1, 2, 3].map((seed) => scheduler.plan(syntheticScenario({ hours: 6, seed }), { now: NOW })),
    );
    expect(plans.map((p) => p.status)).toEqual(['optimal', 'optimal', 'optimal']);
    expect(new Set(plans.map((p) => p.objective)).size).toBe(3);
  });

  it('throws a ScenarioError here, naming the field, without asking the worker', async () => {
    const scheduler = start(path.join(dir, 'never-started.js'));
    expect(() => scheduler.plan({ interval_minutes: 7 })).toThrow(ScenarioError);
  });

  it('fails the solve in flight when the thread dies, and the next solve gets a new thread', async () => {
    const marker = path.join(dir, 'died-once');
    const file = path.join(dir, 'dies-once.js');
    writeFileSync(
      file,
      `const fs = require('node:fs');
       if (!fs.existsSync(${JSON.stringify(marker)})) {
         fs.writeFileSync(${JSON.stringify(marker)}, '');
         require('node:worker_threads').parentPort.on('message', () => process.exit(3));
       } else require(${JSON.stringify(workerFile())});`,
    );
    const scheduler = start(file);
    await expect(scheduler.plan(syntheticScenario({ hours: 2 }), { now: NOW })).rejects.toThrow(
      'the solver thread stopped (exit code 3)',
    );
    const plan = await scheduler.plan(syntheticScenario({ hours: 2 }), { now: NOW });
    expect(plan.status).toBe('optimal');
  });

  it('refuses a malformed answer from the thread', async () => {
    const file = path.join(dir, 'garbage.js');
    writeFileSync(
      file,
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, ok: true, plan: { status: 'great' } }));`,
    );
    await expect(start(file).plan(syntheticScenario({ hours: 2 }), { now: NOW })).rejects.toThrow(/malformed answer/);
  });

  it('fails a solve in flight when closed (shutdown)', async () => {
    const scheduler = start();
    const solving = scheduler.plan(syntheticScenario({ hours: 48, ev: true }), { now: NOW });
    await scheduler.close();
    await expect(solving).rejects.toThrow('the solver is closed');
    await expect(scheduler.plan(syntheticScenario({ hours: 2 }), { now: NOW })).rejects.toThrow('the solver is closed');
  });
});
