// Multi-battery plan benchmark (issue 12): 2 batteries of different sizes and efficiencies + an EV
// (minimum power, deadline) + 3 deferrable loads, 48 h × 5 min (576 intervals), through the same
// `loadScheduler().plan` the controller uses (validate + build + HiGHS + smoothing + mapping).
// Warm (one plan first), then the median of 5. Target: under 500 ms on CI's machine.
// Needs a build first (`pnpm bench` does it): node bench/multi-battery-solve.mjs
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (c) => (c.user + c.system) / 1000;

const base = s.syntheticScenario({ hours: 48, intervalMinutes: 5, ev: true, maxExportKw: 5 });
const n = base.prices.import.length;
const at = (hour) => Math.round((hour * 60) / 5);
const scenario = {
  ...base,
  battery: [
    { ...base.battery, name: 'sungrow' },
    {
      name: 'second battery',
      capacity_kwh: 5,
      soc_pct: 60,
      min_soc_pct: 20,
      max_soc_pct: 95,
      max_charge_kw: 2.5,
      max_discharge_kw: 3,
      charge_efficiency: 0.9,
      discharge_efficiency: 0.92,
      cycle_cost_per_kwh: 0.05,
    },
  ],
  deferrable_loads: [
    { name: 'water heater', power_kw: 3.6, start_index: 0, end_index: at(24), run_minutes: 120 },
    { name: 'pool pump', power_kw: 1.1, start_index: at(6), end_index: at(20), run_minutes: 240 },
    { name: 'dishwasher', power_kw: 1.8, start_index: at(19), end_index: Math.min(n, at(31)), energy_kwh: 1.5 },
  ],
};

const scheduler = await s.loadScheduler();
const plan = () => scheduler.plan(scenario, { now: new Date(base.start), timeZone: 'UTC' });
plan(); // warm-up (JIT, Wasm tiers)
const runs = Array.from({ length: 5 }, () => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const p = plan();
  return { wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)), plan: p };
});
const last = runs[runs.length - 1].plan;
console.log(
  `multi-battery plan: 2 batteries + EV (min 1.4 kW) + 3 deferrable loads, ${n} intervals (48 h × 5 min), ` +
    `${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);
console.log(
  `  warm, median of 5: ${median(runs.map((r) => r.wall)).toFixed(0)} ms wall, ` +
    `${median(runs.map((r) => r.cpu)).toFixed(0)} ms CPU (runs: ${runs.map((r) => r.wall.toFixed(0)).join(', ')} ms)`,
);
console.log(
  `  status ${last.status} (${last.solver}), solver ${last.solve_ms.toFixed(0)} ms, objective ${last.objective?.toFixed(4)}, ` +
    `batteries ${last.intervals[0].batteries.map((b) => b.name).join(' + ')}`,
);
