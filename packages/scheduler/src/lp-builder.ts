/**
 * A plain sparse LP/MIP: columns with bounds, costs and integrality, rows stored compressed by row.
 * Solver-neutral so the same model feeds HiGHS and the javascript-lp-solver baseline benchmark.
 */
export interface SparseLp {
  readonly numCols: number;
  readonly numRows: number;
  readonly offset: number;
  readonly colCost: Float64Array;
  readonly colLower: Float64Array;
  readonly colUpper: Float64Array;
  /** 1 = integer (all integers in this model are binaries), 0 = continuous. */
  readonly integrality: Int32Array;
  readonly rowLower: Float64Array;
  readonly rowUpper: Float64Array;
  readonly rowStarts: Int32Array;
  readonly rowIndices: Int32Array;
  readonly rowValues: Float64Array;
  readonly colNames: readonly string[];
}

export class LpBuilder {
  private readonly cost: number[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly integer: number[] = [];
  private readonly names: string[] = [];
  private readonly rLower: number[] = [];
  private readonly rUpper: number[] = [];
  private readonly starts: number[] = [0];
  private readonly indices: number[] = [];
  private readonly values: number[] = [];
  offset = 0;

  get numCols(): number {
    return this.cost.length;
  }

  addCol(name: string, lower: number, upper: number, cost = 0, integer = false): number {
    this.names.push(name);
    this.lower.push(lower);
    this.upper.push(upper);
    this.cost.push(cost);
    this.integer.push(integer ? 1 : 0);
    return this.cost.length - 1;
  }

  /** Lowers a column's upper bound (never raises it). */
  setUpper(col: number, upper: number): void {
    this.upper[col] = Math.min(this.upper[col] ?? upper, upper);
  }

  addCost(col: number, cost: number): void {
    this.cost[col] = (this.cost[col] ?? 0) + cost;
  }

  /** Adds lower ≤ Σ coef·x ≤ upper; zero coefficients are dropped, repeated columns merged. */
  addRow(lower: number, upper: number, cols: readonly number[], coefs: readonly number[]): number {
    const first = this.indices.length;
    cols.forEach((c, i) => {
      const v = coefs[i] ?? 0;
      // Rows are short (≤ a dozen entries): a linear scan for a repeat beats allocating a Map.
      for (let k = first; k < this.indices.length; k++) {
        if (this.indices[k] === c) {
          this.values[k] = (this.values[k] ?? 0) + v;
          return;
        }
      }
      this.indices.push(c);
      this.values.push(v);
    });
    // Drop entries that are (or merged to) zero: HiGHS would discard them anyway.
    let w = first;
    for (let k = first; k < this.indices.length; k++) {
      if (this.values[k] !== 0) {
        this.indices[w] = this.indices[k]!;
        this.values[w] = this.values[k]!;
        w += 1;
      }
    }
    this.indices.length = w;
    this.values.length = w;
    this.starts.push(this.indices.length);
    this.rLower.push(lower);
    this.rUpper.push(upper);
    return this.rLower.length - 1;
  }

  build(): SparseLp {
    return {
      numCols: this.cost.length,
      numRows: this.rLower.length,
      offset: this.offset,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.lower),
      colUpper: Float64Array.from(this.upper),
      integrality: Int32Array.from(this.integer),
      rowLower: Float64Array.from(this.rLower),
      rowUpper: Float64Array.from(this.rUpper),
      rowStarts: Int32Array.from(this.starts),
      rowIndices: Int32Array.from(this.indices),
      rowValues: Float64Array.from(this.values),
      colNames: this.names,
    };
  }
}
