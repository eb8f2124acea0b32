/**
 * Writes many rows with few statement calls. Each node:sqlite `run()` crosses from JS into
 * C++ and back; binding 64 rows per call instead of one cut the insert cost about 3× when
 * measured (see README), which is most of the cost of a flush.
 */
import type { DatabaseSync, StatementSync } from './sqlite.js';

type SqlValue = number | string | null;

export class MultiRowInsert {
  private readonly many: StatementSync;
  private readonly one: StatementSync;
  private readonly valuesPerStatement: number;

  /**
   * @param head e.g. `INSERT INTO t (a, b)`; `VALUES (?, ?), …` is appended, then `tail`
   *             (an ON CONFLICT clause, say).
   */
  constructor(
    db: DatabaseSync,
    head: string,
    private readonly columns: number,
    tail = '',
    rowsPerStatement = 64,
  ) {
    const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    this.many = db.prepare(`${head} VALUES ${Array.from({ length: rowsPerStatement }, () => row).join(', ')} ${tail}`);
    this.one = db.prepare(`${head} VALUES ${row} ${tail}`);
    this.valuesPerStatement = rowsPerStatement * columns;
  }

  /** `flat` holds the rows one after another, `columns` values each, in the order written. */
  run(flat: readonly SqlValue[]): void {
    if (flat.length % this.columns !== 0)
      throw new Error(`row values (${flat.length}) not a multiple of ${this.columns}`);
    let i = 0;
    for (; i + this.valuesPerStatement <= flat.length; i += this.valuesPerStatement) {
      this.many.run(...flat.slice(i, i + this.valuesPerStatement));
    }
    for (; i < flat.length; i += this.columns) this.one.run(...flat.slice(i, i + this.columns));
  }
}
