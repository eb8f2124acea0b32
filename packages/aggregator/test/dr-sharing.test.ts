import { ManualClock } from '@sps/core';
import {
  AVERAGED_KEYS,
  DrSharing,
  HttpUplink,
  SHARED_KINDS,
  SHARING_LEVELS,
  levelAllows,
  type SharedKind,
  type SharingLevel,
} from '@sps/aggregator';
import { TempDb } from './helpers/db';
import { drChange, drEvent, drPerformance, stationValues } from './helpers/dr-fixtures';
import { until } from './helpers/poll';
import { startReceiver, type Receiver } from './helpers/receiver';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');

describe('DrSharing: exactly what the level allows leaves the house', () => {
  let tmp: TempDb;
  let receiver: Receiver;
  const running: DrSharing[] = [];

  beforeEach(async () => {
    tmp = new TempDb();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
    await receiver.close();
    tmp.dispose();
  });

  function make(
    level: SharingLevel,
    clock: ManualClock,
    published: Array<[string, string]>,
    extra: { uplink?: boolean } = {},
  ): DrSharing {
    const sharing = new DrSharing({
      db: tmp.db,
      clock,
      site: 'flat12',
      level,
      uplink: extra.uplink === false ? null : new HttpUplink({ url: receiver.url, token: 'tok' }),
      publish: async (topic, payload) => void published.push([topic, payload]),
      timeZone: 'America/New_York',
      random: () => 0.5,
    });
    running.push(sharing);
    return sharing;
  }

  /** 61 minutes (one batching period) of a station reporting every 10 s, an event received and its performance. */
  async function runScenario(sharing: DrSharing, clock: ManualClock): Promise<void> {
    sharing.start();
    sharing.noteChange(drChange('received', clock.now()));
    for (let t = 0; t < 61 * MIN; t += 10_000) {
      sharing.noteReadings('station', clock.now(), stationValues(clock.now()));
      sharing.noteReadings('meter', clock.now(), { grid_power: 130, grid_voltage: 239.8 });
      if (t === 20 * MIN) sharing.notePerformance(drPerformance(drEvent().id));
      await clock.advance(10_000);
    }
    await until(() => sharing.status().outbox.pending === 0, 'the outbox to drain');
  }

  function kindsReceived(): Set<string> {
    return new Set(receiver.accepted().flatMap((b) => b.records.map((r) => String(r.kind))));
  }

  it('none: no request, no outbox row, no MQTT message, not even an announce', async () => {
    const clock = new ManualClock(T0);
    const published: Array<[string, string]> = [];
    const sharing = make('none', clock, published);
    await runScenario(sharing, clock);
    expect(receiver.requests).toHaveLength(0);
    expect(published).toHaveLength(0);
    const rows = tmp.db.prepare('SELECT COUNT(*) AS n FROM outbox_batches').get() as { n: number };
    expect(Number(rows.n)).toBe(0);
    expect(sharing.status().outbox).toMatchObject({ pending: 0, nextSeq: 1, sent: 0 });
  });

  it.each(['events', 'aggregate', 'full'] as const)('%s: the kinds of the level and nothing more', async (level) => {
    const clock = new ManualClock(T0);
    const published: Array<[string, string]> = [];
    const sharing = make(level, clock, published);
    await runScenario(sharing, clock);

    const expected = (Object.keys(SHARED_KINDS) as SharedKind[]).filter(
      (k) => levelAllows(level, k) && k !== 'participant_mqtt',
    );
    expect([...kindsReceived()].sort()).toEqual(expected.sort());
    const bodies = receiver.accepted();
    expect(bodies.every((b) => b.level === level && b.site === 'flat12')).toBe(true);
    expect(bodies.map((b) => b.seq)).toEqual(bodies.map((_, i) => i + 1));
    const wire = JSON.stringify(bodies);
    // The user's money stays at home at every level.
    expect(wire).not.toContain('monthly');
    expect(wire).not.toContain('42.5');

    if (level === 'events') {
      for (const key of ['battery_soc', 'grid_power', 'load_power', 'pv_power', 'running_state']) {
        expect(wire).not.toContain(key);
      }
    }
    if (level === 'aggregate') {
      const averages = bodies.flatMap((b) => b.records).filter((r) => r.kind === 'average_15m');
      // Four 15-minute windows in the hour, one record per device each.
      const windows = ['10:00', '10:15', '10:30', '10:45'].map((hm) => `2026-03-02T${hm}:00.000Z`);
      expect(averages.map((r) => `${String(r.device)}@${String(r.start)}`).sort()).toEqual(
        ['meter', 'station'].flatMap((d) => windows.map((w) => `${d}@${w}`)),
      );
      const station = averages.find((r) => r.device === 'station' && r.start === windows[0]);
      // grid_power changes each minute and holds within it: the mean of the window's 15 minutes.
      const expectedGrid =
        Array.from({ length: 15 }, (_, m) => Number(stationValues(T0 + m * MIN).grid_power)).reduce((a, b) => a + b) /
        15;
      expect((station?.values as Record<string, number>).grid_power).toBeCloseTo(expectedGrid, 1);
      for (const avg of averages) {
        expect(Object.keys(avg.values as object).every((k) => (AVERAGED_KEYS as readonly string[]).includes(k))).toBe(
          true,
        );
      }
      for (const key of ['running_state', 'ac_output_power', 'grid_voltage', 'inverter_temperature']) {
        expect(wire).not.toContain(key);
      }
    }
    if (level === 'full') {
      const minutes = bodies.flatMap((b) => b.records).filter((r) => r.kind === 'reading_1m' && r.device === 'station');
      expect(minutes).toHaveLength(60);
      expect(minutes[0]?.values).toEqual(stationValues(T0 + MIN - 10_000));
      expect(published.some(([topic]) => topic === 'OpenDemandResponse/participants')).toBe(true);
      expect(
        published.filter(([topic]) => topic === 'OpenDemandResponse/Participant/flat12').length,
      ).toBeGreaterThanOrEqual(30);
    } else {
      expect(published).toHaveLength(0);
    }
  });

  it('an event received produces a batch within 60 s', async () => {
    const clock = new ManualClock(T0 + 7_000);
    const sharing = make('events', clock, []);
    sharing.start();
    const receivedAt = clock.now();
    sharing.noteChange(drChange('received', receivedAt));
    for (let waited = 0; waited < 60_000 && receiver.accepted().length === 0; waited += 1_000) {
      await clock.advance(1_000);
    }
    await until(() => receiver.accepted().length === 1, 'the event batch');
    const [body] = receiver.accepted();
    expect(Date.parse(body?.sent_at ?? '') - receivedAt).toBeLessThanOrEqual(60_000);
    expect(body?.records).toEqual([
      {
        kind: 'dr_change',
        change: 'received',
        at: new Date(receivedAt).toISOString(),
        event: {
          id: 'CSRP-2026-03-02T18:00:00.000Z',
          program: 'CSRP',
          type: 'contingency',
          start: '2026-03-02T18:00:00.000Z',
          end: '2026-03-02T22:00:00.000Z',
          goal_kw: 1.5,
          goal_pct: null,
          status: 'active',
          opted_out: false,
          simulated: false,
        },
      },
    ]);
  });

  it('full: the participant message maps our readings to the community fields, once a minute', async () => {
    const clock = new ManualClock(T0);
    const published: Array<[string, string]> = [];
    const sharing = make('full', clock, published);
    sharing.start();
    sharing.noteReadings('station', clock.now() + 1_000, {
      battery_soc: 81.5,
      ac_output_power: 300,
      ac_input_power: 0,
      dc_output_power: 12.25,
      pv_power: 1200,
      load_power: 450,
    });
    await clock.advance(MIN);
    await until(() => published.length === 2, 'the announce and one participant message');
    expect(published).toEqual([
      ['OpenDemandResponse/participants', 'flat12'],
      // battery% # ac_out # ac_in # dc_out # dc_in # relay # pv # rpi # load # timestamp (New York)
      ['OpenDemandResponse/Participant/flat12', '81.5#300#0#12.3###1200##450#2026-03-02 05:01:00'],
    ]);
    // Stale readings (over 5 minutes old) are not repeated as if measured.
    await clock.advance(6 * MIN);
    const count = published.length;
    await clock.advance(MIN);
    expect(published).toHaveLength(count);
  });

  it('no uplink configured: no batches are made at all', async () => {
    const clock = new ManualClock(T0);
    const sharing = make('events', clock, [], { uplink: false });
    sharing.start();
    sharing.noteChange(drChange('received', clock.now()));
    await clock.advance(20 * MIN);
    expect(sharing.status()).toMatchObject({ uplinkConfigured: false, outbox: { pending: 0, nextSeq: 1 } });
  });

  it('a level set at runtime survives a restart until the option itself changes', async () => {
    const clock = new ManualClock(T0);
    const first = make('full', clock, []);
    first.setLevel('events');
    await first.stop();
    tmp.reopen();
    expect(make('full', clock, []).level()).toBe('events');
    tmp.reopen();
    expect(make('aggregate', clock, []).level()).toBe('aggregate');
    tmp.reopen();
    expect(make('aggregate', clock, []).level()).toBe('aggregate');
    expect(() => make('full', clock, []).setLevel('everything' as SharingLevel)).toThrow();
  });

  it('lowering the level withdraws the pending batches the new level does not allow', async () => {
    const clock = new ManualClock(T0);
    receiver.answer = () => ({ status: 503 });
    const sharing = make('full', clock, []);
    sharing.start();
    for (let t = 0; t < 61 * MIN; t += 30_000) {
      sharing.noteReadings('station', clock.now(), stationValues(clock.now()));
      await clock.advance(30_000);
    }
    sharing.noteChange(drChange('received', clock.now()));
    await clock.advance(15_000);
    await until(() => {
      const s = sharing.status().outbox;
      return s.pending === 2 && s.nextAttemptAt !== null;
    }, 'two batches pending, waiting out a back-off');
    sharing.setLevel('events');
    expect(sharing.status().outbox).toMatchObject({ pending: 1, withdrawn: 1 });
    sharing.setLevel('none');
    expect(sharing.status().outbox).toMatchObject({ pending: 0, withdrawn: 2 });
    expect(SHARING_LEVELS).toContain(sharing.level());
  });

  it('a broken MQTT link (publish throws or rejects) is reported, never an unhandled rejection', async () => {
    const clock = new ManualClock(T0);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const calls: string[] = [];
      const sharing = new DrSharing({
        db: tmp.db,
        clock,
        site: 'flat12',
        level: 'full',
        uplink: null,
        publish: (topic) => {
          calls.push(topic);
          if (topic === 'OpenDemandResponse/participants') throw new Error('not connected');
          return Promise.reject(new Error('broker gone'));
        },
      });
      running.push(sharing);
      sharing.start();
      sharing.noteReadings('station', clock.now(), { battery_soc: 50, ['__proto__']: 1 } as Record<string, number>);
      await clock.advance(MIN);
      await clock.advance(MIN);
      // The announce failed, so the next minute tries it again; each minute's message fails too.
      await until(
        () => calls.filter((t) => t === 'OpenDemandResponse/participants').length >= 2 && calls.length >= 4,
        'the failed publishes',
      );
      expect(sharing.status().participant).toMatchObject({ announced: false, published: 0 });
      expect(sharing.status().participant.lastError).toMatch(/broker gone|not connected/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('refuses a site that cannot be an MQTT topic level, naming the field', () => {
    const clock = new ManualClock(T0);
    for (const site of ['', 'flat 12', 'a/b', 'x#', '+', 'y'.repeat(65)]) {
      expect(() => new DrSharing({ db: tmp.db, clock, site, level: 'events' })).toThrow(/^site: /);
    }
  });

  it('a restart under a lower option withdraws what was queued under the higher one', async () => {
    const clock = new ManualClock(T0);
    receiver.answer = () => ({ status: 503 });
    const first = make('full', clock, []);
    first.start();
    for (let t = 0; t < 61 * MIN; t += 30_000) {
      first.noteReadings('station', clock.now(), stationValues(clock.now()));
      await clock.advance(30_000);
    }
    first.noteChange(drChange('received', clock.now()));
    await clock.advance(15_000);
    await first.stop();
    expect(first.status().outbox.pending).toBe(2);
    tmp.reopen();
    const second = make('events', clock, []);
    expect(second.level()).toBe('events');
    expect(second.status().outbox).toMatchObject({ pending: 1, withdrawn: 1 });
    receiver.answer = () => ({ status: 200 });
    second.start();
    await until(() => second.status().outbox.pending === 0, 'the events batch');
    expect(receiver.accepted().map((b) => b.records.map((r) => r.kind))).toEqual([['dr_change']]);
  });

  it('splits a large hour into several batches, in order, each within maxBatchBytes', async () => {
    const clock = new ManualClock(T0);
    const sharing = new DrSharing({
      db: tmp.db,
      clock,
      site: 'flat12',
      level: 'full',
      uplink: new HttpUplink({ url: receiver.url }),
      maxBatchBytes: 8 * 1024,
    });
    running.push(sharing);
    sharing.start();
    for (let t = 0; t < 61 * MIN; t += 30_000) {
      for (let d = 0; d < 5; d += 1) sharing.noteReadings(`device_${d}`, clock.now(), stationValues(clock.now()));
      await clock.advance(30_000);
    }
    await until(() => sharing.status().outbox.pending === 0, 'the batches of the hour');
    const bodies = receiver.accepted();
    expect(bodies.length).toBeGreaterThan(5);
    expect(bodies.map((b) => b.seq)).toEqual(bodies.map((_, i) => i + 1));
    for (const b of bodies) expect(Buffer.byteLength(JSON.stringify(b.records))).toBeLessThanOrEqual(8 * 1024);
    const minutes = bodies.flatMap((b) => b.records).filter((r) => r.kind === 'reading_1m');
    expect(minutes).toHaveLength(5 * 60);
    expect(minutes.map((r) => String(r.at))).toEqual([...minutes.map((r) => String(r.at))].sort());
  });
});
