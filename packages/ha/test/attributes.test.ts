import { ManualClock } from '@sps/core';
import {
  HaBridgeClient,
  StateCoalescer,
  mapEntity,
  silentLogger,
  type BridgeDevice,
  type HaStateUpdate,
} from '../src/index.js';
import { FakeHa } from './fakeHa.js';

describe('state attributes and unrecorded attributes', () => {
  it('declares unrecorded_attributes only when the entity has some', () => {
    const base = {
      key: 'import_price_forecast',
      platform: 'sensor',
      translationKey: 'import_price_forecast',
      name: 'Import price forecast',
    } as const;
    expect(mapEntity({ ...base, unrecordedAttributes: ['forecast'] }).declaration).toMatchObject({
      unrecorded_attributes: ['forecast'],
    });
    expect(mapEntity(base).declaration).not.toHaveProperty('unrecorded_attributes');
    expect(mapEntity({ ...base, unrecordedAttributes: [] }).declaration).not.toHaveProperty('unrecorded_attributes');
  });

  it('sends attributes with a state only when they change, and again after a replay', async () => {
    const clock = new ManualClock();
    const batches: HaStateUpdate[][] = [];
    const coalescer = new StateCoalescer(clock, { sendStates: (b) => (batches.push(b), true) });
    const forecast = [{ start: '2026-01-01T00:00:00.000Z', value: 0.3 }];
    coalescer.offer('opt', 'price_forecast', 0.3, false, { forecast });
    await clock.advance(0);
    coalescer.offer('opt', 'price_forecast', 0.3, false, { forecast: [...forecast] }); // same content
    await clock.advance(0);
    coalescer.offer('opt', 'price_forecast', 0.4, false, { forecast });
    await clock.advance(0);
    coalescer.offer('opt', 'price_forecast', 0.4, false, { forecast: [] });
    await clock.advance(0);
    coalescer.replayAll();
    await clock.advance(0);
    expect(batches).toEqual([
      [{ device_id: 'opt', key: 'price_forecast', state: 0.3, attributes: { forecast } }],
      [{ device_id: 'opt', key: 'price_forecast', state: 0.4 }],
      [{ device_id: 'opt', key: 'price_forecast', state: 0.4, attributes: { forecast: [] } }],
      [{ device_id: 'opt', key: 'price_forecast', state: 0.4, attributes: { forecast: [] } }],
    ]);
  });
});

describe('HaBridgeClient.publishState and sendCommand', () => {
  const device: BridgeDevice = {
    id: 'sps:optimiser',
    info: { manufacturer: 'Smart Power Station', model: 'Prices and forecasts', serial: 'sps_optimiser' },
    entities: [
      { key: 'price_spike', platform: 'binary_sensor', translationKey: 'price_spike', name: 'Price spike' },
      {
        key: 'solar_forecast',
        platform: 'sensor',
        translationKey: 'solar_forecast',
        name: 'Solar forecast',
        unit: 'kW',
        unrecordedAttributes: ['forecast'],
      },
    ],
  };
  let ha: FakeHa;
  let client: HaBridgeClient;

  beforeEach(async () => {
    ha = new FakeHa();
    const url = await ha.start();
    client = new HaBridgeClient({ url, token: 'test-token-123', addonVersion: '0.1.0', logger: silentLogger });
    await client.declare([device]);
    client.start();
    await client.waitForStatus('ready');
  });

  afterEach(async () => {
    await client.stop();
    await ha.stop();
  });

  it('declares the unrecorded attributes and delivers a state with its attributes', async () => {
    const declare = (await ha.waitForType('smart_power_station/declare')).msg;
    const entities = (declare['devices'] as { entities: Record<string, unknown>[] }[])[0]?.entities;
    expect(entities?.[1]).toMatchObject({ key: 'solar_forecast', unrecorded_attributes: ['forecast'] });

    const forecast = [{ start: '2026-01-01T00:00:00.000Z', value: 1.5 }];
    client.publishState('sps:optimiser', 'solar_forecast', 1.5, { forecast });
    client.publishState('sps:optimiser', 'price_spike', false);
    client.publishState('sps:optimiser', 'not_declared', 1);
    const states = await ha.waitForType('smart_power_station/states');
    expect(states.msg['states']).toEqual([
      { device_id: 'sps:optimiser', key: 'solar_forecast', state: 1.5, attributes: { forecast } },
      { device_id: 'sps:optimiser', key: 'price_spike', state: false },
    ]);
  });

  it('runs any websocket command and passes HA errors on', async () => {
    ha.commandResults.set('energy/solar_forecast', { entry1: { wh_hours: { '2026-01-01T00:00:00+00:00': 500 } } });
    await expect(client.sendCommand({ type: 'energy/solar_forecast' })).resolves.toEqual({
      entry1: { wh_hours: { '2026-01-01T00:00:00+00:00': 500 } },
    });
    await expect(client.sendCommand({ type: 'no/such_command' })).rejects.toMatchObject({ code: 'unknown_command' });
  });
});
