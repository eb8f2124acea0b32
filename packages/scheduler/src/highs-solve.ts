import type { Highs } from 'highs';
import type { SparseLp } from './lp-builder.js';
import { noteSolve } from './highs-runtime.js';

export type LpOutcome =
  | { readonly kind: 'optimal'; readonly x: Float64Array; readonly objective: number }
  | { readonly kind: 'infeasible' }
  | { readonly kind: 'time_limit' }
  | { readonly kind: 'error'; readonly message: string };

export interface LpSolveOptions {
  readonly timeLimitSeconds: number;
  /**
   * MIP stopping gaps. The contract asks for 0.1 % of max(1, |optimum|); the gap is kept well
   * below that because plan smoothing may spend a further share of it.
   */
  readonly mipRelGap: number;
  readonly mipAbsGap: number;
  /** HiGHS presolve; measured slower than the solve itself on these models (README). */
  readonly presolve?: 'off' | 'choose' | 'on';
}

/** Solves one sparse model with HiGHS; the native model is always disposed (Wasm memory is not GC'd). */
export function solveWithHighs(highs: Highs, lp: SparseLp, options: LpSolveOptions): LpOutcome {
  const hasIntegers = lp.integrality.some((v) => v !== 0);
  const model = highs.createModel({
    numCols: lp.numCols,
    numRows: lp.numRows,
    offset: lp.offset,
    colCost: lp.colCost,
    colLower: lp.colLower,
    colUpper: lp.colUpper,
    rowLower: lp.rowLower,
    rowUpper: lp.rowUpper,
    matrix: {
      format: 'csr',
      numRows: lp.numRows,
      numCols: lp.numCols,
      starts: lp.rowStarts,
      indices: lp.rowIndices,
      values: lp.rowValues,
    },
    ...(hasIntegers ? { integrality: lp.integrality } : {}),
  });
  try {
    model.options.set({
      output_flag: false,
      // Presolve costs more than it saves on the LPs; the MIPs need it (measured, README).
      presolve: options.presolve ?? (hasIntegers ? 'choose' : 'off'),
      time_limit: options.timeLimitSeconds,
      ...(hasIntegers ? { mip_rel_gap: options.mipRelGap, mip_abs_gap: options.mipAbsGap } : {}),
    });
    model.run();
    const status = model.getModelStatus();
    const codes = highs.constants.modelStatus;
    if (status === codes.optimal) {
      return { kind: 'optimal', x: model.getSolution().colValue, objective: model.getObjectiveValue() };
    }
    if (status === codes.infeasible || status === codes.unboundedOrInfeasible) return { kind: 'infeasible' };
    if (status === codes.timeLimit || status === codes.interrupted) return { kind: 'time_limit' };
    return { kind: 'error', message: `HiGHS ended with model status ${status}` };
  } catch (e: unknown) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  } finally {
    model.dispose();
    noteSolve(highs);
  }
}
