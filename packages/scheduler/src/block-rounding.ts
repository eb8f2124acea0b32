import type { HighsSession, LpOutcome, LpSolveOptions } from './highs-session.js';
import type { LpVariables } from './lp-model.js';
import type { PlanningProblem } from './problem.js';

type Optimal = Extract<LpOutcome, { kind: 'optimal' }>;

/**
 * Switching blocks tried for the deferrable loads, coarsest first. Measured on the issue-12 benchmark
 * (2 batteries + EV + 3 loads, 48 h × 5 min): with 30-minute blocks the relaxation is as tight as the
 * exact one and the load-by-load rounding below lands 0.01 % above it; with 15-minute blocks (or
 * none) the same rounding lands 0.1–0.17 % above it, outside SEARCH_GAP (README, "Deferrable loads").
 */
export const BLOCK_MINUTES = [30, 15] as const;

/**
 * Intervals per switching block for each deferrable load, or null when no load can use blocks.
 * The rule: a block is 30 (else 15) minutes when that is a whole number (≥ 2) of intervals and the
 * load's run is a whole number of blocks; blocks start at the load's window start (the last may be
 * shorter), and the relay then switches only at block boundaries. Min on/off rows stay in the model.
 */
export function deferrableBlocks(p: PlanningProblem): number[] | null {
  let any = false;
  const blocks = p.deferrables.map((d) => {
    for (const minutes of BLOCK_MINUTES) {
      const size = minutes / p.intervalMinutes;
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

/**
 * Rounds the deferrable loads of a relaxation one load at a time, largest power first: the load's
 * most-on blocks (cheaper import first on ties) are fixed on until its run is covered, the rest
 * off, and the live model is re-solved warm before the next load, so the loads not yet rounded move
 * around the one just placed (rounding all loads at once stacks them in the same sunny intervals).
 * Intervals an exclusion blocks are already fixed off by the model (`colUpper` 0).
 * Returns the re-solved solution with every load fixed, or null if a rounding is infeasible.
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
  for (const k of order) {
    const x = current.x;
    const blocks = blocksOf(vars.deferrableOn[k]!);
    const fractional = blocks.some((b) => isFractional(x[b.col] ?? 0));
    const usable = blocks.filter((b) => (colUpper[b.col] ?? 0) > 0);
    usable.sort((a, b) => (x[b.col] ?? 0) - (x[a.col] ?? 0) || (p.importPrice[a.t] ?? 0) - (p.importPrice[b.t] ?? 0));
    let left = p.deferrables[k]!.runIntervals;
    const fix = new Map<number, readonly [number, number]>();
    for (const b of usable) {
      const on = b.length <= left;
      if (on) left -= b.length;
      fix.set(b.col, on ? [1, 1] : [0, 0]);
    }
    // The blocks do not add up to the run (a short last block): leave it to the exact search.
    if (left !== 0) return null;
    session.changeBounds(fix);
    // A load already integral keeps the current solution optimal: no re-solve needed.
    if (!fractional) continue;
    const out = session.solve(solveOptions());
    if (out.kind !== 'optimal') return null;
    current = out;
  }
  return current;
}
