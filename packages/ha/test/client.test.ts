import { canonicalSensor, type EntityDescriptor } from '@sps/core';
import {
  HaBridgeClient,
  silentLogger,
  type BridgeAction,
  type BridgeDevice,
  type HaBridgeClientOptions,
} from '../src/index.js';
import { FakeHa, type FakeHaOptions } from './fakeHa.js';

const relay: EntityDescriptor = {
  key: 'backup_relay',
  platform: 'switch',
  translationKey: 'relay',
  name: 'Backup relay',
  command: { command: 'set_relay', field: 'on' },
};
const DEVICE: BridgeDevice = {
  id: 'sungrow-1',
  info: { manufacturer: 'Sungrow', model: 'SH10RT', serial: 'A1' },
  entities: [canonicalSensor('battery_soc'), canonicalSensor('pv_energy'), relay],
};

let ha: FakeHa;
let client: HaBridgeClient | null = null;

async function start(haOptions: FakeHaOptions = {}, clientOptions: Partial<HaBridgeClientOptions> = {}) {
  ha = new FakeHa(haOptions);
  const url = await ha.start();
  client = new HaBridgeClient({
    url,
    token: 'test-token-123',
    addonVersion: '0.1.0',
    logger: silentLogger,
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
    heartbeatIntervalMs: 50,
    heartbeatTimeoutMs: 200,
    bridgeRetryMs: 10_000,
    ...clientOptions,
  });
  await client.declare([DEVICE]);
  client.start();
  return client;
}

afterEach(async () => {
  await client?.stop();
  client = null;
  await ha.stop();
});

describe('HaBridgeClient', () => {
  it('handshakes, subscribes, declares, then sends availability and coalesced states', async () => {
    const c = await start();
    await c.waitForStatus('ready');
    const types = ha.received.map((r) => r.msg.type).filter((t) => t.startsWith('smart_power_station/'));
    expect(types.slice(0, 3)).toEqual([
      'smart_power_station/hello',
      'smart_power_station/subscribe',
      'smart_power_station/declare',
    ]);
    const declare = (await ha.waitForType('smart_power_station/declare')).msg;
    expect(declare['devices']).toEqual([
      expect.objectContaining({ id: 'sungrow-1', serial: 'A1', entities: expect.any(Array) }),
    ]);
    expect(declare['hub']).toMatchObject({ addon_version: '0.1.0' });

    c.publishAvailability('sungrow-1', { available: false, reason: 'timeout', since: 0 });
    c.publishReadings('sungrow-1', { timestamp: 0, values: { battery_soc: 55, pv_energy: 2500, ignored: 1 } });
    const availability = await ha.waitForType('smart_power_station/availability');
    expect(availability.msg['devices']).toEqual([{ device_id: 'sungrow-1', available: false, reason: 'timeout' }]);
    const states = await ha.waitForType('smart_power_station/states');
    expect(states.msg['states']).toEqual([
      { device_id: 'sungrow-1', key: 'battery_soc', state: 55 },
      { device_id: 'sungrow-1', key: 'pv_energy', state: 2.5 },
    ]);
  });

  it('sends translation keys only to a bridge that lists the feature in its hello', async () => {
    const entities = async (): Promise<Record<string, unknown>[]> => {
      const declare = (await ha.waitForType('smart_power_station/declare')).msg;
      return (declare['devices'] as { entities: Record<string, unknown>[] }[])[0]!.entities;
    };
    const c = await start({ features: ['translation_key'] });
    await c.waitForStatus('ready');
    expect(await entities()).toContainEqual(
      expect.objectContaining({ key: 'backup_relay', translation_key: 'relay', name: 'Backup relay' }),
    );
    await c.stop();
    client = null;
    await ha.stop();

    // A bridge before 0.2.0 refuses unknown fields: it gets the English names only.
    const old = await start();
    await old.waitForStatus('ready');
    const sent = await entities();
    expect(sent).toContainEqual(expect.objectContaining({ key: 'backup_relay', name: 'Backup relay' }));
    expect(sent.some((e) => 'translation_key' in e || 'translation_placeholders' in e)).toBe(false);
  });

  it('with a non-admin token still says hello, so the bridge can raise its repair in HA', async () => {
    const reported: string[] = [];
    await start({ nonAdmin: true }, { onTokenNotAdmin: (message) => reported.push(message) });
    const hello = await ha.waitForType('smart_power_station/hello');
    expect(hello.msg).toMatchObject({ protocol: 1, addon_version: '0.1.0' });
    expect(reported).toHaveLength(1);
  });

  it('answers actions with the handler verdict, success or the device reason', async () => {
    const c = await start();
    const seen: BridgeAction[] = [];
    c.onAction(async (action) => {
      seen.push(action);
      if (action.kind === 'service') throw new Error('rejected: backup reserve below minimum');
      return { state: true };
    });
    await c.waitForStatus('ready');
    ha.sendAction({
      type: 'action',
      request_id: 'r1',
      kind: 'entity',
      action: 'turn_on',
      device_id: 'sungrow-1',
      key: 'backup_relay',
      platform: 'switch',
      translationKey: 'relay',
      value: true,
    });
    const ok = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === 'r1',
    );
    expect(ok.msg).toMatchObject({ success: true, result: { state: true } });

    ha.sendAction({
      type: 'action',
      request_id: 'r2',
      kind: 'service',
      service: 'set_backup_reserve',
      device_id: 'sungrow-1',
      data: { percent: 5 },
    });
    const failed = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === 'r2',
    );
    expect(failed.msg).toMatchObject({ success: false, error: 'rejected: backup reserve below minimum' });

    ha.sendAction({ type: 'action', request_id: 'r3', kind: 'entity', action: 'explode' });
    const malformed = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === 'r3',
    );
    expect(malformed.msg).toMatchObject({ success: false, error: expect.stringContaining('malformed action') });
    expect(seen).toHaveLength(2);
  });

  it("answers the cards' queries with the handler's body, and refuses malformed or unanswerable ones", async () => {
    const c = await start();
    await c.waitForStatus('ready');
    const result = async (requestId: string) =>
      (await ha.waitFor((r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === requestId))
        .msg;
    // Before a handler is set, a query is answered (never left to time out in HA).
    ha.sendAction({ type: 'action', request_id: 'q0', kind: 'query', path: '/api/plan' });
    expect(await result('q0')).toMatchObject({ success: false, error: 'the add-on answers no queries' });
    const paths: string[] = [];
    c.onQuery(async (path) => {
      paths.push(path);
      if (path === '/api/dr') throw new Error('demand response is off');
      return { running: true };
    });
    ha.sendAction({ type: 'action', request_id: 'q1', kind: 'query', path: '/api/plan' });
    expect(await result('q1')).toMatchObject({ success: true, result: { body: { running: true } } });
    ha.sendAction({ type: 'action', request_id: 'q2', kind: 'query', path: '/api/dr' });
    expect(await result('q2')).toMatchObject({ success: false, error: 'demand response is off' });
    ha.sendAction({ type: 'action', request_id: 'q3', kind: 'query' });
    expect(await result('q3')).toMatchObject({ success: false, error: expect.stringContaining('malformed query') });
    expect(paths).toEqual(['/api/plan', '/api/dr']);
  });

  it('reconnects with backoff after the socket drops and declares again', async () => {
    const c = await start();
    await c.waitForStatus('ready');
    ha.dropAll();
    await ha.waitForType('smart_power_station/declare', 2);
    await c.waitForStatus('ready');
    expect(ha.connectionCount).toBe(2);
    expect(ha.of('smart_power_station/subscribe').map((r) => r.conn)).toEqual([1, 2]);
  });

  it("survives the Supervisor proxy's 502s and its auth_ok followed by a close", async () => {
    const c = await start({ rejectFirst: { count: 2, status: 502 }, closeAfterAuthFirst: 4 });
    await c.waitForStatus('ready');
    expect(ha.upgradeCount).toBeGreaterThanOrEqual(5);
    expect(ha.of('smart_power_station/declare').length).toBe(1);
  });

  it('waits for the bridge to load and declares when it announces itself', async () => {
    const c = await start({ bridgeLoaded: false });
    await c.waitForStatus('waiting_for_bridge');
    ha.bridgeLoaded = true;
    ha.fireBridgeEvent('loaded');
    await c.waitForStatus('ready');
    expect(ha.of('smart_power_station/declare')).toHaveLength(1);
  });

  it('re-declares when the bridge reloads', async () => {
    const c = await start();
    await c.waitForStatus('ready');
    ha.fireBridgeEvent('loaded');
    await ha.waitForType('smart_power_station/declare', 2);
    expect(ha.of('smart_power_station/subscribe')).toHaveLength(2);
  });

  it('stops on a protocol mismatch instead of retrying', async () => {
    const c = await start({ protocol: 2 });
    await c.waitForStatus('protocol_mismatch');
    expect(ha.of('smart_power_station/subscribe')).toHaveLength(0);
  });

  it('drops a connection whose heartbeats go unanswered and reconnects', async () => {
    const c = await start();
    await c.waitForStatus('ready');
    ha.answerHeartbeats = false;
    await ha.waitFor((r) => r.conn === 2);
    ha.answerHeartbeats = true;
    await ha.waitForType('smart_power_station/declare', 2);
    await c.waitForStatus('ready');
  });

  it('reads HA states and calls services', async () => {
    const c = await start();
    await c.waitForStatus('ready');
    expect(await c.getStates()).toEqual([expect.objectContaining({ entity_id: 'sensor.x' })]);
    await c.callService('input_boolean', 'turn_on', {}, { entity_id: 'input_boolean.x' });
    const call = await ha.waitForType('call_service');
    expect(call.msg).toMatchObject({
      domain: 'input_boolean',
      service: 'turn_on',
      target: { entity_id: 'input_boolean.x' },
    });
  });
});
