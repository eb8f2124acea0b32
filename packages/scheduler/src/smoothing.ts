import type { HighsSession, LpSolveOptions } from './highs-session.js';
import type { LpVariables } from './lp-model.js';
import type { SparseLp } from './lp-builder.js';
import type { PlanningProblem } from './problem.js';

/**
 * The penalty weight is `multiple · room / R(x₁)`, where room is the objective budget left above
 * the stage-1 solution x₁ and R(x₁) its total change of battery power. Since the penalised
 * optimum x_w satisfies f(x_w) + w·R(x_w) ≤ f(x₁) + w·R(x₁), its cost exceeds f(x₁) by at most
 * w·R(x₁) = multiple · room: a multiple ≤ 1 is provably inside the budget. A multiple of 4 smooths
 * far more and usually still fits (the bound is loose); it is checked exactly, and 1 is the fallback.
 * Searching more multiples made no measurable difference once the lexicographic polish (below) runs.
 */
const FIRST_MULTIPLE = 4;

/** Σ |Δ net battery power| over the horizon, per battery, of an LP solution. */
export function totalPowerChange(p: PlanningProblem, vars: LpVariables, x: Float64Array): number {
  let total = 0;
  p.batteries.forEach((_, k) => {
    const net = (t: number): number => (x[vars.discharge[k]![t]!] ?? 0) - (x[vars.charge[k]![t]!] ?? 0);
    for (let t = 1; t < p.n; t++) total += Math.abs(net(t) - net(t - 1));
  });
  return total;
}

/**
 * Stage 2 (plan smoothing) on the live stage-1 model: adds u ≥ |Δ net battery power| per battery
 * and interval with a small cost w each, and re-solves from stage 1's basis (the old basis stays
 * dual feasible, so this takes a few dual simplex iterations). `accept` checks a solution's true
 * contract objective (the penalty is not part of it) against the cap; the first accepted solution
 * is returned, or null when smoothing has nothing to do or fails (stage 1 then stands).
 */
export function smoothInPlace<T>(
  session: HighsSession,
  p: PlanningProblem,
  vars: LpVariables,
  lp: SparseLp,
  stageOne: { readonly x: Float64Array; readonly objective: number },
  cap: number,
  solveOptions: () => LpSolveOptions,
  accept: (x: Float64Array) => T | null,
): T | null {
  const room = cap - stageOne.objective;
  const change = totalPowerChange(p, vars, stageOne.x);
  if (!(room > 0) || change <= 1e-9) return null;

  const steps = p.batteries.length * (p.n - 1);
  const first = session.addColumns(
    new Float64Array(steps),
    new Float64Array(steps),
    new Float64Array(steps).fill(Infinity),
  );
  // Two rows per step: u − Δ ≥ 0 and u + Δ ≥ 0, Δ = (d_t − c_t) − (d_{t−1} − c_{t−1}).
  const rowCount = 2 * steps;
  const starts = new Int32Array(rowCount + 1);
  const indices = new Int32Array(rowCount * 5);
  const values = new Float64Array(rowCount * 5);
  let row = 0;
  let nz = 0;
  p.batteries.forEach((_, k) => {
    for (let t = 1; t < p.n; t++) {
      const u = first + k * (p.n - 1) + (t - 1);
      const cols = [
        u,
        vars.discharge[k]![t]!,
        vars.charge[k]![t]!,
        vars.discharge[k]![t - 1]!,
        vars.charge[k]![t - 1]!,
      ];
      for (const sign of [1, -1]) {
        const coefs = [1, -sign, sign, sign, -sign];
        cols.forEach((c, i) => {
          indices[nz] = c;
          values[nz] = coefs[i]!;
          nz += 1;
        });
        row += 1;
        starts[row] = nz;
      }
    }
  });
  session.addRows({
    lower: new Float64Array(rowCount),
    upper: new Float64Array(rowCount).fill(Infinity),
    starts,
    indices,
    values,
  });

  const attempt = (multiple: number): T | null => {
    session.changeCosts(first, new Float64Array(steps).fill((multiple * room) / change));
    const out = session.solve(solveOptions());
    return out.kind === 'optimal' ? accept(out.x) : null;
  };
  // The penalised solution is the fallback; the polish finds the least change within the cap.
  const best = attempt(FIRST_MULTIPLE) ?? attempt(1);
  if (best === null) return null;
  return polish(session, lp, first, steps, cap, solveOptions, accept) ?? best;
}

/**
 * The lexicographic finish: objective ≤ cap as a row, Σu as the only cost. The penalised solution
 * is feasible for it, so primal simplex continues from its basis in a few iterations.
 */
function polish<T>(
  session: HighsSession,
  lp: SparseLp,
  first: number,
  steps: number,
  cap: number,
  solveOptions: () => LpSolveOptions,
  accept: (x: Float64Array) => T | null,
): T | null {
  const cols: number[] = [];
  const coefs: number[] = [];
  lp.colCost.forEach((c, j) => {
    if (c !== 0) {
      cols.push(j);
      coefs.push(c);
    }
  });
  session.addRows({
    lower: Float64Array.of(-Infinity),
    upper: Float64Array.of(cap - lp.offset),
    starts: Int32Array.of(0, cols.length),
    indices: Int32Array.from(cols),
    values: Float64Array.from(coefs),
  });
  session.changeCosts(0, new Float64Array(lp.numCols));
  session.changeCosts(first, new Float64Array(steps).fill(1));
  const out = session.solve({ ...solveOptions(), primalSimplex: true });
  return out.kind === 'optimal' ? accept(out.x) : null;
}
