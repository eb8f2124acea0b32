import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Plan } from '@sps/scheduler';
import { startDemo, type Demo } from '../src/cli/demo-runtime';
import { silentLogger } from '../src/logger';

/**
 * `sps demo --off-grid` (issue 13's "Done when"): the seed's house on the simulators that speak the
 * real protocols (the Studer and the Pylontech over one socketcand gateway, the pump and heater on a
 * Shelly over HTTP), `optimizer.grid: none` with no tariff, the simulated sun as the PV forecast, real
 * HiGHS on its worker thread. The first plan runs the pump and the heater in the PV surplus, keeps the
 * battery at or above its reserve at every interval and leaves no load unserved.
 */
const HOUR = 3_600_000;

async function firstPlan(demo: Demo): Promise<Plan> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const plan = demo.runtime.optimizer.view().status?.plan;
    if (plan && plan.intervals.length > 0) return plan;
    if (Date.now() > deadline) throw new Error(`no plan within 90 s: ${JSON.stringify(demo.runtime.optimizer.view())}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the off-grid house, optimised', () => {
  let dataDir: string;
  let demo: Demo | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sps-offgrid-demo-'));
  });
  afterEach(async () => {
    await demo?.stop();
    demo = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('plans the pump and the heater into the sun without taking the battery below its reserve', async () => {
    demo = await startDemo({
      logger: silentLogger(),
      httpPort: 0,
      dataDir,
      timeZone: 'UTC',
      offGridHouse: 'optimise',
    });
    const plan = await firstPlan(demo);
    const report = plan.off_grid;
    expect(report).toBeDefined();
    if (!report) return;
    // Never below the reserve when the forecasts are right, and nobody in the dark.
    expect(report.max_reserve_shortfall_kwh).toBeLessThanOrEqual(1e-6);
    expect(report.unserved_kwh).toBeLessThanOrEqual(1e-6);
    expect(report.min_stored_kwh).toBeGreaterThanOrEqual(report.reserve_kwh - 1e-6);
    // The loads run within the 48 h, only while the simulated sun is up (07–18 UTC in this zone) ...
    const running = plan.intervals.filter((iv) => iv.deferrable_kw > 1e-6);
    expect(running.length).toBeGreaterThan(0);
    for (const iv of running) {
      const hour = new Date(iv.start).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(7);
      expect(hour).toBeLessThan(18);
    }
    // ... and without draining the battery: on each day they run, it ends the sunny hours fuller than it began them.
    const socAt = (day: string, hour: number): number | undefined =>
      plan.intervals.find((iv) => iv.start === `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`)?.soc_pct;
    const days = [...new Set(running.map((iv) => iv.start.slice(0, 10)))];
    let checked = 0;
    for (const day of days) {
      const morning = socAt(day, 7);
      const evening = socAt(day, 18);
      if (morning === undefined || evening === undefined) continue;
      expect(evening).toBeGreaterThan(morning);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
    // Every interval is the inverter's own mode: off the grid nothing is forced.
    expect(new Set(plan.intervals.map((iv) => iv.action))).toEqual(new Set(['SELF_CONSUMPTION']));
    expect(Date.parse(plan.intervals.at(-1)!.start) - Date.parse(plan.intervals[0]!.start)).toBeGreaterThan(40 * HOUR);
  }, 150_000);
});
