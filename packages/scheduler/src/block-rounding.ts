import type { HighsSession, LpOutcome, LpSolveOptions } from './highs-session.js';
import type { LpVariables } from './lp-model.js';
import type { PlanningProblem } from './problem.js';

type Optimal = Extract<LpOutcome, { kind: 'optimal' }>;

/**
 * Switching-block sizes tried for the deferrable loads, one attempt after the other; in each, a
 * load takes the first size that fits it. Measured on the issue-12 benchmark (2 batteries + EV + 3
 * loads, 48 h × 5 min): with 30-minute blocks the blocked relaxation is as tight as the exact one
 * and the rounding below lands 0.01 % above it; with 15-minute blocks (or none) it lands 0.1–0.17 %
 * above it, outside SEARCH_GAP. On some 24 h scenarios with an EV only hour blocks land inside
 * (README, "Deferrable loads on switching blocks").
 */
export const BLOCK_ATTEMPTS: readonly (readonly number[])[] = [
  [30, 15],
  [60, 30, 15],
];

/**
 * Intervals per switching block for each deferrable load, or null when no load can use blocks.
 * The rule: a load's block is the first of `minutes` that is a whole number (≥ 2) of intervals
 * and divides the load's run into whole blocks (else 1: no block); blocks start at the load's
 * window start (the last may be shorter), so the relay switches only at block boundaries. Min
 * on/off rows stay in the model. A block containing an excluded interval is excluded whole.
 */
export function deferrableBlocks(p: PlanningProblem, minutes: readonly number[]): number[] | null {
  let any = false;
  const blocks = p.deferrables.map((d) => {
    for (const m of minutes) {
      const size = m / p.intervalMinutes;
      if (Number.isInteger(size) && size > 1 && d.runIntervals % size === 0) {
        any = true;
        return size;
      }
    }
    return 1;
  });
  return any ? blocks : null;
}

const TOLERANCE = 1e-6;
const isFractional = (v: number): boolean => v > TOLERANCE && v < 1 - TOLERANCE;

interface Block {
  readonly col: number;
  /** First interval of the block (ties go to the cheaper import price there). */
  readonly t: number;
  /** Intervals in the block. */
  length: number;
}

/** A load's on/off columns grouped by block (a column is shared by all intervals of its block). */
function blocksOf(on: readonly number[]): Block[] {
  const byCol = new Map<number, Block>();
  on.forEach((col, t) => {
    if (col < 0) return;
    const block = byCol.get(col);
    if (block) block.length += 1;
    else byCol.set(col, { col, t, length: 1 });
  });
  return [...byCol.values()];
}

type Fix = Map<number, readonly [number, number]>;

/**
 * Load k's most-on blocks (cheaper import first on ties) on until its run is covered, the rest
 * off; null when the blocks cannot add up to the run exactly.
 */
function rankRounding(
  p: PlanningProblem,
  k: number,
  blocks: readonly Block[],
  colUpper: Float64Array,
  x: Float64Array,
): Fix | null {
  const usable = blocks.filter((b) => (colUpper[b.col] ?? 0) > 0);
  usable.sort((a, b) => (x[b.col] ?? 0) - (x[a.col] ?? 0) || (p.importPrice[a.t] ?? 0) - (p.importPrice[b.t] ?? 0));
  let left = p.deferrables[k]!.runIntervals;
  const fix: Fix = new Map(usable.map((b) => [b.col, [0, 0] as const]));
  // Whole blocks first: the run is a whole number of them, so the short last block of a window
  // (which would leave a remainder no whole block fills) is taken only when whole ones run out.
  const full = Math.max(0, ...usable.map((b) => b.length));
  for (const short of [false, true]) {
    for (const b of usable) {
      if (b.length < full !== short || fix.get(b.col)?.[0] === 1 || b.length > left) continue;
      left -= b.length;
      fix.set(b.col, [1, 1]);
    }
  }
  return left === 0 ? fix : null;
}

/** Improvement passes after the first rounding (measured: a second pass rarely finds more). */
const IMPROVEMENT_PASSES = 2;

/**
 * Rounds the deferrable loads of a relaxation one load at a time, largest power first: the load's
 * most-on blocks are fixed on until its run is covered, the rest off, and the live model is
 * re-solved warm before the next load, so the loads not yet rounded move around the one just
 * placed (rounding all loads at once stacks them in the same sunny intervals). Then each load in
 * turn is freed, re-solved with the others fixed and rounded again; the new rounding is kept when
 * it is cheaper (two warm re-solves per load and pass). Intervals an exclusion blocks are already
 * fixed off by the model (`colUpper` 0).
 * Returns the solution with every load fixed (the session's bounds are fixed to it; its last solve
 * may be a rejected trial, so a caller re-solves before using the basis), or null if infeasible.
 */
export function roundLoadsInOrder(
  session: HighsSession,
  p: PlanningProblem,
  vars: LpVariables,
  colUpper: Float64Array,
  relaxed: Optimal,
  solveOptions: () => LpSolveOptions,
): Optimal | null {
  let current = relaxed;
  const order = p.deferrables.map((_, k) => k).sort((a, b) => p.deferrables[b]!.powerKw - p.deferrables[a]!.powerKw);
  const blocks = p.deferrables.map((_, k) => blocksOf(vars.deferrableOn[k]!));
  const fixed: Fix[] = [];
  for (const k of order) {
    const fix = rankRounding(p, k, blocks[k]!, colUpper, current.x);
    if (!fix) return null;
    fixed[k] = fix;
    session.changeBounds(fix);
    // A load already integral keeps the current solution optimal: no re-solve needed.
    if (!blocks[k]!.some((b) => isFractional(current.x[b.col] ?? 0))) continue;
    const out = session.solve(solveOptions());
    if (out.kind !== 'optimal') return null;
    current = out;
  }
  for (let pass = 0; pass < IMPROVEMENT_PASSES; pass++) {
    let improved = false;
    for (const k of order) {
      const free: Fix = new Map(blocks[k]!.map((b) => [b.col, [0, colUpper[b.col] ?? 0] as const]));
      session.changeBounds(free);
      const relaxedK = session.solve(solveOptions());
      const fix = relaxedK.kind === 'optimal' ? rankRounding(p, k, blocks[k]!, colUpper, relaxedK.x) : null;
      const same = fix !== null && [...fix].every(([c, [lo]]) => fixed[k]!.get(c)?.[0] === lo);
      if (fix && !same) {
        session.changeBounds(fix);
        const out = session.solve(solveOptions());
        if (out.kind === 'optimal' && out.objective < current.objective - 1e-9) {
          fixed[k] = fix;
          current = out;
          improved = true;
          continue;
        }
      }
      session.changeBounds(fixed[k]!);
    }
    if (!improved) break;
  }
  return current;
}
