import { ManualClock } from '@sps/core';
import fc from 'fast-check';
import type { DatabaseSync } from '@sps/store';
import {
  AggregatorLink,
  DrRequestError,
  DrSignals,
  MAX_OPEN_EVENTS,
  RECONNECT_FIRST_MS,
  RECONNECT_MAX_MS,
  openAggregatorDatabase,
  reconnectDelayMs,
  startMosquitto,
  type DrChange,
  type DrState,
} from '../src';
import { MemoryLogger, eventually, tempDir } from './signals-helpers';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-07-01T12:00:00Z');

describe('DrSignals without a broker (ManualClock)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: DatabaseSync;
  let clock: ManualClock;
  let logger: MemoryLogger;
  let signals: DrSignals;
  let changes: DrChange[];
  let states: DrState[];

  beforeEach(() => {
    tmp = tempDir('sps-signals-');
    db = openAggregatorDatabase(tmp.file('aggregator.sqlite'));
    clock = new ManualClock(T0);
    logger = new MemoryLogger();
    signals = new DrSignals({
      db,
      clock,
      logger,
      network: 'Crown Heights',
      timeZone: 'America/New_York',
      postEventMinutes: 30,
    });
    changes = [];
    states = [];
    signals.on('change', (c) => changes.push(c));
    signals.on('state', (s) => states.push(s));
    signals.start();
  });
  afterEach(async () => {
    await signals.stop();
    db.close();
    tmp.remove();
  });

  it('says it has no broker, and publish rejects', async () => {
    expect(signals.connection()).toEqual({ connected: false, lastError: 'no broker configured', since: null });
    await expect(signals.publish('OpenDemandResponse/Participant/me', 'x')).rejects.toThrow(/no broker configured/);
    expect(signals.eventTopic).toBe('OpenDemandResponse/Event/CrownHeights');
  });

  it('simulate: a flagged event that runs through the calendar like a real one (post-event 30 min)', async () => {
    const e = signals.simulate({
      startMs: T0 + HOUR,
      durationMinutes: 60,
      program: 'DLRP',
      type: 'immediate',
      goalKw: 2,
    });
    expect(e).toMatchObject({ simulated: true, goalKw: 2, optedOut: false, id: 'simulated-DLRP-2026-07-01T13:00:00Z' });
    expect(signals.state().mode).toBe('upcoming');
    await clock.advance(HOUR);
    expect(signals.state().mode).toBe('ongoing');
    await clock.advance(HOUR);
    expect(signals.state()).toMatchObject({ mode: 'post_event', postEventUntilMs: T0 + 2 * HOUR + 30 * 60_000 });
    await clock.advance(30 * 60_000);
    expect(signals.state().mode).toBe('normal');
    expect(changes.map((c) => c.kind)).toEqual(['received', 'started', 'ended']);
    expect(states.map((s) => s.mode)).toEqual(['upcoming', 'ongoing', 'post_event', 'normal']);
  });

  it.each([
    [{ startMs: T0 + HOUR, durationMinutes: 0, program: 'DLRP', type: 'immediate' }, /duration_minutes/],
    [{ startMs: T0 + HOUR, durationMinutes: 60, program: 'XX', type: 'immediate' }, /program/],
    [{ startMs: T0 + HOUR, durationMinutes: 60, program: 'DLRP', type: 'later' }, /type/],
    [{ startMs: T0 - 3 * HOUR, durationMinutes: 60, program: 'DLRP', type: 'immediate' }, /already be over/],
    [{ startMs: Number.NaN, durationMinutes: 60, program: 'DLRP', type: 'immediate' }, /start/],
    [{ startMs: T0, durationMinutes: 60, program: 'DLRP', type: 'immediate', goalKw: -1 }, /goal_kw/],
  ])('simulate refuses %j with a DrRequestError', (input, expected) => {
    expect(() => signals.simulate(input as never)).toThrow(DrRequestError);
    expect(() => signals.simulate(input as never)).toThrow(expected);
  });

  it('opt-out through DrSignals: normal, the event shown as opted out, one opted_out change', () => {
    signals.simulate({ startMs: T0 + HOUR, durationMinutes: 60, program: 'CSRP', type: 'contingency' });
    const out = signals.optOut();
    expect(out.optedOut).toBe(true);
    expect(signals.state()).toMatchObject({ mode: 'normal', event: { id: out.id, optedOut: true } });
    expect(changes.map((c) => c.kind)).toEqual(['received', 'opted_out']);
    expect(signals.events()).toHaveLength(1);
  });

  it('counts and logs payloads: received, duplicates, rejected with the last reason; never the payload', () => {
    const topic = signals.eventTopic;
    signals.handlePayload(topic, 'CSRP#contingency#2026-07-01 16:00:00#a');
    signals.handlePayload(topic, 'CSRP#contingency#2026-07-01 16:00:00#b');
    signals.handlePayload(topic, 'CSRP#contingency#secret-looking-text#x');
    expect(signals.stats()).toEqual({
      received: 2,
      duplicates: 1,
      rejected: 1,
      lastRejectReason: 'start: expected a local time YYYY-MM-DD HH:MM:SS',
    });
    const rejected = logger.matching(/DR message rejected/);
    expect(rejected).toHaveLength(1);
    expect(JSON.stringify(logger.lines)).not.toContain('secret-looking-text');
  });

  it('a flood of new event ids is bounded: past MAX_OPEN_EVENTS new ones are refused, known ones still update', () => {
    const topic = signals.eventTopic;
    const json = (i: number, goal = 1): string =>
      JSON.stringify({
        id: `e${i}`,
        program: 'CSRP',
        type: 'immediate',
        start: new Date(T0 + HOUR + i * 60_000).toISOString(),
        goal_kw: goal,
      });
    for (let i = 0; i < MAX_OPEN_EVENTS + 5; i++) signals.handlePayload(topic, json(i));
    expect(signals.events()).toHaveLength(MAX_OPEN_EVENTS);
    expect(signals.stats()).toMatchObject({ received: MAX_OPEN_EVENTS, rejected: 5 });
    expect(signals.stats().lastRejectReason).toMatch(/too many events ahead/);
    expect(signals.handlePayload(topic, json(0, 2))?.outcome).toBe('updated');
  });

  it('logs the DST note when a start falls in the spring-forward gap', () => {
    clock.set(Date.parse('2026-03-07T12:00:00Z'));
    signals.handlePayload(signals.eventTopic, 'DLRP#contingency#2026-03-08 02:30:00#x');
    expect(logger.matching(/does not exist in America\/New_York/)).toHaveLength(1);
  });

  it('a listener that throws is logged and stops nothing', () => {
    signals.on('change', () => {
      throw new Error('listener bug');
    });
    signals.simulate({ startMs: T0 + HOUR, durationMinutes: 60, program: 'CSRP', type: 'contingency' });
    expect(changes).toHaveLength(1);
    expect(logger.matching(/DR listener failed/)).toHaveLength(1);
  });

  it('refuses a bad time zone or network at construction, naming it', () => {
    expect(() => new DrSignals({ db, clock, logger, network: 'x', timeZone: 'Moon/Base' })).toThrow(
      /time zone: "Moon\/Base"/,
    );
    expect(() => new DrSignals({ db, clock, logger, network: 'a/#', timeZone: 'UTC' })).toThrow(/network name/);
  });
});

describe('reconnect back-off', () => {
  it('1 s doubling to 60 s, ±20 % jitter, never above 60 s', () => {
    expect(reconnectDelayMs(0, () => 0.5)).toBe(RECONNECT_FIRST_MS);
    expect(reconnectDelayMs(1, () => 0.5)).toBe(2_000);
    expect(reconnectDelayMs(5, () => 0.5)).toBe(32_000);
    expect(reconnectDelayMs(6, () => 0.5)).toBe(RECONNECT_MAX_MS);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const d = reconnectDelayMs(attempt, () => r);
          const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 16));
          return d >= base * 0.8 - 1 && d <= Math.min(RECONNECT_MAX_MS, base * 1.2 + 1);
        },
      ),
    );
  });

  it('retries on the injected clock, backing off; stop() ends the retries at once', async () => {
    const broker = await startMosquitto();
    const url = broker.url;
    await broker.stop();
    const clock = new ManualClock(T0);
    const logger = new MemoryLogger();
    const link = new AggregatorLink({
      broker: { url, clientId: 'backoff' },
      subscriptions: ['OpenDemandResponse/Event/x'],
      clock,
      logger,
      onMessage: () => undefined,
    });
    link.start();
    const attempts = (): number => logger.matching(/aggregator broker error/).length;
    // The retry is armed on 'close', just after the error is logged: wait for the timer, not a time.
    const failed = async (n: number): Promise<void> => {
      await eventually(`failure ${n}`, () => attempts() === n && clock.pendingTimers === 1);
    };
    await failed(1);
    expect(link.connection().lastError).toMatch(/connection refused/);
    await clock.advance(1_200); // the first retry is due within 0.8–1.2 s
    await failed(2);
    await clock.advance(1_500); // the second waits 1.6–2.4 s
    await clock.advance(1_000);
    await failed(3);
    await link.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10 * 60_000);
    expect(attempts()).toBe(3);
  });
});
