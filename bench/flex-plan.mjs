// Plan time with flexible loads (issue 12's benchmark): 2 batteries + an EV (min 1.4 kW) + 3 deferrable loads (two
// with minimum on/off times),
// 48 h × 5 min, through the scheduler's whole path (validate + build + solve + on/off decisions + smoothing +
// mapping), warm (one solve first), median of 5 wall and CPU ms. Needs a build first (`pnpm exec tsc -b`).
import { createRequire } from 'node:module';
import { URL } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = s.syntheticScenario({ hours: 48, intervalMinutes: 5, ev: true, maxExportKw: 5 });
const n = base.prices.import.length;
const perHour = 12;
const scenario = {
  ...base,
  battery: [
    { ...base.battery, name: 'big' },
    {
      name: 'small',
      capacity_kwh: 5,
      soc_pct: 40,
      min_soc_pct: 10,
      max_soc_pct: 100,
      max_charge_kw: 2.5,
      max_discharge_kw: 2.5,
      charge_efficiency: 0.92,
      discharge_efficiency: 0.92,
    },
  ],
  deferrable_loads: [
    {
      name: 'water_heater',
      power_kw: 1.5,
      start_index: 9 * perHour,
      end_index: 16 * perHour,
      run_minutes: 120,
      min_on_minutes: 30,
    },
    {
      name: 'well_pump',
      power_kw: 2.2,
      start_index: 6 * perHour,
      end_index: 20 * perHour,
      run_minutes: 60,
      min_on_minutes: 15,
      min_off_minutes: 15,
    },
    {
      name: 'dishwasher',
      power_kw: 1.2,
      start_index: 22 * perHour,
      end_index: Math.min(n, 30 * perHour),
      run_minutes: 90,
    },
  ],
};

const scheduler = await s.loadScheduler();
const once = () => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = scheduler.plan(scenario, { timeZone: 'UTC' });
  const c = process.cpuUsage(c0);
  return { plan, wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
};
once();
const runs = Array.from({ length: 5 }, once);
const last = runs.at(-1).plan;
console.log(
  `2 batteries + EV + 3 deferrable loads, 48 h × 5 min (${n} intervals): median ${median(runs.map((r) => r.wall)).toFixed(0)} ms wall, ` +
    `${median(runs.map((r) => r.cpu)).toFixed(0)} ms CPU; status ${last.status}, solver ${last.solver}`,
);
