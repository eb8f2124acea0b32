import { DR_EVENT_TYPE, HaBridgeClient, silentLogger } from '../src/index.js';
import { FakeHa } from './fakeHa.js';

describe('HaBridgeClient.fireEvent', () => {
  let ha: FakeHa;
  let client: HaBridgeClient;

  beforeEach(async () => {
    ha = new FakeHa();
    const url = await ha.start();
    client = new HaBridgeClient({ url, token: 'test-token-123', addonVersion: '0.1.0', logger: silentLogger });
  });

  afterEach(async () => {
    await client.stop();
    await ha.stop();
  });

  it('is dropped (false) while the session is not ready, never rejecting', async () => {
    await expect(client.fireEvent(DR_EVENT_TYPE, { kind: 'received' })).resolves.toBe(false);
    expect(ha.of('smart_power_station/fire_event')).toEqual([]);
  });

  it('sends smart_power_station/fire_event with the type and data once ready', async () => {
    ha.commandResults.set('smart_power_station/fire_event', { fired: DR_EVENT_TYPE });
    client.start();
    await client.waitForStatus('ready');
    await expect(client.fireEvent(DR_EVENT_TYPE, { kind: 'started', event_id: 'e1' })).resolves.toBe(true);
    const sent = await ha.waitForType('smart_power_station/fire_event');
    expect(sent.msg).toMatchObject({ event_type: 'smart_power_station_dr_event', event_data: { kind: 'started' } });
  });

  it('answers false when the bridge is too old to know the command', async () => {
    client.start();
    await client.waitForStatus('ready');
    await expect(client.fireEvent(DR_EVENT_TYPE, { kind: 'ended' })).resolves.toBe(false);
  });
});
