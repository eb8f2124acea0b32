import { ManualClock } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import {
  DrEventBook,
  DrRequestError,
  openAggregatorDatabase,
  parseEventPayload,
  type DrChange,
  type DrState,
  type ParsedDrEvent,
} from '../src';
import { tempDir } from './signals-helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-07-01T12:00:00Z');

function event(overrides: Partial<ParsedDrEvent> = {}): ParsedDrEvent {
  const startMs = overrides.startMs ?? T0 + 2 * HOUR;
  return {
    id: `CSRP-${new Date(startMs).toISOString()}`,
    program: 'CSRP',
    type: 'contingency',
    startMs,
    endMs: startMs + 4 * HOUR,
    goalKw: null,
    goalPct: null,
    status: 'active',
    receivedAtMs: T0,
    sentAt: 'x',
    ...overrides,
  };
}

describe('DrEventBook: the stored calendar with a ManualClock', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: DatabaseSync;
  let clock: ManualClock;
  let book: DrEventBook;
  let changes: DrChange[];
  let states: DrState[];

  const open = (): DrEventBook => {
    const b = new DrEventBook({ db, clock });
    b.on('change', (c) => changes.push(c));
    b.on('state', (s) => states.push(s));
    b.start();
    return b;
  };
  const kinds = (): string[] => changes.map((c) => `${c.kind}:${c.event.id}`);

  beforeEach(() => {
    tmp = tempDir('sps-book-');
    db = openAggregatorDatabase(tmp.file('aggregator.sqlite'));
    clock = new ManualClock(T0);
    changes = [];
    states = [];
    book = open();
  });
  afterEach(() => {
    book.stop();
    db.close();
    tmp.remove();
  });

  it('walks normal → upcoming → ongoing → post_event → normal, each change once', async () => {
    expect(book.state().mode).toBe('normal');
    const e = event();
    expect(book.ingest(e).outcome).toBe('new');
    expect(book.state()).toMatchObject({ mode: 'upcoming', event: { id: e.id }, next: { id: e.id } });
    await clock.advance(2 * HOUR - 1);
    expect(book.state().mode).toBe('upcoming');
    await clock.advance(1);
    expect(book.state()).toMatchObject({ mode: 'ongoing', event: { id: e.id }, next: null });
    await clock.advance(4 * HOUR);
    expect(book.state()).toMatchObject({ mode: 'post_event', postEventUntilMs: e.endMs + HOUR });
    await clock.advance(HOUR);
    expect(book.state()).toEqual({ mode: 'normal', event: null, next: null, postEventUntilMs: null });
    await clock.advance(48 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`, `ended:${e.id}`]);
    expect(states.map((s) => s.mode)).toEqual(['upcoming', 'ongoing', 'post_event', 'normal']);
    expect(changes[1]?.atMs).toBe(e.startMs);
    expect(changes[2]?.atMs).toBe(e.endMs);
  });

  it('a repeated message is one event; a changed one updates it without a second received', async () => {
    const e = event();
    book.ingest(e);
    expect(book.ingest({ ...e, receivedAtMs: T0 + MIN, sentAt: 'again' }).outcome).toBe('duplicate');
    const moved = book.ingest({ ...e, endMs: e.endMs + HOUR, goalKw: 2 });
    expect(moved.outcome).toBe('updated');
    expect(book.get(e.id)).toMatchObject({ endMs: e.endMs + HOUR, goalKw: 2, receivedAtMs: T0 });
    expect(book.events()).toHaveLength(1);
    await clock.advance(8 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`, `ended:${e.id}`]);
    expect(changes[2]?.atMs).toBe(e.endMs + HOUR);
  });

  it('a cancellation ends the event (normal, no ended), and is final', async () => {
    const e = event();
    book.ingest(e);
    await clock.advance(2 * HOUR + 30 * MIN);
    expect(book.state().mode).toBe('ongoing');
    expect(book.ingest({ ...e, status: 'cancelled' }).outcome).toBe('cancelled');
    expect(book.state()).toMatchObject({ mode: 'normal', event: null });
    expect(book.ingest({ ...e, status: 'cancelled' }).outcome).toBe('ignored');
    expect(book.ingest(e).outcome).toBe('ignored');
    await clock.advance(10 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`, `cancelled:${e.id}`]);
  });

  it('opting out of the next event keeps normal, shows the event, and persists', async () => {
    const e = event();
    book.ingest(e);
    const out = book.optOut();
    expect(out).toMatchObject({ id: e.id, optedOut: true });
    expect(book.state()).toMatchObject({ mode: 'normal', event: { id: e.id, optedOut: true }, next: null });
    expect(book.optOut(e.id)).toMatchObject({ optedOut: true }); // again: no second change
    await clock.advance(3 * HOUR);
    expect(book.state().mode).toBe('normal');
    book.stop();
    book = open();
    expect(book.get(e.id)?.optedOut).toBe(true);
    expect(book.state().mode).toBe('normal');
    await clock.advance(10 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `opted_out:${e.id}`]);
  });

  it('opt-out with no event, an unknown one, or an ended one is a DrRequestError', async () => {
    expect(() => book.optOut()).toThrow(DrRequestError);
    expect(() => book.optOut('nope')).toThrow(/event nope: not found/);
    const e = event();
    book.ingest(e);
    await clock.advance(7 * HOUR);
    expect(() => book.optOut(e.id)).toThrow(/has ended/);
  });

  it('restart in the middle of an event: ongoing again, no second started; ended once after', async () => {
    const e = event();
    book.ingest(e);
    await clock.advance(3 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`]);
    book.stop();
    db.close();
    // The process is gone; the same file is opened again an hour later.
    await clock.advance(HOUR);
    db = openAggregatorDatabase(tmp.file('aggregator.sqlite'));
    book = open();
    expect(book.state()).toMatchObject({ mode: 'ongoing', event: { id: e.id } });
    await clock.advance(4 * HOUR);
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`, `ended:${e.id}`]);
  });

  it('an event that was received, then ended while the add-on was off, says ended at the next start', async () => {
    const e = event({ startMs: T0 + HOUR });
    book.ingest(e);
    await clock.advance(2 * HOUR);
    book.stop();
    clock.set(T0 + 10 * HOUR);
    book = open();
    expect(kinds()).toEqual([`received:${e.id}`, `started:${e.id}`, `ended:${e.id}`]);
    expect(book.state().mode).toBe('normal');
  });

  it('overlapping events: the earliest-starting governs; the later one takes over when it ends', async () => {
    const a = event({ id: 'a', startMs: T0 + HOUR, endMs: T0 + 3 * HOUR });
    const b = event({ id: 'b', startMs: T0 + 2 * HOUR, endMs: T0 + 5 * HOUR });
    book.ingest(b);
    book.ingest(a);
    expect(book.state()).toMatchObject({ mode: 'upcoming', event: { id: 'a' }, next: { id: 'a' } });
    await clock.advance(2 * HOUR + MIN);
    expect(book.state()).toMatchObject({ mode: 'ongoing', event: { id: 'a' } });
    await clock.advance(HOUR);
    expect(book.state()).toMatchObject({ mode: 'ongoing', event: { id: 'b' } });
    await clock.advance(2 * HOUR);
    expect(book.state()).toMatchObject({ mode: 'post_event', event: { id: 'b' } });
    expect(kinds()).toEqual(['received:b', 'received:a', 'started:a', 'started:b', 'ended:a', 'ended:b']);
  });

  it('an event received after it started starts at once; one received after it ended never starts', () => {
    const running = event({ id: 'now', startMs: T0 - HOUR, endMs: T0 + HOUR });
    const past = event({ id: 'past', startMs: T0 - 5 * HOUR, endMs: T0 - 2 * HOUR });
    book.ingest(past);
    book.ingest(running);
    expect(kinds()).toEqual(['received:past', 'received:now', 'started:now']);
    expect(book.state()).toMatchObject({ mode: 'ongoing', event: { id: 'now' } });
  });

  it('keeps 90 days of history and lists the last 7 days', async () => {
    const old = event({ id: 'old', startMs: T0 + HOUR });
    book.ingest(old);
    await clock.advance(8 * 24 * HOUR);
    expect(book.events()).toEqual([]);
    expect(book.get('old')).toBeDefined();
    await clock.advance(83 * 24 * HOUR);
    expect(book.get('old')).toBeUndefined();
    const count = db.prepare('SELECT COUNT(*) AS n FROM dr_events').get() as { n: number };
    expect(Number(count.n)).toBe(0);
  });

  it('a parsed community message goes straight in', () => {
    const parsed = parseEventPayload('DLRP#contingency#2026-07-01 10:00:00#x', {
      timeZone: 'America/New_York',
      receivedAtMs: T0,
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(book.ingest(parsed.event).outcome).toBe('new');
    expect(book.state()).toMatchObject({ mode: 'upcoming', event: { id: 'DLRP-2026-07-01T14:00:00Z' } });
  });

  it('shares the file: other tables survive, and our tables are created only if missing', () => {
    db.exec('CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, body TEXT)');
    db.prepare('INSERT INTO outbox (body) VALUES (?)').run('x');
    book.ingest(event());
    book.stop();
    book = open();
    expect(book.events()).toHaveLength(1);
    expect((db.prepare('SELECT body FROM outbox').get() as { body: string }).body).toBe('x');
  });
});
