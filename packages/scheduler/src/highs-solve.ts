import type { Highs } from 'highs';
import type { SparseLp } from './lp-builder.js';
import { HighsSession, type LpOutcome, type LpSolveOptions } from './highs-session.js';

export type { LpOutcome, LpSolveOptions } from './highs-session.js';

/** Solves one sparse model with HiGHS; the native model is always disposed (Wasm memory is not GC'd). */
export function solveWithHighs(highs: Highs, lp: SparseLp, options: LpSolveOptions): LpOutcome {
  let session: HighsSession | null = null;
  try {
    session = new HighsSession(highs, lp);
    return session.solve(options);
  } catch (e: unknown) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  } finally {
    session?.dispose();
  }
}
