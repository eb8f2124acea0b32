// Scheduler backtest (issue 5): model predictive control over 35 days of real prices (AEMO VIC1,
// spring 2024) and a real household's load and PV (Ausgrid customer 12, spring 2011, PV scaled to
// 5.2 kWp), with forecast errors, through a simulated battery. Compares the realised cost with
// the self-consumption baseline and with perfect foresight, and prints the share of the
// perfect-foresight savings that MPC captures. Data: packages/scheduler/bench-data/SOURCE.md.
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');
const dataDir = new URL('../packages/scheduler/bench-data/', import.meta.url);

const DAYS = 35;
const SLOTS = DAYS * 48; // 30-minute slots, AEST
const HORIZON = 48; // 24 h look-ahead, re-planned every slot
const PV_SCALE = 5;
const HALF_HOUR = 0.5;
const START_AEST_MS = Date.UTC(2024, 9, 1) - 10 * 3600_000; // 2024-10-01 00:00 AEST in UTC ms

// ---- data ----
const spot = new Array(SLOTS).fill(0);
const counts = new Array(SLOTS).fill(0);
for (const line of readFileSync(new URL('aemo-vic1-2024-10-01_35d.csv', dataDir), 'utf8').trim().split('\n').slice(1)) {
  const [end, rrp] = line.split(',');
  const [d, t] = end.split(' ');
  const [Y, M, D] = d.split('/').map(Number);
  const [h, m] = t.split(':').map(Number);
  const startMs = Date.UTC(Y, M - 1, D, h, m) - 10 * 3600_000 - 5 * 60_000; // AEST end → UTC start
  const slot = Math.floor((startMs - START_AEST_MS) / 1_800_000);
  if (slot >= 0 && slot < SLOTS) {
    spot[slot] += Number(rrp) / 1000; // AUD/MWh → AUD/kWh
    counts[slot] += 1;
  }
}
for (let k = 0; k < SLOTS; k++) spot[k] /= counts[k] || 1;

const load = new Array(SLOTS).fill(NaN);
const pv = new Array(SLOTS).fill(NaN);
const DST_START = Date.UTC(2011, 9, 2, 3); // 2011-10-02 03:00 AEDT (clocks went 02:00 → 03:00)
for (const line of readFileSync(new URL('ausgrid-cust12-2011-10-01_35d.csv', dataDir), 'utf8')
  .trim()
  .split('\n')
  .slice(1)) {
  const [ts, gc, gg] = line.split(',');
  const [d, t] = ts.split(' ');
  const [Y, M, D] = d.split('-').map(Number);
  const [h, m] = t.split(':').map(Number);
  let local = Date.UTC(Y, M - 1, D, h, m);
  if (local >= DST_START) local -= 3600_000; // AEDT → AEST
  const slot = Math.round((local - Date.UTC(2011, 9, 1)) / 1_800_000);
  if (slot >= 0 && slot < SLOTS) {
    load[slot] = Number(gc);
    pv[slot] = Number(gg) * PV_SCALE;
  }
}
for (let k = 0; k < SLOTS; k++) {
  if (Number.isNaN(load[k])) load[k] = load[k - 1] ?? 0.5;
  if (Number.isNaN(pv[k])) pv[k] = pv[k - 1] ?? 0;
}

// Retail pass-through tariff (Amber-style, ex GST): network + retail on top of spot for import.
const importPrice = spot.map((p) => p + 0.12);
const exportPrice = spot.map((p) => p - 0.01);

const battery = {
  capacity_kwh: 13.5,
  min_soc_pct: 10,
  max_soc_pct: 100,
  max_charge_kw: 5,
  max_discharge_kw: 5,
  charge_efficiency: 0.95,
  discharge_efficiency: 0.95,
  cycle_cost_per_kwh: 0.02,
};
const grid = { max_import_kw: null, max_export_kw: 5 };
const TERMINAL = 0.1;
const SOC0 = 50;

// ---- forecasts with errors (seeded) ----
const rnd = s.seededRandom(2024);
const gauss = () => {
  const u = Math.max(1e-12, rnd());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
};
/** Forecast of slot k+j made at slot k: exact now, blending into "same time yesterday" with noise. */
function forecast(series, k, j, noise) {
  const actual = series[k + j];
  if (j === 0) return actual;
  const yesterday = series[k + j - 48] ?? actual;
  const w = Math.exp(-j / 6);
  return w * actual + (1 - w) * yesterday + noise * gauss();
}

function scenarioAt(k, socPct, source) {
  const n = Math.min(HORIZON, SLOTS - k);
  const idx = Array.from({ length: n }, (_, j) => j);
  return {
    interval_minutes: 30,
    start: new Date(START_AEST_MS + k * 1_800_000).toISOString(),
    prices: {
      import: idx.map((j) => source.importPrice(k, j)),
      export: idx.map((j) => source.exportPrice(k, j)),
      currency: 'AUD',
    },
    solar_kw: idx.map((j) => Math.max(0, source.pv(k, j))),
    load_kw: idx.map((j) => Math.max(0, source.load(k, j))),
    battery: { ...battery, soc_pct: Math.min(100, Math.max(0, socPct)) },
    grid,
    terminal_energy_value_per_kwh: TERMINAL,
  };
}

const forecastSource = {
  importPrice: (k, j) => forecast(spot, k, j, 0.02) + 0.12,
  exportPrice: (k, j) => forecast(spot, k, j, 0.02) - 0.01,
  pv: (k, j) => (j === 0 ? pv[k] : pv[k + j] * (1 + 0.25 * gauss())),
  load: (k, j) => (j === 0 ? load[k] : forecast(load, k, j, 0.15)),
};

// ---- simulated battery + meter ----
function simulateSlot(k, stored, action, plannedCharge, plannedDischarge) {
  const b = battery;
  const min = (b.min_soc_pct / 100) * b.capacity_kwh;
  const max = (b.max_soc_pct / 100) * b.capacity_kwh;
  const houseNet = load[k] - pv[k];
  let net; // battery power, + = discharge
  if (action === 'CHARGE') net = -plannedCharge;
  else if (action === 'EXPORT') net = plannedDischarge;
  else if (action === 'IDLE') net = 0;
  else net = houseNet; // the inverter's own self-consumption mode follows the real house
  const room = (max - stored) / (b.charge_efficiency * HALF_HOUR);
  const available = ((stored - min) * b.discharge_efficiency) / HALF_HOUR;
  net =
    net >= 0
      ? Math.min(net, b.max_discharge_kw, Math.max(0, available))
      : -Math.min(-net, b.max_charge_kw, Math.max(0, room));
  stored += net >= 0 ? (-net / b.discharge_efficiency) * HALF_HOUR : -net * b.charge_efficiency * HALF_HOUR;
  const gridNet = houseNet - net;
  const imp = Math.max(0, gridNet);
  const exp = Math.min(grid.max_export_kw, Math.max(0, -gridNet)); // beyond the cap: curtailed
  const cost = (importPrice[k] * imp - exportPrice[k] * exp + b.cycle_cost_per_kwh * Math.max(0, net)) * HALF_HOUR;
  return { stored, cost };
}

const initial = (SOC0 / 100) * battery.capacity_kwh;
const score = (cost, stored) => cost - TERMINAL * (stored - initial);

console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, node ${process.version}; ` +
    `${DAYS} days × 48 half-hour slots, re-planning every slot over ${HORIZON / 2} h`,
);
console.log(
  'data: Source: Australian Energy Market Operator (AEMO), Aggregated Price and Demand Data (VIC1, Oct–Nov 2024);',
);
console.log(
  '      Ausgrid Solar home electricity data, customer 12 (Oct–Nov 2011), via P. Haessig (CC BY 4.0); PV × 5.',
);

// Self-consumption baseline on the actual data.
let baseStored = initial;
let baseCost = 0;
for (let k = 0; k < SLOTS; k++) {
  const r = simulateSlot(k, baseStored, 'SELF_CONSUMPTION', 0, 0);
  baseStored = r.stored;
  baseCost += r.cost;
}

// Perfect foresight: one plan over the whole period on the actual data.
const actualSource = {
  importPrice: (k, j) => importPrice[k + j],
  exportPrice: (k, j) => exportPrice[k + j],
  pv: (k, j) => pv[k + j],
  load: (k, j) => load[k + j],
};
const scheduler = await s.loadScheduler();
const t0 = performance.now();
const full = { ...scenarioAt(0, SOC0, actualSource) };
for (const key of ['import', 'export']) full.prices[key] = (key === 'import' ? importPrice : exportPrice).slice();
full.solar_kw = pv.slice();
full.load_kw = load.slice();
const perfect = scheduler.plan(full, { timeLimitMs: 120_000, smooth: false });
const perfectMs = performance.now() - t0;

// MPC with forecast errors through the simulated battery.
let stored = initial;
let mpcCost = 0;
const solveMs = [];
const statuses = {};
const t1 = performance.now();
for (let k = 0; k < SLOTS; k++) {
  const socPct = (100 * stored) / battery.capacity_kwh;
  const plan = scheduler.plan(scenarioAt(k, socPct, forecastSource), { timeLimitMs: 5000 });
  statuses[plan.status] = (statuses[plan.status] ?? 0) + 1;
  solveMs.push(plan.solve_ms);
  const first = plan.intervals[0];
  const r = first
    ? simulateSlot(k, stored, first.action, first.battery_charge_kw, first.battery_discharge_kw)
    : simulateSlot(k, stored, 'SELF_CONSUMPTION', 0, 0);
  stored = r.stored;
  mpcCost += r.cost;
}
const mpcMs = performance.now() - t1;

const base = score(baseCost, baseStored);
const mpc = score(mpcCost, stored);
const pf = perfect.objective;
solveMs.sort((a, b) => a - b);
console.log(`perfect foresight: one ${SLOTS}-interval plan, ${perfect.status}, ${perfectMs.toFixed(0)} ms`);
console.log(
  `MPC: ${SLOTS} plans (${JSON.stringify(statuses)}), solve median ${solveMs[Math.floor(SLOTS / 2)].toFixed(1)} ms, ` +
    `p95 ${solveMs[Math.floor(SLOTS * 0.95)].toFixed(1)} ms, total ${(mpcMs / 1000).toFixed(1)} s`,
);
console.log('cost over the period (AUD, energy + cycle cost − 0.10 AUD/kWh × change of stored energy):');
console.log(`  self-consumption baseline  ${base.toFixed(2)}`);
console.log(`  MPC with forecast errors   ${mpc.toFixed(2)}   (saves ${(base - mpc).toFixed(2)})`);
console.log(`  perfect foresight          ${pf.toFixed(2)}   (saves ${(base - pf).toFixed(2)})`);
console.log(`savings captured: ${((100 * (base - mpc)) / (base - pf)).toFixed(1)} % of perfect foresight`);
