import { ManualClock } from '@sps/core';
import {
  AlarmEngine,
  AlarmNotificationPolicy,
  alarmKey,
  type AlarmNotice,
  type AlarmRule,
  type AlarmStatus,
} from '@sps/control';

/**
 * The alarm engine and the notification policy, pure, on a ManualClock: start, clear, hysteresis,
 * delays, cooldown, flapping, and a restart that keeps `since` and does not notify again.
 */

const MIN = 60_000;
const COOLDOWN = 15 * MIN;

const RULES: AlarmRule[] = [
  { id: 'battery_alarm', kind: 'battery_alarm', delayMs: 0 },
  { id: 'low_soc', kind: 'low_soc', thresholdPct: 20, hysteresisPct: 2, delayMs: 0 },
  {
    id: 'heavy_load_pump',
    kind: 'heavy_load',
    name: 'Pump left on',
    devices: ['pump'],
    reading: 'load_power',
    thresholdW: 1500,
    hysteresisW: 100,
    delayMs: 30 * MIN,
  },
  { id: 'device_unavailable', kind: 'device_unavailable', delayMs: 10 * MIN },
  { id: 'transfer_relay_open', kind: 'transfer_relay_open', delayMs: 0 },
];

interface Rig {
  readonly clock: ManualClock;
  readonly engine: AlarmEngine;
  readonly policy: AlarmNotificationPolicy;
  readonly sent: { notice: AlarmNotice; key: string; at: number; value: unknown; since?: number }[];
  readonly transitions: string[];
}

function rig(clock = new ManualClock('2026-03-01T00:00:00Z')): Rig {
  const engine = new AlarmEngine(RULES, clock, (err) => {
    throw err;
  });
  const sent: Rig['sent'] = [];
  const transitions: string[] = [];
  const policy = new AlarmNotificationPolicy({
    clock,
    cooldownMs: COOLDOWN,
    current: (key) => engine.status(key),
    send: (notice, alarm: AlarmStatus) =>
      sent.push({
        notice,
        key: alarm.key,
        at: clock.now(),
        value: alarm.value,
        ...(alarm.since === undefined ? {} : { since: alarm.since }),
      }),
  });
  engine.events.on('started', (a) => {
    transitions.push(`start ${a.key}`);
    policy.changed(a);
  });
  engine.events.on('cleared', (a) => {
    transitions.push(`clear ${a.key}`);
    policy.changed(a);
  });
  return { clock, engine, policy, sent, transitions };
}

const LOW = alarmKey('low_soc', 'battery');

describe('AlarmEngine', () => {
  it('starts a SOC alarm below the threshold with since and the value, and clears it only above threshold + hysteresis', async () => {
    const { clock, engine, transitions } = rig();
    engine.observeReadings('battery', { battery_soc: 35 });
    expect(engine.status(LOW)).toMatchObject({ active: false });
    await clock.advance(MIN);
    engine.observeReadings('battery', { battery_soc: 19.5 });
    expect(engine.status(LOW)).toMatchObject({
      active: true,
      since: Date.parse('2026-03-01T00:01:00Z'),
      value: 19.5,
      reading: 'battery_soc',
    });
    // Hovering between 20 and 22 keeps it on (hysteresis 2 %), and `since`/the value stay the first ones.
    await clock.advance(MIN);
    engine.observeReadings('battery', { battery_soc: 21.9 });
    engine.observeReadings('battery', { battery_soc: 18 });
    expect(engine.status(LOW)).toMatchObject({ active: true, since: Date.parse('2026-03-01T00:01:00Z'), value: 19.5 });
    engine.observeReadings('battery', { battery_soc: 22 });
    expect(engine.status(LOW)).toMatchObject({ active: false, value: 22 });
    // Back at 21 % it does not start again: the start threshold is 20 %.
    engine.observeReadings('battery', { battery_soc: 21 });
    expect(transitions).toEqual([`start ${LOW}`, `clear ${LOW}`]);
  });

  it('applies a rule only to devices that have its reading, and to the devices it names', () => {
    const { engine } = rig();
    engine.observeReadings('plug', { load_power: 2000 });
    engine.observeReadings('pump', { load_power: 100 });
    engine.observeReadings('battery', { battery_soc: 50, alarm_cell_undervoltage: false });
    expect(engine.list().map((a) => a.key)).toEqual([
      'battery_alarm:battery',
      'low_soc:battery',
      'heavy_load_pump:pump',
    ]);
  });

  it('starts a heavy load only after its delay, and a load that drops within the delay starts nothing', async () => {
    const { clock, engine, transitions } = rig();
    const key = alarmKey('heavy_load_pump', 'pump');
    engine.observeReadings('pump', { load_power: 2200 });
    await clock.advance(29 * MIN);
    engine.observeReadings('pump', { load_power: 1450 }); // above threshold − hysteresis: still running
    expect(engine.status(key)?.active).toBe(false);
    await clock.advance(MIN);
    expect(engine.status(key)).toMatchObject({ active: true, since: Date.parse('2026-03-01T00:00:00Z'), value: 2200 });
    engine.observeReadings('pump', { load_power: 1400 });
    expect(engine.status(key)?.active).toBe(false);
    engine.observeReadings('pump', { load_power: 2200 });
    await clock.advance(10 * MIN);
    engine.observeReadings('pump', { load_power: 0 });
    await clock.advance(60 * MIN);
    expect(transitions).toEqual([`start ${key}`, `clear ${key}`]);
  });

  it('raises device_unavailable after its delay, counted from when the device went away', async () => {
    const { clock, engine } = rig();
    const key = alarmKey('device_unavailable', 'inverter');
    engine.watchDevices(['inverter']);
    expect(engine.status(key)).toMatchObject({ active: false });
    const wentAway = clock.now();
    await clock.advance(4 * MIN);
    engine.observeAvailability('inverter', false, wentAway, 'timeout: no answer');
    await clock.advance(6 * MIN - 1);
    expect(engine.status(key)?.active).toBe(false);
    // A new reason while it stays away does not restart the delay.
    engine.observeAvailability('inverter', false, wentAway, 'connection refused');
    await clock.advance(1);
    expect(engine.status(key)).toMatchObject({ active: true, since: wentAway, value: 'connection refused' });
    engine.observeAvailability('inverter', true, clock.now());
    expect(engine.status(key)?.active).toBe(false);
  });

  it('raises battery_alarm for any alarm_/protection_ bit and names the bits set', () => {
    const { engine } = rig();
    const key = alarmKey('battery_alarm', 'bms');
    engine.observeReadings('bms', { alarm_cell_overvoltage: false, protection_discharge_overcurrent: true });
    expect(engine.status(key)).toMatchObject({ active: true, value: 'protection_discharge_overcurrent' });
    engine.observeReadings('bms', { alarm_cell_overvoltage: false, protection_discharge_overcurrent: false });
    expect(engine.status(key)?.active).toBe(false);
  });

  it('raises battery_alarm for a hybrid inverter whose running_state is fault', () => {
    const { engine } = rig();
    const key = alarmKey('battery_alarm', 'inverter');
    engine.observeReadings('inverter', { running_state: 'running', battery_soc: 60 });
    expect(engine.status(key)).toMatchObject({ active: false });
    engine.observeReadings('inverter', { running_state: 'fault', battery_soc: 60 });
    expect(engine.status(key)).toMatchObject({ active: true, value: 'running_state=fault' });
    engine.observeReadings('inverter', { running_state: 'standby', battery_soc: 60 });
    expect(engine.status(key)?.active).toBe(false);
  });

  it('raises transfer_relay_open when transfer_relay_closed is false', () => {
    const { engine } = rig();
    const key = alarmKey('transfer_relay_open', 'xtender');
    engine.observeReadings('xtender', { transfer_relay_closed: true });
    expect(engine.status(key)?.active).toBe(false);
    engine.observeReadings('xtender', { transfer_relay_closed: false });
    expect(engine.status(key)).toMatchObject({ active: true, value: false });
  });
});

describe('AlarmNotificationPolicy', () => {
  it('notifies once when an alarm starts and once when it clears (after the cooldown)', async () => {
    const { clock, engine, sent } = rig();
    engine.observeReadings('battery', { battery_soc: 15 });
    await clock.advance(20 * MIN);
    engine.observeReadings('battery', { battery_soc: 30 });
    expect(sent.map((s) => [s.notice, s.at - Date.parse('2026-03-01T00:00:00Z')])).toEqual([
      ['started', 0],
      ['cleared', 20 * MIN],
    ]);
    expect(sent[0]).toMatchObject({ key: LOW, value: 15, since: Date.parse('2026-03-01T00:00:00Z') });
  });

  it('holds a clear within the cooldown of its start and sends it when the cooldown ends', async () => {
    const { clock, engine, policy, sent } = rig();
    engine.observeReadings('battery', { battery_soc: 15 });
    await clock.advance(5 * MIN);
    engine.observeReadings('battery', { battery_soc: 30 });
    expect(sent.map((s) => s.notice)).toEqual(['started']);
    expect(policy.isHeld(LOW)).toBe(true);
    await clock.advance(10 * MIN);
    expect(sent.map((s) => [s.notice, (s.at - sent[0]!.at) / MIN])).toEqual([
      ['started', 0],
      ['cleared', 15],
    ]);
  });

  it('folds a flapping value: one start, nothing while it flaps, one clear a cooldown after the last notice', async () => {
    const { clock, engine, sent } = rig();
    // SOC wandering across the thresholds every 30 s for 40 minutes.
    for (let i = 0; i < 80; i++) {
      engine.observeReadings('battery', { battery_soc: i % 2 === 0 ? 15 : 25 });
      await clock.advance(30_000);
    }
    // It ended on 25 % (clear); everything in between was folded.
    await clock.advance(COOLDOWN);
    const notices = sent.map((s) => s.notice);
    for (let i = 1; i < sent.length; i++) {
      expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(COOLDOWN);
      expect(notices[i]).not.toBe(notices[i - 1]);
    }
    expect(notices[0]).toBe('started');
    expect(notices[notices.length - 1]).toBe('cleared');
    expect(sent.length).toBeLessThanOrEqual(4); // 40 min of flapping in 15-minute windows
  });

  it('a clear followed by a new start within the cooldown sends nothing more (the owner was told "on")', async () => {
    const { clock, engine, policy, sent } = rig();
    engine.observeReadings('battery', { battery_soc: 15 });
    await clock.advance(2 * MIN);
    engine.observeReadings('battery', { battery_soc: 30 });
    await clock.advance(2 * MIN);
    engine.observeReadings('battery', { battery_soc: 15 });
    expect(policy.isHeld(LOW)).toBe(false);
    await clock.advance(60 * MIN);
    expect(sent.map((s) => s.notice)).toEqual(['started']);
  });

  it('holds a start during the cooldown after a clear, and sends it at the end only if still on', async () => {
    const { clock, engine, sent } = rig();
    engine.observeReadings('battery', { battery_soc: 15 });
    await clock.advance(20 * MIN);
    engine.observeReadings('battery', { battery_soc: 30 }); // cleared, sent at 20 min
    await clock.advance(MIN);
    engine.observeReadings('battery', { battery_soc: 15 }); // started again at 21 min: held until 35
    await clock.advance(13 * MIN);
    expect(sent.map((s) => s.notice)).toEqual(['started', 'cleared']);
    await clock.advance(MIN);
    expect(sent.map((s) => [s.notice, (s.at - sent[0]!.at) / MIN])).toEqual([
      ['started', 0],
      ['cleared', 20],
      ['started', 35],
    ]);
    // A start held and then cleared before the cooldown ends is never heard of.
    const quiet = rig();
    quiet.engine.observeReadings('battery', { battery_soc: 15 });
    await quiet.clock.advance(20 * MIN);
    quiet.engine.observeReadings('battery', { battery_soc: 30 });
    await quiet.clock.advance(MIN);
    quiet.engine.observeReadings('battery', { battery_soc: 15 });
    await quiet.clock.advance(MIN);
    quiet.engine.observeReadings('battery', { battery_soc: 30 });
    await quiet.clock.advance(60 * MIN);
    expect(quiet.sent.map((s) => s.notice)).toEqual(['started', 'cleared']);
  });

  it('after a restart, an alarm still active keeps its original since and is not notified again', async () => {
    const first = rig();
    first.engine.observeReadings('battery', { battery_soc: 15 });
    const since = first.clock.now();
    await first.clock.advance(30 * MIN);
    const engineState = JSON.parse(JSON.stringify(first.engine.active())) as ReturnType<AlarmEngine['active']>;
    const policyState = JSON.parse(JSON.stringify(first.policy.snapshot())) as ReturnType<
      AlarmNotificationPolicy['snapshot']
    >;
    first.engine.stop();
    first.policy.stop();

    const second = rig(new ManualClock(first.clock.now() + 5 * MIN));
    second.engine.restore(engineState);
    second.policy.restore(policyState);
    second.engine.observeReadings('battery', { battery_soc: 16 });
    expect(second.engine.status(LOW)).toMatchObject({ active: true, since, value: 15 });
    await second.clock.advance(60 * MIN);
    expect(second.sent).toEqual([]);
    expect(second.transitions).toEqual([]);
    // It clears after the restart like any alarm, and that is notified.
    second.engine.observeReadings('battery', { battery_soc: 40 });
    expect(second.sent.map((s) => s.notice)).toEqual(['cleared']);
  });

  it('a restored device_unavailable alarm stays on while the device reconnects, with its old since', () => {
    const { clock, engine, sent, policy } = rig();
    const key = alarmKey('device_unavailable', 'inverter');
    const since = clock.now() - 3_600_000;
    engine.restore([
      { ruleId: 'device_unavailable', deviceId: 'inverter', since, value: 'timeout', reading: 'availability' },
    ]);
    policy.restore([{ key, active: true, sentAt: since + 600_000 }]);
    engine.watchDevices(['inverter']);
    engine.observeAvailability('inverter', false, clock.now(), 'connecting');
    expect(engine.status(key)).toMatchObject({ active: true, since });
    expect(sent).toEqual([]);
  });
});
