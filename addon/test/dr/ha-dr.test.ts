import { ManualClock } from '@sps/core';
import type { BridgeAction, HaBridgeClient } from '@sps/ha';
import { DrRuntime } from '../../src/dr/dr-runtime';
import type { DrSettings } from '../../src/dr/dr-options';
import { GridMeter } from '../../src/dr/grid-meter';
import { DR_DEVICE_ID, DrHaDevice, drOffActions } from '../../src/dr/ha-dr';
import { ReadingHub } from '../../src/hub';
import { silentLogger } from '../../src/logger';
import { FakeDrSignals } from '../support/fake-dr-signals';

const settings: DrSettings = {
  network: 'n',
  participant: 'p',
  timeZone: 'UTC',
  sharing: 'none',
  goal: { kw: 1 },
  allowCurtailment: [],
  allowShifting: false,
  eventSocTargetPct: 100,
};

/** Records what the device sends to HA (the client's two calls it uses). */
class RecordingClient {
  readonly states = new Map<string, { state: unknown; attributes?: Record<string, unknown> }>();
  readonly fired: { type: string; data: Record<string, unknown> }[] = [];
  publishState(deviceId: string, key: string, state: unknown, attributes?: Record<string, unknown>): void {
    if (deviceId === DR_DEVICE_ID) this.states.set(key, { state, ...(attributes ? { attributes } : {}) });
  }
  async fireEvent(type: string, data: Record<string, unknown>): Promise<boolean> {
    this.fired.push({ type, data });
    return true;
  }
}

function setup() {
  const clock = new ManualClock('2026-12-04T15:00:00Z');
  const signals = new FakeDrSignals(clock);
  const dr = new DrRuntime({
    settings,
    signals,
    gridMeter: new GridMeter(new ReadingHub(), () => []),
    clock,
    logger: silentLogger(),
    sharing: {
      level: () => 'none',
      setLevel: () => undefined,
      outbox: () => ({
        pending: 0,
        pendingBytes: 0,
        maxBytes: 1,
        dropped: 0,
        sent: 0,
        nextSeq: 1,
        lastError: null,
        lastSentAt: null,
      }),
    },
  });
  const device = new DrHaDevice(dr, clock, undefined);
  const client = new RecordingClient();
  device.declared(client as unknown as HaBridgeClient);
  return { clock, signals, dr, device, client };
}

const service = (name: string, data: Record<string, unknown>): BridgeAction => ({
  type: 'action',
  request_id: 'r1',
  kind: 'service',
  service: name,
  data,
});

describe('the Demand response HA device', () => {
  it('declares the mode enum, the event sensors, the connectivity sensor, the select and the switch', () => {
    const { device } = setup();
    const [declared] = device.devices();
    expect(declared?.id).toBe(DR_DEVICE_ID);
    const byKey = new Map(declared?.entities.map((e) => [e.key, e]));
    expect(byKey.get('dr_mode')).toMatchObject({
      deviceClass: 'enum',
      options: ['normal', 'upcoming', 'ongoing', 'post_event'],
    });
    expect(byKey.get('dr_next_event_start')).toMatchObject({ deviceClass: 'timestamp' });
    expect(byKey.get('dr_avoided_energy_total')).toMatchObject({
      unit: 'kWh',
      deviceClass: 'energy',
      stateClass: 'total_increasing',
    });
    expect(byKey.get('dr_broker_connected')).toMatchObject({ platform: 'binary_sensor', deviceClass: 'connectivity' });
    expect(byKey.get('dr_sharing')).toMatchObject({
      platform: 'select',
      options: ['none', 'events', 'aggregate', 'full'],
    });
    expect(byKey.get('dr_opt_out')).toMatchObject({ platform: 'switch' });
  });

  it('publishes the mode and next event, and fires smart_power_station_dr_event with the event fields', async () => {
    const { clock, signals, dr, client } = setup();
    dr.start();
    const start = Date.parse('2026-12-04T17:00:00Z');
    signals.add({ startMs: start, endMs: start + 3_600_000, goalKw: 2 });
    await clock.advance(0);
    expect(client.states.get('dr_mode')?.state).toBe('upcoming');
    expect(client.states.get('dr_next_event_start')?.state).toBe('2026-12-04T17:00:00.000Z');
    expect(client.states.get('dr_goal')?.state).toBe(2);
    expect(client.fired).toEqual([
      {
        type: 'smart_power_station_dr_event',
        data: expect.objectContaining({
          kind: 'received',
          event_id: 'E1',
          program: 'CSRP',
          start: '2026-12-04T17:00:00+00:00',
          end: '2026-12-04T18:00:00+00:00',
          goal_kw: 2,
          opted_out: false,
          simulated: false,
        }),
      },
    ]);
    await dr.stop();
  });

  it('opts out by the switch or the service, simulates, and names a bad field', async () => {
    const { clock, signals, dr, device, client } = setup();
    dr.start();
    signals.add({ startMs: clock.now() + 3_600_000, endMs: clock.now() + 7_200_000 });
    await device.handle({
      type: 'action',
      request_id: 'r',
      kind: 'entity',
      action: 'turn_on',
      device_id: DR_DEVICE_ID,
      key: 'dr_opt_out',
      platform: 'switch',
    });
    expect(client.states.get('dr_opt_out')?.state).toBe(true);
    expect(client.states.get('dr_mode')?.state).toBe('normal');
    await expect(device.handle(service('opt_out_event', { event_id: 'nope' }))).rejects.toThrow('no event "nope"');
    await device.handle(service('simulate_event', { minutes_from_now: 0, duration_minutes: 10 }));
    expect(client.states.get('dr_mode')?.state).toBe('ongoing');
    await expect(device.handle(service('simulate_event', { duration_minutes: 'long' }))).rejects.toThrow(
      /^duration_minutes:/,
    );
    expect(device.handle(service('force_charge', {}))).toBeUndefined();
    await dr.stop();
  });

  it('says demand response is off when it is', async () => {
    await expect(drOffActions(service('simulate_event', {}))).rejects.toThrow('demand response is off');
    expect(drOffActions(service('hold_soc', {}))).toBeUndefined();
  });
});
