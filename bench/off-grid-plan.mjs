// Off-grid plan time (issue 13 §6): the seed house — 9.6 kWh (two Pylontech US5000), a 2.2 kW pump and a 1.5 kW
// heater with minimum on times, window 08:00–18:00 each day — 48 h × 5 min, no tariff (all-zero prices), a sunny, a
// cloudy and a dark day, through the scheduler's whole path, warm (one solve first), median of 5 wall and CPU ms.
// Needs a build first (`pnpm exec tsc -b`); run with `node_modules/.bin/node bench/off-grid-plan.mjs`.
import { createRequire } from 'node:module';
import { URL } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perHour = 12;
const n = 48 * perHour;

function house(peakKw) {
  const hourOf = (t) => (t / perHour) % 24;
  const solar = Array.from({ length: n }, (_, t) => {
    const h = hourOf(t);
    return h >= 6 && h < 18 ? Math.round(peakKw * Math.sin(((h - 6) / 12) * Math.PI) * 1000) / 1000 : 0;
  });
  const load = Array.from({ length: n }, (_, t) => {
    const h = hourOf(t);
    return h >= 18 && h < 22 ? 0.9 : h >= 7 && h < 9 ? 0.6 : 0.3;
  });
  const window = (day) => ({ start_index: (day * 24 + 8) * perHour, end_index: (day * 24 + 18) * perHour });
  return {
    interval_minutes: 5,
    start: '2026-06-01T00:00:00Z',
    prices: { import: new Array(n).fill(0), export: new Array(n).fill(0), currency: 'XXX' },
    solar_kw: solar,
    load_kw: load,
    battery: {
      capacity_kwh: 9.6,
      soc_pct: 60,
      min_soc_pct: 10,
      max_charge_kw: 3,
      max_discharge_kw: 4,
      charge_efficiency: 0.96,
      discharge_efficiency: 0.96,
    },
    deferrable_loads: [
      { name: 'pump', power_kw: 2.2, ...window(0), run_minutes: 120, min_on_minutes: 15 },
      { name: 'heater', power_kw: 1.5, ...window(0), run_minutes: 180, min_on_minutes: 30 },
    ],
    off_grid: { reserve_soc_pct: 30 },
  };
}

const scheduler = await s.loadScheduler();
for (const [label, peak] of [
  ['sunny (6 kW peak)', 6],
  ['cloudy (2.2 kW peak)', 2.2],
  ['dark (0.4 kW peak)', 0.4],
]) {
  const scenario = house(peak);
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
    `off-grid ${label}, 48 h × 5 min (${n} intervals): median ${median(runs.map((r) => r.wall)).toFixed(0)} ms wall, ` +
      `${median(runs.map((r) => r.cpu)).toFixed(0)} ms CPU; status ${last.status}; loads ${last.off_grid.deferrable_kwh} kWh, ` +
      `unserved ${last.off_grid.unserved_kwh} kWh, lowest ${last.off_grid.min_stored_kwh} kWh (reserve ${last.off_grid.reserve_kwh})`,
  );
}
