import { PassThrough } from 'node:stream';
import { ENTITY_TRANSLATIONS, ManualClock, namePlaceholders } from '@sps/core';
import type { BridgeDevice } from '@sps/ha';
import { alarmsResponse, alarmsResponseSchema } from '../src/alarms/alarm-api';
import type { AlarmSettings } from '../src/alarms/alarm-options';
import { AlarmRuntime } from '../src/alarms/alarm-runtime';
import { ALARM_STATE_KEY, ALARM_STATE_NAMESPACE } from '../src/alarms/alarm-state';
import { alarmEntityKey, AlarmsHaDevice } from '../src/alarms/ha-alarms';
import type { NotifyPort } from '../src/alarms/notify-sender';
import { ReadingHub } from '../src/hub';
import { createLogger } from '../src/logger';
import { MemoryStateStore } from '../src/state-store';

/**
 * The add-on's alarm wiring on a ManualClock with a stub notify transport (HA's callService): the hub's readings
 * and availability in, notifications out with bounded retries, the state kept in the store across a restart, and
 * the HA entities the alarms device declares.
 */

const MIN = 60_000;
const SETTINGS: AlarmSettings = {
  rules: [
    { id: 'low_soc', kind: 'low_soc', thresholdPct: 20, hysteresisPct: 2, delayMs: 0 },
    { id: 'device_unavailable', kind: 'device_unavailable', delayMs: 10 * MIN },
  ],
  notify: ['phone', 'telegram'],
  cooldownMs: 15 * MIN,
};

interface Call {
  readonly service: string;
  readonly title: string;
  readonly message: string;
}

class StubNotify implements NotifyPort {
  readonly calls: Call[] = [];
  failing = new Set<string>();
  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown> {
    if (domain !== 'notify') return Promise.reject(new Error(`unexpected domain ${domain}`));
    this.calls.push({ service, title: String(data?.['title']), message: String(data?.['message']) });
    if (this.failing.has(service)) {
      return Promise.reject({ code: 'not_found', message: `Service notify.${service} not found.` });
    }
    return Promise.resolve(null);
  }
}

function rig(options: { store?: MemoryStateStore; clock?: ManualClock; ha?: NotifyPort | undefined } = {}) {
  const clock = options.clock ?? new ManualClock('2026-03-01T00:00:00Z');
  const store = options.store ?? new MemoryStateStore();
  const hub = new ReadingHub((err) => {
    throw err;
  });
  const out = new PassThrough();
  let log = '';
  out.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const ha = 'ha' in options ? options.ha : new StubNotify();
  const runtime = new AlarmRuntime({
    settings: SETTINGS,
    hub,
    deviceIds: ['battery', 'inverter'],
    deviceName: (id) => (id === 'battery' ? 'House battery' : 'Inverter'),
    store,
    clock,
    logger: createLogger('debug', out),
    ha: () => ha,
    notifyRetryDelaysMs: [10_000, 60_000],
  });
  return { clock, store, hub, runtime, ha, log: () => log };
}

const soc = (value: number, at: number) => ({ timestamp: at, values: { battery_soc: value } });

describe('AlarmRuntime', () => {
  it('calls every notify service once when an alarm starts, naming the device, the reading, the value and the time', () => {
    const { clock, hub, runtime, ha } = rig();
    runtime.start();
    hub.publishReadings('battery', soc(18, clock.now()));
    expect((ha as StubNotify).calls).toEqual([
      {
        service: 'phone',
        title: 'Low battery on House battery',
        message: 'House battery: battery_soc 18 % (alarm below 20 %), since 2026-03-01T00:00:00.000Z.',
      },
      expect.objectContaining({ service: 'telegram', title: 'Low battery on House battery' }),
    ]);
  });

  it('retries a failing service a bounded number of times, logs the reason, and never holds the others back', async () => {
    const { clock, hub, runtime, ha, log } = rig();
    const stub = ha as StubNotify;
    stub.failing.add('telegram');
    runtime.start();
    hub.publishReadings('battery', soc(18, clock.now()));
    await clock.advance(0);
    expect(stub.calls.map((c) => c.service)).toEqual(['phone', 'telegram']);
    expect(log()).toContain('alarm notification failed; retrying');
    expect(log()).toContain('reason=not_found: Service notify.telegram not found.');
    await clock.advance(10_000);
    await clock.advance(60_000);
    await clock.advance(60 * MIN);
    expect(stub.calls.map((c) => c.service)).toEqual(['phone', 'telegram', 'telegram', 'telegram']);
    expect(log()).toContain('alarm notification not delivered; giving up');
    await runtime.stop();
  });

  it('without Home Assistant, says so and gives up after the retries; nothing throws', async () => {
    const { clock, hub, runtime, log } = rig({ ha: undefined });
    runtime.start();
    hub.publishReadings('battery', soc(10, clock.now()));
    await clock.advance(0);
    await clock.advance(10_000);
    await clock.advance(60_000);
    expect(log()).toContain('reason=no Home Assistant connection');
    expect(log()).toContain('giving up');
    expect(runtime.list().find((a) => a.key === 'low_soc:battery')?.active).toBe(true);
  });

  it('stop() cancels the retries still waiting', async () => {
    const { clock, hub, runtime, ha } = rig();
    const stub = ha as StubNotify;
    stub.failing.add('phone');
    runtime.start();
    hub.publishReadings('battery', soc(10, clock.now()));
    await clock.advance(0);
    await runtime.stop();
    await clock.advance(60 * MIN);
    expect(stub.calls.filter((c) => c.service === 'phone')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps an active alarm and what was notified in the store: a restart keeps since and does not notify again', async () => {
    const first = rig();
    first.runtime.start();
    first.hub.publishReadings('battery', soc(15, first.clock.now()));
    const since = first.clock.now();
    await first.clock.advance(30 * MIN);
    await first.runtime.stop();
    expect(first.store.getState(ALARM_STATE_NAMESPACE, ALARM_STATE_KEY)).toMatchObject({
      active: [{ ruleId: 'low_soc', deviceId: 'battery', since, value: 15 }],
      notified: [{ key: 'low_soc:battery', active: true, sentAt: since }],
    });

    const clock = new ManualClock(first.clock.now() + 5 * MIN);
    const second = rig({ store: first.store, clock });
    second.runtime.start();
    // The battery is offline at first: its alarm is still listed (HA keeps the entity), still on.
    expect(second.runtime.list().find((a) => a.key === 'low_soc:battery')).toMatchObject({ active: true, since });
    second.hub.publishReadings('battery', soc(16, clock.now()));
    await clock.advance(60 * MIN);
    expect((second.ha as StubNotify).calls).toEqual([]);
    second.hub.publishReadings('battery', soc(40, clock.now()));
    expect((second.ha as StubNotify).calls.map((c) => [c.service, c.title])).toEqual([
      ['phone', 'Cleared: Low battery on House battery'],
      ['telegram', 'Cleared: Low battery on House battery'],
    ]);
  });

  it('ignores a damaged stored state and starts afresh', () => {
    const store = new MemoryStateStore();
    store.putState(ALARM_STATE_NAMESPACE, ALARM_STATE_KEY, { active: 'nonsense' });
    const { runtime, log } = rig({ store });
    runtime.start();
    expect(log()).toContain('ignoring unreadable alarm state');
    expect(runtime.list().map((a) => a.key)).toEqual(['device_unavailable:battery', 'device_unavailable:inverter']);
  });

  it('raises device_unavailable from the hub after its delay, with the device reason', async () => {
    const { clock, hub, runtime } = rig();
    runtime.start();
    hub.publishAvailability('inverter', { available: false, reason: 'timeout: no answer', since: clock.now() });
    await clock.advance(10 * MIN);
    const api = alarmsResponseSchema.parse(alarmsResponse(runtime));
    expect(api.alarms.find((a) => a.key === 'device_unavailable:inverter')).toEqual({
      key: 'device_unavailable:inverter',
      rule: 'device_unavailable',
      kind: 'device_unavailable',
      device: 'inverter',
      active: true,
      since: '2026-03-01T00:00:00.000Z',
      value: 'timeout: no answer',
      reading: 'availability',
    });
    expect(api).toMatchObject({ enabled: true, notify: ['notify.phone', 'notify.telegram'], cooldown_min: 15 });
  });
});

describe('AlarmsHaDevice', () => {
  it('declares one problem binary_sensor per alarm with a translation key and its placeholders', () => {
    const { clock, hub, runtime } = rig();
    runtime.start();
    hub.publishReadings('battery', soc(50, clock.now()));
    const device = new AlarmsHaDevice(runtime, (id) => (id === 'battery' ? 'House battery' : 'Inverter'), undefined)
      .devices()
      .find((d: BridgeDevice) => d.id === 'sps:alarms');
    expect(device?.info).toMatchObject({ serial: 'sps_alarms', model: 'Alarms' });
    expect(device?.entities.map((e) => [e.key, e.translationKey, e.translationPlaceholders])).toEqual([
      ['low_soc__battery', 'alarm_low_soc', { device: 'House battery' }],
      ['device_unavailable__battery', 'alarm_device_unavailable', { device: 'House battery' }],
      ['device_unavailable__inverter', 'alarm_device_unavailable', { device: 'Inverter' }],
    ]);
    for (const entity of device?.entities ?? []) {
      expect(entity).toMatchObject({ platform: 'binary_sensor', deviceClass: 'problem' });
      const translation = ENTITY_TRANSLATIONS.binary_sensor[entity.translationKey as 'alarm_low_soc'];
      expect(namePlaceholders(translation.name).sort()).toEqual(
        Object.keys(entity.translationPlaceholders ?? {}).sort(),
      );
    }
  });

  it('keeps entity keys within the bridge limit and distinct', () => {
    const long = 'd'.repeat(48);
    const a = alarmEntityKey('heavy_load_' + 'x'.repeat(29), long);
    const b = alarmEntityKey('heavy_load_' + 'x'.repeat(28) + 'y', long);
    expect(a).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
    expect(b).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
    expect(a).not.toBe(b);
  });
});

describe('AlarmRuntime across a restart with a notification held', () => {
  it('sends the clear that was held by the cooldown when the add-on stopped, once the device answers again', async () => {
    const first = rig();
    first.runtime.start();
    first.hub.publishReadings('battery', soc(15, first.clock.now()));
    await first.clock.advance(MIN);
    first.hub.publishReadings('battery', soc(40, first.clock.now())); // cleared 1 min after the start: held
    await first.runtime.stop();
    expect((first.ha as StubNotify).calls.map((c) => c.title)).toEqual([
      'Low battery on House battery',
      'Low battery on House battery',
    ]);

    const clock = new ManualClock(first.clock.now() + 30 * MIN);
    const second = rig({ store: first.store, clock });
    second.runtime.start();
    await clock.advance(MIN);
    expect((second.ha as StubNotify).calls).toEqual([]);
    second.hub.publishReadings('battery', soc(41, clock.now()));
    await clock.advance(0);
    expect((second.ha as StubNotify).calls.map((c) => c.title)).toEqual([
      'Cleared: Low battery on House battery',
      'Cleared: Low battery on House battery',
    ]);
  });

  it('does not announce a restarted alarm that is still on (no clear and start pair)', async () => {
    const first = rig();
    first.runtime.start();
    first.hub.publishReadings('battery', soc(15, first.clock.now()));
    await first.clock.advance(MIN);
    first.hub.publishReadings('battery', soc(40, first.clock.now())); // clear held
    await first.runtime.stop();

    const clock = new ManualClock(first.clock.now() + 30 * MIN);
    const second = rig({ store: first.store, clock });
    second.runtime.start();
    second.hub.publishReadings('battery', soc(12, clock.now())); // low again: the owner was told "on", it is on
    await clock.advance(60 * MIN);
    expect((second.ha as StubNotify).calls).toEqual([]);
  });
});
