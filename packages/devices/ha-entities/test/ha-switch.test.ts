import { ManualClock } from '@sps/core';
import { HaSwitchAdapter, type HaSwitchOptions } from '../src/ha-switch';
import { FakeHaPort } from './fake-port';

const OPTIONS: HaSwitchOptions = {
  switch_entity: 'switch.water_heater_plug',
  power_entity: 'sensor.water_heater_plug_power',
};

function plug(): FakeHaPort {
  const ha = new FakeHaPort();
  ha.set('switch.water_heater_plug', 'off');
  ha.set('sensor.water_heater_plug_power', '0.0', { unit_of_measurement: 'kW' });
  return ha;
}

const relay = (ha: FakeHaPort, options: HaSwitchOptions = OPTIONS) =>
  new HaSwitchAdapter({ id: 'water_heater', options, ha, clock: new ManualClock(0) });

describe('HaSwitchAdapter', () => {
  it('reads the relay and the power sensor in its unit (kW → W)', async () => {
    const ha = plug();
    const device = relay(ha);
    await device.connect();
    expect((await device.read()).values).toEqual({ relay_on: false, load_power: 0 });
    ha.set('switch.water_heater_plug', 'on');
    ha.set('sensor.water_heater_plug_power', '2.05');
    expect((await device.read()).values).toEqual({ relay_on: true, load_power: 2050 });
    expect(device.describe().entities.map((e) => `${e.platform}.${e.key}`)).toEqual([
      'switch.relay_on',
      'sensor.load_power',
    ]);
  });

  it('without a power sensor reads the relay alone and shows no power entity', async () => {
    const ha = plug();
    const device = relay(ha, { switch_entity: 'switch.water_heater_plug' });
    await device.connect();
    expect((await device.read()).values).toEqual({ relay_on: false });
    expect(device.describe().entities.map((e) => e.key)).toEqual(['relay_on']);
  });

  it("set_relay calls the entity's own domain service, and only when the state differs", async () => {
    const ha = plug();
    ha.set('light.pool_pump', 'off');
    ha.set('input_boolean.well_pump', 'on');
    for (const entity of ['switch.water_heater_plug', 'light.pool_pump', 'input_boolean.well_pump']) {
      const device = relay(ha, { switch_entity: entity });
      await device.connect();
      await device.execute({ type: 'set_relay', on: true });
      await device.execute({ type: 'set_relay', on: false });
    }
    expect(ha.calls.map((c) => `${c.domain}.${c.service} ${c.entityId}`)).toEqual([
      'switch.turn_on switch.water_heater_plug',
      'switch.turn_off switch.water_heater_plug',
      'light.turn_on light.pool_pump',
      'light.turn_off light.pool_pump',
      // already on: no call
      'input_boolean.turn_off input_boolean.well_pump',
    ]);
  });

  it('two commands at once reach HA in order, the second deciding on the state the first left', async () => {
    const ha = plug();
    const device = relay(ha);
    await device.connect();
    const outcomes = await Promise.all([
      device.execute({ type: 'set_relay', on: true }),
      device.execute({ type: 'set_relay', on: true }),
      device.execute({ type: 'set_relay', on: false }),
    ]);
    expect(outcomes.map((o) => o.writes)).toEqual([1, 0, 1]);
    expect(ha.calls.map((c) => c.service)).toEqual(['turn_on', 'turn_off']);
    expect((await device.read()).values['relay_on']).toBe(false);
  });

  it('refuses what a switch cannot do, and a channel other than 0', async () => {
    const ha = plug();
    const device = relay(ha);
    await device.connect();
    await expect(device.execute({ type: 'force_charge', power_w: 100 })).rejects.toThrow(
      'an HA switch cannot do force_charge',
    );
    await expect(device.execute({ type: 'set_relay', on: true, channel: 1 })).rejects.toThrow('one channel (0)');
    await expect(device.execute({ type: 'set_relay', on: 'yes' })).rejects.toThrow();
    expect(ha.calls).toEqual([]);
  });

  it("HA's refusal is the command's error, naming the entity", async () => {
    const ha = plug();
    ha.failWith = () => new Error('Entity is not available');
    const device = relay(ha);
    await device.connect();
    await expect(device.execute({ type: 'set_relay', on: true })).rejects.toThrow(
      'switch.turn_on on switch.water_heater_plug: Entity is not available',
    );
  });

  it("pushes a manual switch in HA at once (the load's policy sees the user's hand)", async () => {
    const ha = plug();
    const device = relay(ha);
    const pushed: unknown[] = [];
    device.events.on('readings', (r) => pushed.push(r.values['relay_on']));
    await device.connect();
    ha.set('switch.water_heater_plug', 'on');
    ha.set('switch.water_heater_plug', 'off');
    expect(pushed).toEqual([true, false]);
  });

  it('is unavailable naming a missing or unavailable entity, and says when it is back', async () => {
    const ha = plug();
    const device = relay(ha);
    const availability: string[] = [];
    device.events.on('availability', (a) => availability.push(a.available ? 'up' : (a.reason ?? '')));
    await device.connect();
    ha.set('switch.water_heater_plug', 'unavailable');
    expect(availability.at(-1)).toBe('bad response: switch.water_heater_plug is unavailable in Home Assistant');
    await expect(device.connect()).rejects.toThrow('switch.water_heater_plug is unavailable in Home Assistant');
    await device.close();
    ha.set('switch.water_heater_plug', 'off');
    expect(availability.at(-1)).toBe('up');
    await device.connect();
    ha.remove('sensor.water_heater_plug_power');
    await expect(device.read()).rejects.toThrow('sensor.water_heater_plug_power does not exist in Home Assistant');
    expect(ha.watcherCount()).toBe(1);
  });

  it('without an HA connection it cannot connect, and says so', async () => {
    const device = new HaSwitchAdapter({ id: 'x', options: OPTIONS, ha: undefined, clock: new ManualClock(0) });
    await expect(device.connect()).rejects.toThrow();
  });
});
