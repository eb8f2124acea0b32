import type { DatabaseSync, StatementSync } from '@sps/store';
import type { DrChangeKind, DrEvent, DrEventType, DrProgram } from '../contracts.js';

/**
 * The book's two tables in the aggregator's SQLite file (shared with the sharing outbox, so only
 * `IF NOT EXISTS` and only our own tables). `dr_event_changes` records each change once it was
 * emitted: after a restart the book knows an event already `started` and does not say so twice.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS dr_events (
  id TEXT PRIMARY KEY,
  program TEXT NOT NULL,
  type TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  goal_kw REAL,
  goal_pct REAL,
  status TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  sent_at TEXT,
  opted_out INTEGER NOT NULL DEFAULT 0,
  simulated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dr_events_end ON dr_events (end_ms);
CREATE TABLE IF NOT EXISTS dr_event_changes (
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (event_id, kind)
);
`;

interface EventRow {
  id: string;
  program: string;
  type: string;
  start_ms: number;
  end_ms: number;
  goal_kw: number | null;
  goal_pct: number | null;
  status: string;
  received_at_ms: number;
  sent_at: string | null;
  opted_out: number;
  simulated: number;
}

function fromRow(r: EventRow): DrEvent {
  return {
    id: r.id,
    program: r.program as DrProgram,
    type: r.type as DrEventType,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    goalKw: r.goal_kw,
    goalPct: r.goal_pct,
    status: r.status === 'cancelled' ? 'cancelled' : 'active',
    receivedAtMs: Number(r.received_at_ms),
    sentAt: r.sent_at,
    optedOut: Number(r.opted_out) === 1,
    simulated: Number(r.simulated) === 1,
  };
}

export class DrEventTable {
  private readonly upsertEvent: StatementSync;
  private readonly insertChange: StatementSync;
  private readonly selectChanges: StatementSync;
  private readonly pruneEvents: StatementSync;
  private readonly pruneChanges: StatementSync;

  constructor(private readonly db: DatabaseSync) {
    db.exec(SCHEMA);
    this.upsertEvent = db.prepare(
      `INSERT INTO dr_events (id, program, type, start_ms, end_ms, goal_kw, goal_pct, status, received_at_ms, sent_at, opted_out, simulated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET program = excluded.program, type = excluded.type, start_ms = excluded.start_ms,
         end_ms = excluded.end_ms, goal_kw = excluded.goal_kw, goal_pct = excluded.goal_pct, status = excluded.status,
         received_at_ms = excluded.received_at_ms, sent_at = excluded.sent_at, opted_out = excluded.opted_out,
         simulated = excluded.simulated`,
    );
    this.insertChange = db.prepare('INSERT OR IGNORE INTO dr_event_changes (event_id, kind, at_ms) VALUES (?, ?, ?)');
    this.selectChanges = db.prepare('SELECT event_id, kind FROM dr_event_changes');
    this.pruneEvents = db.prepare('DELETE FROM dr_events WHERE end_ms < ?');
    this.pruneChanges = db.prepare('DELETE FROM dr_event_changes WHERE event_id NOT IN (SELECT id FROM dr_events)');
  }

  loadEvents(): DrEvent[] {
    return (this.db.prepare('SELECT * FROM dr_events ORDER BY start_ms').all() as unknown as EventRow[]).map(fromRow);
  }

  /** Every (event, change) already emitted, as `id\u0000kind` keys. */
  loadEmitted(): Set<string> {
    const rows = this.selectChanges.all() as unknown as { event_id: string; kind: string }[];
    return new Set(rows.map((r) => emittedKey(r.event_id, r.kind as DrChangeKind)));
  }

  save(e: DrEvent): void {
    this.upsertEvent.run(
      e.id,
      e.program,
      e.type,
      e.startMs,
      e.endMs,
      e.goalKw,
      e.goalPct,
      e.status,
      e.receivedAtMs,
      e.sentAt,
      e.optedOut ? 1 : 0,
      e.simulated ? 1 : 0,
    );
  }

  /** True when this change was not recorded before (so it is to be emitted now). */
  recordChange(eventId: string, kind: DrChangeKind, atMs: number): boolean {
    return Number(this.insertChange.run(eventId, kind, atMs).changes) === 1;
  }

  /** Saves the event and records the change together: both or neither. */
  saveWithChange(e: DrEvent, kind: DrChangeKind | null, atMs: number): boolean {
    this.db.exec('SAVEPOINT dr_event_book');
    try {
      this.save(e);
      const fresh = kind === null ? false : this.recordChange(e.id, kind, atMs);
      this.db.exec('RELEASE dr_event_book');
      return fresh;
    } catch (err) {
      this.db.exec('ROLLBACK TO dr_event_book');
      this.db.exec('RELEASE dr_event_book');
      throw err;
    }
  }

  /** Forgets events that ended before `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    const n = Number(this.pruneEvents.run(beforeMs).changes);
    if (n > 0) this.pruneChanges.run();
    return n;
  }
}

export function emittedKey(eventId: string, kind: DrChangeKind): string {
  return `${eventId}\u0000${kind}`;
}
