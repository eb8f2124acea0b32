/**
 * The outbox's tables in the add-on's aggregator.sqlite (other parts keep their own tables in
 * the same file). One row per pending batch, one counter row per stream. A batch's sequence
 * number is taken from the counter row in the same savepoint that stores the batch, so a crash
 * can neither reuse a number nor skip one.
 */
import type { DatabaseSync, StatementSync } from '@sps/store';

export interface PendingBatch {
  readonly seq: number;
  readonly batchId: string;
  readonly level: string;
  readonly rank: number;
  readonly createdAtMs: number;
  /** The records as JSON text (an array). */
  readonly records: string;
  readonly bytes: number;
}

export interface StreamCounters {
  readonly nextSeq: number;
  readonly dropped: number;
  readonly withdrawn: number;
  readonly sent: number;
  readonly lastSentAtMs: number | null;
}

export interface EnqueueOutcome {
  readonly seq: number;
  readonly batchId: string;
  /** Oldest pending batches dropped to stay within the size bound (may include this one). */
  readonly droppedSeqs: readonly number[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox_batches (
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  batch_id TEXT NOT NULL UNIQUE,
  level TEXT NOT NULL,
  rank INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  records TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (stream, seq)
);
CREATE TABLE IF NOT EXISTS outbox_streams (
  stream TEXT PRIMARY KEY,
  next_seq INTEGER NOT NULL,
  dropped INTEGER NOT NULL DEFAULT 0,
  withdrawn INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  last_sent_at INTEGER
);
`;

interface BatchRow {
  seq: number;
  batch_id: string;
  level: string;
  rank: number;
  created_at: number;
  records: string;
  bytes: number;
}

function toBatch(row: BatchRow): PendingBatch {
  return {
    seq: Number(row.seq),
    batchId: row.batch_id,
    level: row.level,
    rank: Number(row.rank),
    createdAtMs: Number(row.created_at),
    records: row.records,
    bytes: Number(row.bytes),
  };
}

export class OutboxStore {
  private readonly q: Record<
    | 'ensureStream'
    | 'counters'
    | 'bumpSeq'
    | 'insert'
    | 'oldest'
    | 'oldestExcept'
    | 'remove'
    | 'totals'
    | 'addDropped'
    | 'addWithdrawn'
    | 'markSent'
    | 'aboveRank',
    StatementSync
  >;
  private savepoints = 0;

  constructor(
    private readonly db: DatabaseSync,
    private readonly stream: string,
  ) {
    db.exec(SCHEMA);
    this.q = {
      ensureStream: db.prepare('INSERT OR IGNORE INTO outbox_streams (stream, next_seq) VALUES (?, 1)'),
      counters: db.prepare(
        'SELECT next_seq, dropped, withdrawn, sent, last_sent_at FROM outbox_streams WHERE stream = ?',
      ),
      bumpSeq: db.prepare('UPDATE outbox_streams SET next_seq = next_seq + 1 WHERE stream = ?'),
      insert: db.prepare(
        `INSERT INTO outbox_batches (stream, seq, batch_id, level, rank, created_at, records, bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      oldest: db.prepare(
        'SELECT seq, batch_id, level, rank, created_at, records, bytes FROM outbox_batches WHERE stream = ? ORDER BY seq LIMIT 1',
      ),
      oldestExcept: db.prepare(
        'SELECT seq, bytes FROM outbox_batches WHERE stream = ? AND seq <> ? ORDER BY seq LIMIT 1',
      ),
      remove: db.prepare('DELETE FROM outbox_batches WHERE stream = ? AND seq = ?'),
      totals: db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM outbox_batches WHERE stream = ?'),
      addDropped: db.prepare('UPDATE outbox_streams SET dropped = dropped + ? WHERE stream = ?'),
      addWithdrawn: db.prepare('UPDATE outbox_streams SET withdrawn = withdrawn + ? WHERE stream = ?'),
      markSent: db.prepare('UPDATE outbox_streams SET sent = sent + 1, last_sent_at = ? WHERE stream = ?'),
      aboveRank: db.prepare('SELECT seq FROM outbox_batches WHERE stream = ? AND rank > ? ORDER BY seq'),
    };
    this.q.ensureStream.run(stream);
  }

  /**
   * Stores a batch under the next sequence number and drops the oldest pending batches (never
   * `protectedSeq`, the one on the wire) while the pending bytes exceed `maxBytes`.
   */
  enqueue(
    batch: { batchId: string; level: string; rank: number; createdAtMs: number; records: string },
    maxBytes: number,
    protectedSeq: number | null,
  ): EnqueueOutcome {
    return this.atomically(() => {
      const seq = this.counters().nextSeq;
      this.q.bumpSeq.run(this.stream);
      const bytes = Buffer.byteLength(batch.records, 'utf8');
      this.q.insert.run(
        this.stream,
        seq,
        batch.batchId,
        batch.level,
        batch.rank,
        batch.createdAtMs,
        batch.records,
        bytes,
      );
      const droppedSeqs: number[] = [];
      let total = this.totals().bytes;
      while (total > maxBytes) {
        const victim = this.q.oldestExcept.get(this.stream, protectedSeq ?? -1) as
          { seq: number; bytes: number } | undefined;
        if (!victim) break;
        this.q.remove.run(this.stream, victim.seq);
        droppedSeqs.push(Number(victim.seq));
        total -= Number(victim.bytes);
      }
      if (droppedSeqs.length > 0) this.q.addDropped.run(droppedSeqs.length, this.stream);
      return { seq, batchId: batch.batchId, droppedSeqs };
    });
  }

  oldest(): PendingBatch | null {
    const row = this.q.oldest.get(this.stream) as BatchRow | undefined;
    return row ? toBatch(row) : null;
  }

  /** The receiver has it: the batch leaves. False when it was no longer pending. */
  acknowledge(seq: number, nowMs: number): boolean {
    return this.atomically(() => {
      const removed = Number(this.q.remove.run(this.stream, seq).changes) > 0;
      if (removed) this.q.markSent.run(nowMs, this.stream);
      return removed;
    });
  }

  /** Removes pending batches whose rank is above `rank` (the user lowered the level); counted. */
  withdrawAbove(rank: number): number[] {
    return this.atomically(() => {
      const rows = this.q.aboveRank.all(this.stream, rank) as { seq: number }[];
      for (const row of rows) this.q.remove.run(this.stream, row.seq);
      if (rows.length > 0) this.q.addWithdrawn.run(rows.length, this.stream);
      return rows.map((r) => Number(r.seq));
    });
  }

  totals(): { pending: number; bytes: number } {
    const row = this.q.totals.get(this.stream) as { n: number; bytes: number };
    return { pending: Number(row.n), bytes: Number(row.bytes) };
  }

  counters(): StreamCounters {
    const row = this.q.counters.get(this.stream) as {
      next_seq: number;
      dropped: number;
      withdrawn: number;
      sent: number;
      last_sent_at: number | null;
    };
    return {
      nextSeq: Number(row.next_seq),
      dropped: Number(row.dropped),
      withdrawn: Number(row.withdrawn),
      sent: Number(row.sent),
      lastSentAtMs: row.last_sent_at === null ? null : Number(row.last_sent_at),
    };
  }

  /**
   * A savepoint rather than BEGIN: it nests inside a transaction another part of the add-on may
   * have open on the same connection, and commits on its own otherwise.
   */
  private atomically<T>(work: () => T): T {
    const name = `outbox_${this.savepoints++}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const result = work();
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      this.db.exec(`ROLLBACK TO ${name}`);
      this.db.exec(`RELEASE ${name}`);
      throw error;
    }
  }
}
