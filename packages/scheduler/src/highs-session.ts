import type { Highs, Model } from 'highs';
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
  /** Primal simplex continues best from a basis that is primal but not dual feasible. */
  readonly primalSimplex?: boolean;
}

/** Extra rows over existing and new columns, compressed by row. */
export interface RowBlock {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/**
 * One HiGHS model kept alive across solves, so a modified model (extra rows and columns, new
 * costs) is re-solved from the previous basis instead of from scratch: the smoothing stage costs
 * a few dual simplex iterations this way instead of a cold solve. The native model must be
 * disposed (the Wasm heap is not garbage collected).
 */
export class HighsSession {
  private readonly model: Model;
  private cols: number;
  private rows: number;
  private solveCount = 0;
  readonly hasIntegers: boolean;

  constructor(
    private readonly highs: Highs,
    lp: SparseLp,
  ) {
    this.hasIntegers = lp.integrality.some((v) => v !== 0);
    this.cols = lp.numCols;
    this.rows = lp.numRows;
    this.model = highs.createModel({
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
      ...(this.hasIntegers ? { integrality: lp.integrality } : {}),
    });
  }

  get numCols(): number {
    return this.cols;
  }

  /** Solves run on this model so far. */
  get solves(): number {
    return this.solveCount;
  }

  solve(options: LpSolveOptions): LpOutcome {
    const codes = this.highs.constants.modelStatus;
    this.solveCount += 1;
    try {
      this.model.options.set({
        output_flag: false,
        // Presolve costs more than it saves on the LPs; the MIPs need it (measured, README).
        // Off also keeps the basis of a re-solve usable as its warm start.
        presolve: options.presolve ?? (this.hasIntegers ? 'choose' : 'off'),
        time_limit: options.timeLimitSeconds,
        simplex_strategy: options.primalSimplex ? 4 : 1,
        ...(this.hasIntegers ? { mip_rel_gap: options.mipRelGap, mip_abs_gap: options.mipAbsGap } : {}),
      });
      this.model.run();
      const status = this.model.getModelStatus();
      if (status === codes.optimal) {
        return { kind: 'optimal', x: this.model.getSolution().colValue, objective: this.model.getObjectiveValue() };
      }
      if (status === codes.infeasible || status === codes.unboundedOrInfeasible) return { kind: 'infeasible' };
      if (status === codes.timeLimit || status === codes.interrupted) return { kind: 'time_limit' };
      return { kind: 'error', message: `HiGHS ended with model status ${status}` };
    } catch (e: unknown) {
      return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
    } finally {
      noteSolve(this.highs);
    }
  }

  /** Appends continuous columns with no coefficients yet (rows added later refer to them). */
  addColumns(cost: Float64Array, lower: Float64Array, upper: Float64Array): number {
    const first = this.cols;
    const count = cost.length;
    this.model.addCols({
      cost,
      lower,
      upper,
      matrix: {
        format: 'csc',
        numRows: this.rows,
        numCols: count,
        starts: new Int32Array(count + 1),
        indices: new Int32Array(0),
        values: new Float64Array(0),
      },
    });
    this.cols += count;
    return first;
  }

  addRows(block: RowBlock): void {
    this.model.addRows({
      lower: block.lower,
      upper: block.upper,
      matrix: {
        format: 'csr',
        numRows: block.lower.length,
        numCols: this.cols,
        starts: block.starts,
        indices: block.indices,
        values: block.values,
      },
    });
    this.rows += block.lower.length;
  }

  /** Fixes column bounds in place (the basis stays, so the next solve starts warm). */
  changeBounds(bounds: ReadonlyMap<number, readonly [number, number]>): void {
    for (const [col, [lower, upper]] of bounds) this.model.changeColBounds(col, lower, upper);
  }

  changeCosts(from: number, costs: Float64Array): void {
    this.model.changeColsCost({ kind: 'range', from, to: from + costs.length - 1 }, costs);
  }

  dispose(): void {
    if (!this.model.disposed) this.model.dispose();
  }
}
