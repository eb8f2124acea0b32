import { HaBridgeClient, HaEntityStates, silentLogger } from '../src/index.js';
import { FakeHa } from './fakeHa.js';

/** Polls until `check` holds; fails with `what` after 10 s (never on speed alone). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let ha: FakeHa;
let client: HaBridgeClient;
let states: HaEntityStates;

beforeEach(async () => {
  ha = new FakeHa();
  ha.setEntity('sensor.soc', '55', { unit_of_measurement: '%' });
  ha.setEntity('sensor.unwatched', '1');
  const url = await ha.start();
  client = new HaBridgeClient({
    url,
    token: 'test-token-123',
    addonVersion: '0.1.0',
    logger: silentLogger,
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
  });
  states = new HaEntityStates(silentLogger);
  states.attach(client);
});

afterEach(async () => {
  states.stop();
  await client.stop();
  await ha.stop();
});

describe('HaEntityStates', () => {
  it('is disconnected until HA has sent the watched states, then follows changes, additions and removals', async () => {
    let changes = 0;
    states.watch(['sensor.soc', 'sensor.later'], () => changes++);
    expect(states.lookup('sensor.soc')).toEqual({ status: 'disconnected' });
    client.start();
    await until(() => states.lookup('sensor.soc').status === 'present', 'the first states');
    // Only the watched entities are asked for.
    expect(ha.of('subscribe_entities')[0]?.msg['entity_ids']).toEqual(['sensor.soc', 'sensor.later']);
    expect(states.lookup('sensor.soc')).toEqual({
      status: 'present',
      state: { entityId: 'sensor.soc', state: '55', attributes: { unit_of_measurement: '%' } },
    });
    expect(states.lookup('sensor.later')).toEqual({ status: 'missing' });

    const before = changes;
    ha.setEntity('sensor.soc', '56');
    await until(() => states.lookup('sensor.soc').status === 'present' && changes > before, 'a change');
    expect(states.lookup('sensor.soc')).toMatchObject({
      state: { state: '56', attributes: { unit_of_measurement: '%' } },
    });

    ha.setEntity('sensor.later', '7', { unit_of_measurement: 'W' });
    await until(() => states.lookup('sensor.later').status === 'present', 'an entity created later');
    ha.removeEntity('sensor.soc');
    await until(() => states.lookup('sensor.soc').status === 'missing', 'a removed entity');
  });

  it('subscribes again after a lost connection, and widens the subscription for an entity watched later', async () => {
    states.watch(['sensor.soc'], () => undefined);
    client.start();
    await until(() => states.lookup('sensor.soc').status === 'present', 'the first states');

    ha.dropAll();
    await until(() => states.lookup('sensor.soc').status === 'disconnected', 'the connection lost');
    ha.setEntity('sensor.soc', '60');
    await until(() => states.lookup('sensor.soc').status === 'present', 'the states after the reconnect');
    expect(states.lookup('sensor.soc')).toMatchObject({ state: { state: '60' } });

    ha.setEntity('sensor.grid', '300', { unit_of_measurement: 'W' });
    states.watch(['sensor.grid'], () => undefined);
    await until(() => states.lookup('sensor.grid').status === 'present', 'the widened subscription');
    expect(ha.of('subscribe_entities').at(-1)?.msg['entity_ids']).toEqual(['sensor.soc', 'sensor.grid']);
    // The narrower subscription is ended once the wider one runs.
    await until(() => ha.of('unsubscribe_events').length > 0, 'the old subscription ended');
  });

  it('calls services on the connection, and refuses without one', async () => {
    await expect(states.callService('number', 'set_value', { value: 3 }, 'number.x')).rejects.toThrow(
      'not connected to Home Assistant',
    );
    states.watch(['sensor.soc'], () => undefined);
    client.start();
    await until(() => states.lookup('sensor.soc').status === 'present', 'the first states');
    await states.callService('number', 'set_value', { value: 3 }, 'number.x');
    expect(ha.of('call_service').at(-1)?.msg).toMatchObject({
      domain: 'number',
      service: 'set_value',
      service_data: { value: 3 },
      target: { entity_id: 'number.x' },
    });
  });

  it('settles once HA has reported on every watched entity (present or missing)', async () => {
    states.watch(['sensor.soc', 'sensor.never'], () => undefined);
    let settled = false;
    const waiting = states.settled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    client.start();
    await waiting;
    expect(states.lookup('sensor.soc').status).toBe('present');
    expect(states.lookup('sensor.never').status).toBe('missing');
    await expect(states.settled()).resolves.toBeUndefined();
  });

  it('ignores a malformed message without losing the states it has', async () => {
    states.watch(['sensor.soc'], () => undefined);
    client.start();
    await until(() => states.lookup('sensor.soc').status === 'present', 'the first states');
    // A change with a non-text state is not HA's format: dropped, the known state stays.
    (ha as unknown as { sendEntityEvent(id: string, e: unknown): void }).sendEntityEvent('sensor.soc', {
      c: { 'sensor.soc': { '+': { s: 42 } } },
    });
    ha.setEntity('sensor.soc', '57');
    await until(() => {
      const found = states.lookup('sensor.soc');
      return found.status === 'present' && found.state.state === '57';
    }, 'the next good change');
  });
});
