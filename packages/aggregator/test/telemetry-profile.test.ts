import { ManualClock } from '@sps/core';
import {
  DEFAULT_TELEMETRY_FIELDS,
  HttpUplink,
  TelemetryProfile,
  startTelemetryReceiver,
  type TelemetryProfileOptions,
  type TelemetryReceiver,
} from '@sps/aggregator';
import { TempDb, memoryLogger } from './helpers/db';
import { until } from './helpers/poll';

const START = Date.UTC(2026, 6, 1, 0, 0);
const MINUTE = 60_000;

/** A Pylontech's readings at minute m: slowly moving, so deltas are small. */
function readings(m: number): Record<string, number> {
  return {
    battery_voltage: 52 + (m % 100) / 100,
    battery_soc: 50 + (m % 50),
    battery_soh: 99,
    battery_current: ((m % 40) - 20) / 2,
    battery_temperature: 25,
    charge_voltage_limit: 53.2,
    charge_current_limit: 50,
    discharge_current_limit: 100,
    battery_power: 1234, // not a telemetry field: left out
  };
}

describe('TelemetryProfile over HTTP (real loopback receiver, ManualClock)', () => {
  let tmp: TempDb;
  let receiver: TelemetryReceiver;
  const profiles: TelemetryProfile[] = [];

  beforeEach(async () => {
    tmp = new TempDb();
    receiver = await startTelemetryReceiver();
  });
  afterEach(async () => {
    for (const p of profiles.splice(0)) await p.stop();
    await receiver.close();
    tmp.dispose();
  });

  const make = (clock: ManualClock, options: Partial<TelemetryProfileOptions> = {}, timeoutMs = 30_000) => {
    const profile = new TelemetryProfile({
      db: tmp.db,
      clock,
      site: 'offgrid',
      devices: ['pylontech_1'],
      uplink: new HttpUplink({ url: receiver.url, gzip: false, timeoutMs, tcpKeepAliveMs: 600_000 }),
      random: () => 0.5,
      logger: memoryLogger(),
      ...options,
    });
    profiles.push(profile);
    return profile;
  };

  /** Feeds one reading a minute and moves the clock on, minute by minute. */
  async function run(clock: ManualClock, profile: TelemetryProfile, minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i += 1) {
      const now = clock.now();
      profile.noteReadings('pylontech_1', now, readings(Math.round((now - START) / MINUTE)));
      profile.noteReadings('somebody_else', now, readings(0));
      await clock.advance(MINUTE);
      // Real sockets need turns of the event loop, not just microtasks.
      await new Promise((r) => setImmediate(r));
    }
  }

  function minutesReceived(): number[] {
    return receiver.batches
      .slice()
      .sort((a, b) => a.seq - b.seq)
      .flatMap((b) => b.samples.map((s) => (s.t - START) / MINUTE));
  }

  it('sends the default fields of the chosen devices, one sample a minute, 15 minutes a batch, over one connection', async () => {
    const clock = new ManualClock(START);
    const profile = make(clock);
    profile.start();
    await run(clock, profile, 61);
    await until(() => receiver.batches.length === 4, 'four batches');
    expect(receiver.batches.map((b) => b.seq)).toEqual([1, 2, 3, 4]);
    // The first tick is at minute 1; a batch closes at each quarter hour (minutes 60 and 61 are still gathering).
    expect(receiver.batches.map((b) => b.samples.length)).toEqual([14, 15, 15, 15]);
    expect(minutesReceived()).toEqual(Array.from({ length: 59 }, (_, i) => i + 1));
    const sample = receiver.batches[0]?.samples[0];
    expect(sample?.device).toBe('pylontech_1');
    expect(Object.keys(sample?.values ?? {}).sort()).toEqual([...DEFAULT_TELEMETRY_FIELDS].sort());
    expect(receiver.stats.connections).toBe(1);
    expect(receiver.rejected).toEqual([]);
  });

  it('a 3-day outage: every minute arrives exactly once, in order of seq, when the endpoint is back', async () => {
    const clock = new ManualClock(START);
    const profile = make(clock);
    profile.start();
    await run(clock, profile, 60);
    await until(() => profile.status().outbox.pending === 0, 'the first hour delivered');
    await receiver.down();
    await run(clock, profile, 3 * 24 * 60);
    expect(profile.status().outbox.pending).toBeGreaterThan(280);
    expect(profile.status().outbox.lastError).toMatch(/ECONNREFUSED/);
    await receiver.up();
    await run(clock, profile, 61);
    await until(() => profile.status().outbox.pending === 0, 'the backlog delivered', 60_000);
    const total = 60 + 3 * 24 * 60 + 60 - 1; // the last quarter hour's first minute is still gathering
    expect(minutesReceived()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(receiver.stats.duplicates).toBe(0);
    const seqs = receiver.batches.map((b) => b.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(profile.status().outbox.dropped).toBe(0);
  }, 120_000);

  it('an endpoint answering 500, then hanging past the timeout, then dropping mid-request: retried until it takes each batch once', async () => {
    const clock = new ManualClock(START);
    const profile = make(clock, {}, 300);
    profile.start();
    const answers: Array<'500' | 'hang' | 'drop'> = ['500', 'hang', 'drop', '500'];
    receiver.answer = () => {
      const next = answers.shift();
      if (next === '500') return { status: 500 };
      if (next === 'hang') return { hang: true };
      if (next === 'drop') return { drop: true };
      return { status: 204 };
    };
    await run(clock, profile, 16);
    // Each failure backs off on the clock; move it on (no new readings) until the batch is through.
    for (let i = 0; i < 500 && receiver.batches.length === 0; i += 1) {
      await clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => profile.status().outbox.pending === 0, 'the batch delivered');
    expect(answers).toEqual([]);
    expect(receiver.batches).toHaveLength(1);
    expect(minutesReceived()).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(receiver.stats.requests).toBe(5);
    expect(receiver.stats.duplicates).toBe(0);
  });

  it('stop (SIGTERM) while a batch is in flight loses nothing: the batch and the unsent minutes go out after a restart', async () => {
    const clock = new ManualClock(START);
    const first = make(clock);
    receiver.answer = () => ({ hang: true });
    first.start();
    await run(clock, first, 22); // one batch on the wire (hanging), 6 minutes gathered
    await until(() => receiver.stats.requests === 1, 'the first batch on the wire');
    await first.stop();
    expect(first.status().outbox.pending).toBe(2);
    expect(receiver.batches).toEqual([]);

    receiver.answer = () => ({ status: 204 });
    const second = make(clock);
    second.start();
    await until(() => second.status().outbox.pending === 0, 'the stored batches delivered');
    expect(minutesReceived()).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
  });

  it('alarms go out with the next batch when include_alarms is on, and not otherwise', async () => {
    const clock = new ManualClock(START);
    const on = make(clock, { includeAlarms: true });
    on.start();
    on.noteAlarm({
      id: 'battery_alarm:pylontech_1',
      active: true,
      atMs: START + 5_000,
      device: 'pylontech_1',
      message: 'over-temperature',
    });
    await run(clock, on, 16);
    await until(() => receiver.batches.length === 1, 'a batch');
    expect(receiver.batches[0]?.alarms).toEqual([
      {
        t: START + 5_000,
        id: 'battery_alarm:pylontech_1',
        active: true,
        device: 'pylontech_1',
        message: 'over-temperature',
      },
    ]);
    const off = new TelemetryProfile({
      db: tmp.db,
      clock,
      site: 'offgrid',
      devices: ['pylontech_1'],
      uplink: new HttpUplink({ url: receiver.url, gzip: false }),
    });
    off.noteAlarm({ id: 'x', active: true, atMs: START });
    expect(off.status().alarms).toBe(0);
    await off.stop();
  });

  it('a device silent for longer than the max age leaves a gap, not repeated stale values', async () => {
    const clock = new ManualClock(START);
    const profile = make(clock);
    profile.start();
    profile.noteReadings('pylontech_1', clock.now(), readings(0));
    await clock.advance(20 * MINUTE);
    await until(() => receiver.batches.length === 1, 'the first batch');
    // Noted at 0: sampled at minutes 1..3 (≤ 3 min old), nothing after.
    expect(minutesReceived()).toEqual([1, 2, 3]);
  });
});
