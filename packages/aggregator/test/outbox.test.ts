import { ManualClock } from '@sps/core';
import { HttpUplink, Outbox } from '@sps/aggregator';
import { TempDb, memoryLogger } from './helpers/db';
import { until } from './helpers/poll';
import { startReceiver, type Receiver } from './helpers/receiver';

const MIN = 60_000;

describe('Outbox over a real HTTP receiver', () => {
  let tmp: TempDb;
  let receiver: Receiver;
  const open: Array<{ stop(): Promise<void> }> = [];
  const uplinks: HttpUplink[] = [];

  beforeEach(async () => {
    tmp = new TempDb();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.stop();
    for (const u of uplinks.splice(0)) await u.close();
    await receiver.close();
    tmp.dispose();
  });

  function makeOutbox(
    clock: ManualClock,
    extra: { maxBytes?: number; logger?: ReturnType<typeof memoryLogger> } = {},
  ): Outbox {
    const uplink = new HttpUplink({ url: receiver.url, token: 'secret-token', timeoutMs: 5_000 });
    uplinks.push(uplink);
    const outbox = new Outbox({ db: tmp.db, uplink, clock, site: 'flat-12', random: () => 0.5, ...extra });
    open.push(outbox);
    return outbox;
  }

  /** Waits until the outbox has either emptied or is waiting out a back-off. */
  async function settled(outbox: Outbox): Promise<void> {
    await until(() => {
      const s = outbox.status();
      return s.pending === 0 || s.nextAttemptAt !== null;
    }, 'the outbox to settle');
  }

  it('rides out a day of 503s and a restart: every batch arrives exactly once, in order, seqs contiguous', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    receiver.answer = () => ({ status: 503 });
    let outbox = makeOutbox(clock);
    outbox.start();
    let made = 0;
    // A simulated day: one batch every 15 minutes, the receiver down throughout; the add-on
    // restarts (the SQLite file reopened) half-way through.
    for (let minute = 0; minute < 24 * 60; minute += 1) {
      if (minute % 15 === 0) {
        outbox.enqueue([{ kind: 'test', n: made }], { level: 'events', rank: 1 });
        made += 1;
      }
      if (minute === 12 * 60) {
        await outbox.stop();
        tmp.reopen();
        outbox = makeOutbox(clock);
        outbox.start();
      }
      await settled(outbox);
      await clock.advance(MIN);
    }
    await settled(outbox);
    expect(receiver.accepted()).toHaveLength(0);
    expect(outbox.status()).toMatchObject({ pending: made, dropped: 0, sent: 0, nextSeq: made + 1 });
    expect(outbox.status().lastError).toMatch(/HTTP 503/);

    receiver.answer = () => ({ status: 204 });
    await clock.advance(10 * MIN); // the longest back-off
    await until(() => outbox.status().pending === 0, 'the backlog to drain');

    const accepted = receiver.accepted();
    expect(accepted.map((b) => b.seq)).toEqual(Array.from({ length: made }, (_, i) => i + 1));
    expect(new Set(accepted.map((b) => b.batch_id)).size).toBe(made);
    expect(accepted.map((b) => b.records[0]?.n)).toEqual(Array.from({ length: made }, (_, i) => i));
    expect(accepted.every((b) => b.site === 'flat-12' && b.level === 'events')).toBe(true);
    expect(outbox.status()).toMatchObject({ pending: 0, sent: made, dropped: 0, lastError: null });

    // The sequence goes on after a restart, no reset.
    await outbox.stop();
    tmp.reopen();
    outbox = makeOutbox(clock);
    outbox.start();
    expect(outbox.enqueue([{ kind: 'test' }], { level: 'events' }).seq).toBe(made + 1);
    await until(() => receiver.accepted().length === made + 1, 'the batch after the restart');
  });

  it('backs off 1 s doubling to 10 min between failed attempts', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    receiver.answer = () => ({ status: 500 });
    const outbox = makeOutbox(clock);
    outbox.start();
    outbox.enqueue([{ kind: 'test' }], { level: 'events' });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const before = receiver.requests.length;
      await until(
        () => receiver.requests.length === before + 1 && outbox.status().nextAttemptAt !== null,
        'an attempt',
      );
      const next = Date.parse(outbox.status().nextAttemptAt ?? '');
      waits.push(next - clock.now());
      await clock.advance(next - clock.now());
    }
    // random() = 0.5: three quarters of each doubled step.
    expect(waits.slice(0, 5)).toEqual([750, 1500, 3000, 6000, 12000]);
    expect(waits.slice(-2)).toEqual([450_000, 450_000]);
  });

  it('drops the oldest pending batches past the size bound, counts them, warns, and the receiver sees the gap', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    const logger = memoryLogger();
    receiver.answer = () => ({ status: 503 });
    const record = { kind: 'test', pad: 'x'.repeat(900) };
    const perBatch = JSON.stringify([record]).length;
    const outbox = makeOutbox(clock, { maxBytes: perBatch * 5, logger });
    outbox.start();
    for (let i = 0; i < 8; i += 1) {
      outbox.enqueue([record], { level: 'events' });
      await settled(outbox);
    }
    // Five fit: seqs 1, 2 and 3 went (the clock stands still, so nothing is on the wire by then).
    const status = outbox.status();
    expect(status.pending).toBe(5);
    expect(status.dropped).toBe(3);
    expect(status.pendingBytes).toBeLessThanOrEqual(status.maxBytes);
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /outbox full/.test(l.msg));
    expect(warnings).toHaveLength(3);

    // Dropped is persisted: a restart still reports it.
    await outbox.stop();
    tmp.reopen();
    const reopened = makeOutbox(clock, { maxBytes: perBatch * 5 });
    expect(reopened.status()).toMatchObject({ dropped: 3, pending: 5, nextSeq: 9 });

    receiver.answer = () => ({ status: 200 });
    reopened.start();
    await until(() => reopened.status().pending === 0, 'the backlog to drain');
    expect(receiver.accepted().map((b) => b.seq)).toEqual([4, 5, 6, 7, 8]);
  });

  it('honours Retry-After on a 429', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    let busy = true;
    receiver.answer = () => (busy ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 });
    const outbox = makeOutbox(clock);
    outbox.start();
    outbox.enqueue([{ kind: 'test' }], { level: 'events' });
    await settled(outbox);
    expect(Date.parse(outbox.status().nextAttemptAt ?? '') - clock.now()).toBe(120_000);
    busy = false;
    await clock.advance(119_000);
    expect(receiver.requests).toHaveLength(1);
    await clock.advance(1_000);
    await until(() => outbox.status().pending === 0, 'the retry after 120 s');
    expect(receiver.requests).toHaveLength(2);
  });

  it('keeps a refused batch (4xx), retries it every 10 minutes and reports the error', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    const logger = memoryLogger();
    receiver.answer = () => ({ status: 401, body: 'bad token' });
    const outbox = makeOutbox(clock, { logger });
    outbox.start();
    outbox.enqueue([{ kind: 'test' }], { level: 'events' });
    await settled(outbox);
    expect(outbox.status()).toMatchObject({ pending: 1, refusedStatus: 401 });
    expect(outbox.status().lastError).toMatch(/HTTP 401 \(bad token\)/);
    expect(Date.parse(outbox.status().nextAttemptAt ?? '') - clock.now()).toBe(10 * MIN);
    expect(logger.lines.some((l) => l.level === 'warn' && /refused/.test(l.msg))).toBe(true);
    receiver.answer = () => ({ status: 200 });
    await clock.advance(10 * MIN);
    await until(() => outbox.status().pending === 0, 'the batch after the fix');
    expect(outbox.status()).toMatchObject({ refusedStatus: null, lastError: null, sent: 1 });
  });

  it('a hung receiver does not block stop(); the batch stays pending for the next start', async () => {
    const clock = new ManualClock('2026-03-02T00:00:00Z');
    receiver.answer = () => ({ status: 200, hang: true });
    const outbox = makeOutbox(clock);
    outbox.start();
    outbox.enqueue([{ kind: 'test' }], { level: 'events' });
    await until(() => receiver.requests.length === 1, 'the request to reach the receiver');
    await outbox.stop();
    tmp.reopen();
    expect(makeOutbox(clock).status()).toMatchObject({ pending: 1, sent: 0 });
  });
});
