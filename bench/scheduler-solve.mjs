// Scheduler solve benchmark (issue 5): the 48 h × 5 min plan with battery, PV and export cap, and
// the same with an EV with minimum power. Prints median of 5 for: the whole plan (validate + build
// + solve + smoothing + mapping), the stage-1 HiGHS solve alone, and javascript-lp-solver on the
// same LP (LP only: it cannot do the MIP at this size), plus HiGHS' Wasm heap over many solves.
// Needs a build first (`pnpm bench` does it).
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { createRequire } from 'node:module';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

const require = createRequire(new URL('../packages/scheduler/package.json', import.meta.url));
const s = require('./dist/index.js');
const jsLpSolver = require('javascript-lp-solver');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (c) => (c.user + c.system) / 1000;

function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  return { value, wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
}

function runs(fn, n = 5) {
  fn(); // warm-up (JIT, Wasm tiers)
  const r = Array.from({ length: n }, () => timed(fn));
  return { wall: median(r.map((x) => x.wall)), cpu: median(r.map((x) => x.cpu)), value: r[r.length - 1].value };
}

/** The SparseLp as a javascript-lp-solver model (continuous only). */
function toJsLpSolver(lp) {
  const variables = {};
  const constraints = {};
  for (let j = 0; j < lp.numCols; j++) {
    variables[`x${j}`] = { cost: lp.colCost[j] };
    // jsLPSolver variables are ≥ 0; shift columns with another lower bound through a constraint.
    if (lp.colUpper[j] < Infinity) {
      constraints[`ub${j}`] = { max: lp.colUpper[j] };
      variables[`x${j}`][`ub${j}`] = 1;
    }
    if (lp.colLower[j] > 0) {
      constraints[`lb${j}`] = { min: lp.colLower[j] };
      variables[`x${j}`][`lb${j}`] = 1;
    }
  }
  for (let i = 0; i < lp.numRows; i++) {
    const lo = lp.rowLower[i];
    const hi = lp.rowUpper[i];
    constraints[`r${i}`] =
      lo === hi ? { equal: lo } : { ...(lo > -Infinity ? { min: lo } : {}), ...(hi < Infinity ? { max: hi } : {}) };
    for (let k = lp.rowStarts[i]; k < lp.rowStarts[i + 1]; k++)
      variables[`x${lp.rowIndices[k]}`][`r${i}`] = lp.rowValues[k];
  }
  return { optimize: 'cost', opType: 'min', constraints, variables };
}

const highs = await s.getHighs();
const scheduler = await s.loadScheduler();
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, node ${process.version}, ` +
    `load average ${os
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')} (the machine is shared: CPU ms are steadier than wall ms)`,
);

for (const ev of [false, true]) {
  const input = s.syntheticScenario({ hours: 48, intervalMinutes: 5, ev, maxExportKw: 5 });
  const problem = s.toProblem(s.parseScenario(input), Date.now());
  const off = problem.importPrice.map(() => false);
  const model = s.buildBatteryLpModel(problem, {
    chargeModeBinary: [off],
    importModeBinary: off,
    evBinary: problem.importPrice.map(() => ev),
    deferrableInteger: [],
  });
  const binaries = model.lp.integrality.reduce((a, b) => a + b, 0);
  const name = ev ? 'battery + PV + export cap + EV (min 1.4 kW)' : 'battery + PV + export cap';
  console.log(
    `\n${name}: ${problem.n} intervals; model ${model.lp.numCols} columns, ${model.lp.numRows} rows, ${binaries} binaries when every EV interval is on/off`,
  );

  const total = runs(() => scheduler.plan(input));
  const plan = total.value;
  console.log(
    `  plan total (validate + build + solve + smoothing + mapping): median ${total.wall.toFixed(0)} ms wall, ${total.cpu.toFixed(0)} ms CPU; ` +
      `status ${plan.status}, objective ${plan.objective}, savings ${plan.savings} ${plan.currency}`,
  );
  const opt = runs(() => s.optimiseDispatch(highs, problem, { timeLimitMs: 60_000, smooth: false }));
  console.log(
    `  optimum without smoothing: median ${opt.wall.toFixed(0)} ms wall, ${opt.cpu.toFixed(0)} ms CPU; method ${opt.value.method}, ` +
      `${opt.value.solves} HiGHS solves, objective ${opt.value.objective.toFixed(6)}, proved bound ${opt.value.lowerBound.toFixed(6)}`,
  );
  const relax = s.buildBatteryLpModel(problem, {
    chargeModeBinary: [off],
    importModeBinary: off,
    evBinary: off,
    deferrableInteger: [],
  });
  const h = runs(() => s.solveWithHighs(highs, relax.lp, { timeLimitSeconds: 60, mipRelGap: 1e-4, mipAbsGap: 1e-4 }));
  console.log(
    `  HiGHS, LP${ev ? ' relaxation' : ''} only: median ${h.wall.toFixed(0)} ms wall, ${h.cpu.toFixed(0)} ms CPU, objective ${h.value.objective.toFixed(6)}`,
  );
  if (ev) {
    const mip = runs(
      () => s.solveWithHighs(highs, model.lp, { timeLimitSeconds: 60, mipRelGap: 4e-4, mipAbsGap: 4e-4 }),
      3,
    );
    console.log(
      `  HiGHS, full MIP (${binaries} binaries): median of 3 ${mip.wall.toFixed(0)} ms wall, ${mip.cpu.toFixed(0)} ms CPU, objective ${mip.value.objective.toFixed(6)}`,
    );
  } else {
    const js = toJsLpSolver(relax.lp);
    const j = runs(() => jsLpSolver.Solve(js), 5);
    console.log(
      `  javascript-lp-solver, same LP: median ${j.wall.toFixed(0)} ms wall, ${j.cpu.toFixed(0)} ms CPU, ` +
        `objective ${(j.value.result + relax.lp.offset).toFixed(6)} (feasible ${j.value.feasible})`,
    );
  }
}

// Memory: every model is disposed after its solve; the Wasm heap should plateau. A forced GC before
// each reading separates garbage not yet collected from memory really retained.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const input = s.syntheticScenario({ hours: 48, intervalMinutes: 5, maxExportKw: 5 });
const marks = [];
for (let i = 1; i <= 100; i++) {
  scheduler.plan({ ...input, terminal_energy_value_per_kwh: 0.1 + i * 1e-4 });
  if (i === 1 || i % 25 === 0) {
    gc();
    const st = s.highsRuntimeStats();
    marks.push(
      `${i}: Wasm heap ${(st.heapBytes / 2 ** 20).toFixed(1)} MiB, JS heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
  }
}
console.log(`\nmemory over 100 plans (${s.highsRuntimeStats().loads} runtime load(s)): ${marks.join('; ')}`);
