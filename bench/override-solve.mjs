// Plan time with a manual override as an input of the plan (issue 14): the 48 h × 5 min synthetic scenario
// (one battery, an EV), without an override and with a 1-hour force charge, force discharge or hold from now,
// through the scheduler's whole path (validate + build + solve + smoothing + mapping), warm (one solve first),
// median of 5 wall and CPU ms. Needs a build first (`pnpm exec tsc -b`).
import { createRequire } from 'node:module';
import { URL } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = s.syntheticScenario({ hours: 48, intervalMinutes: 5, ev: true, maxExportKw: 5 });
const hour = 12;
const cases = {
  none: [],
  force_charge: [{ start_index: 0, end_index: hour, kind: 'charge', power_kw: 3, label: 'force charge' }],
  force_discharge: [{ start_index: 0, end_index: hour, kind: 'discharge', power_kw: 3, label: 'force discharge' }],
  hold: [{ start_index: 0, end_index: hour, kind: 'hold', label: 'hold' }],
};

const scheduler = await s.loadScheduler();
for (const [name, overrides] of Object.entries(cases)) {
  const scenario = { ...base, battery_overrides: overrides };
  scheduler.plan(scenario, { timeLimitMs: 30_000 });
  const wall = [];
  const cpu = [];
  let plan;
  for (let i = 0; i < 5; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    plan = scheduler.plan(scenario, { timeLimitMs: 30_000 });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  console.log(
    `${name.padEnd(16)} wall ${median(wall).toFixed(0)} ms, CPU ${median(cpu).toFixed(0)} ms, status ${plan.status}, ` +
      `cost ${plan.cost?.toFixed(3)} ${plan.currency}, overridden intervals ${plan.intervals.filter((i) => i.override).length}`,
  );
}
