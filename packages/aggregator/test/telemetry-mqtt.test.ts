import mqtt from 'mqtt';
import { ManualClock } from '@sps/core';
import {
  MqttUplink,
  TelemetryProfile,
  startMosquitto,
  startTelemetryReceiver,
  type RunningMosquitto,
  type TelemetryReceiver,
} from '@sps/aggregator';
import { TempDb, memoryLogger } from './helpers/db';
import { until } from './helpers/poll';

const START = Date.UTC(2026, 6, 1);
const MINUTE = 60_000;
const TOPIC = 'sps/offgrid/telemetry';

/** Real time for the socket: until the outbox is idle (all sent, or waiting out a back-off). */
async function settle(profile: TelemetryProfile): Promise<void> {
  await until(() => {
    const o = profile.status().outbox;
    return o.pending === 0 || o.nextAttemptAt !== null;
  }, 'the outbox idle');
}

describe('TelemetryProfile over MQTT (real Mosquitto)', () => {
  let broker: RunningMosquitto;
  let tmp: TempDb;
  let receiver: TelemetryReceiver;
  let subscriber: mqtt.MqttClient;

  beforeEach(async () => {
    broker = await startMosquitto({ users: [{ user: 'station', password: 's3cret' }] });
    tmp = new TempDb();
    receiver = await startTelemetryReceiver();
    // The receiving end: a subscriber feeding the reference receiver's decoder.
    subscriber = mqtt.connect(broker.url, { username: 'station', password: 's3cret', reconnectPeriod: 200 });
    subscriber.on('message', (_topic, payload) => receiver.collect(payload));
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () =>
        subscriber.subscribe(TOPIC, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
      );
    });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => subscriber.end(true, {}, () => resolve()));
    await receiver.close();
    await broker.stop();
    tmp.dispose();
  });

  it('publishes each batch once at QoS 1 on one session, only the batteries by default', async () => {
    const clock = new ManualClock(START);
    const uplink = new MqttUplink({
      broker: { url: broker.url, username: 'station', password: 's3cret', clientId: 'sps-telemetry-test' },
      topic: TOPIC,
      clock,
      logger: memoryLogger(),
    });
    const profile = new TelemetryProfile({
      db: tmp.db,
      clock,
      site: 'offgrid',
      devices: null,
      uplink,
      random: () => 0.5,
    });
    profile.start();
    const run = async (minutes: number) => {
      for (let i = 0; i < minutes; i += 1) {
        profile.noteReadings('pylontech', clock.now(), { battery_soc: 60 + (i % 10), battery_voltage: 52.1 });
        profile.noteReadings('shelly', clock.now(), { load_power: 300 }); // not a battery: left out
        await clock.advance(MINUTE);
        await settle(profile);
      }
    };
    await until(() => uplink.connection().connected, 'the uplink connected');
    await run(31);
    await until(
      () => receiver.batches.length === 2,
      `two batches ${JSON.stringify(profile.status().outbox)} ${receiver.rejected.join()}`,
    );
    expect(receiver.batches.map((b) => b.seq)).toEqual([1, 2]);
    expect(receiver.batches.flatMap((b) => b.samples.map((s) => s.device))).toEqual(Array(29).fill('pylontech'));
    await profile.stop();
  });

  it('a broker restart in the middle: batches wait in the outbox and arrive in order, each once', async () => {
    const clock = new ManualClock(START);
    const uplink = new MqttUplink({
      broker: { url: broker.url, username: 'station', password: 's3cret', clientId: 'sps-telemetry-test2' },
      topic: TOPIC,
      clock,
      logger: memoryLogger(),
    });
    const profile = new TelemetryProfile({
      db: tmp.db,
      clock,
      site: 'offgrid',
      devices: ['pylontech'],
      uplink,
      random: () => 0.5,
    });
    profile.start();
    const run = async (minutes: number) => {
      for (let i = 0; i < minutes; i += 1) {
        profile.noteReadings('pylontech', clock.now(), { battery_soc: 50, battery_current: -3.2 });
        await clock.advance(MINUTE);
        await settle(profile);
      }
    };
    await until(() => uplink.connection().connected, 'the uplink connected');
    await run(16);
    await until(() => receiver.batches.length === 1, 'the first batch');
    // The broker goes away for two hours of simulated time (the restart keeps its port).
    const restarting = broker.restart();
    await run(120);
    await restarting;
    await until(() => subscriber.connected, 'the subscriber back');
    await new Promise<void>((resolve, reject) =>
      subscriber.subscribe(TOPIC, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
    for (let i = 0; i < 200 && profile.status().outbox.pending > 0; i += 1) {
      await run(1);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => profile.status().outbox.pending === 0, 'the backlog delivered', 30_000);
    await until(() => receiver.batches.length === profile.status().outbox.sent, 'every batch received', 10_000);
    const minutes = receiver.batches
      .slice()
      .sort((a, b) => a.seq - b.seq)
      .flatMap((b) => b.samples.map((s) => (s.t - START) / MINUTE));
    expect(new Set(minutes).size).toBe(minutes.length);
    expect(minutes).toEqual(Array.from({ length: minutes.length }, (_, i) => i + 1));
    expect(minutes.length).toBeGreaterThanOrEqual(134);
    expect(receiver.rejected).toEqual([]);
    await profile.stop();
  }, 90_000);
});
