import { DeviceError, ManualClock } from '@sps/core';
import { HaBatteryAdapter, type HaBatteryOptions } from '../src/ha-battery';
import { FakeHaPort } from './fake-port';

const MAPPING: HaBatteryOptions = {
  soc_entity: 'sensor.soc',
  power_entity: 'sensor.batt_power',
  power_sign: 'positive_charge',
  grid_power_entity: 'sensor.grid',
  grid_sign: 'positive_export',
  mode_entity: 'select.mode',
  mode_self_consumption: 'Self use',
  mode_force_charge: 'Charge',
  charge_power_entity: 'number.charge_power',
  backup_reserve_entity: 'number.reserve',
  force_discharge_script: 'script.discharge',
  capacity_kwh: 10,
};

function household(): FakeHaPort {
  const ha = new FakeHaPort();
  ha.set('sensor.soc', '61.5', { unit_of_measurement: '%' });
  ha.set('sensor.batt_power', '1.2', { unit_of_measurement: 'kW' });
  ha.set('sensor.grid', '-350', { unit_of_measurement: 'W' });
  ha.set('select.mode', 'Self use', { options: ['Self use', 'Charge'] });
  ha.set('number.charge_power', '0', { unit_of_measurement: 'kW', min: 0, max: 5 });
  ha.set('number.reserve', '10', { unit_of_measurement: '%', min: 5, max: 100 });
  ha.set('script.discharge', 'off');
  return ha;
}

const battery = (ha: FakeHaPort | undefined, options: HaBatteryOptions = MAPPING) =>
  new HaBatteryAdapter({ id: 'b', options, ha, clock: new ManualClock(Date.UTC(2026, 0, 1)) });

describe('HaBatteryAdapter', () => {
  it('reads the mapped entities in the project units and signs', async () => {
    const device = battery(household());
    await device.connect();
    const { values } = await device.read();
    expect(values).toEqual({
      battery_soc: 61.5,
      battery_power: -1200, // 1.2 kW charging
      grid_power: 350, // −350 W "exported" = importing
      operating_mode: 'Self use',
      max_charge_power: 0,
      backup_reserve: 10,
    });
  });

  it('declares only what the mapping allows, with limits from the numbers', async () => {
    const device = battery(household());
    await device.connect();
    const { capabilities } = device.describe();
    expect([...capabilities.commands].sort()).toEqual(
      ['force_charge', 'force_discharge', 'restore_normal', 'set_backup_reserve', 'set_charge_limit'].sort(),
    );
    expect(capabilities.limits).toEqual({
      maxChargeW: 5000,
      capacityWh: 10_000,
      minBackupReservePct: 5,
      maxBackupReservePct: 100,
    });

    const readOnly = battery(household(), {
      soc_entity: 'sensor.soc',
      power_sign: 'positive_discharge',
      grid_sign: 'positive_import',
    });
    await readOnly.connect();
    expect(readOnly.describe().capabilities.commands).toEqual([]);
    await expect(readOnly.execute({ type: 'restore_normal' })).rejects.toMatchObject({ kind: 'unsupported' });
  });

  it('turns commands into service calls in the entities’ own units, skipping values already set', async () => {
    const ha = household();
    const device = battery(ha);
    await device.connect();
    const charge = await device.execute({ type: 'force_charge', power_w: 2500 });
    expect(charge.writes).toBe(2);
    expect(ha.calls.map((c) => [c.domain, c.service, c.entityId, c.data])).toEqual([
      ['number', 'set_value', 'number.charge_power', { value: 2.5 }],
      ['select', 'select_option', 'select.mode', { option: 'Charge' }],
    ]);
    // The same again costs nothing.
    expect((await device.execute({ type: 'force_charge', power_w: 2500 })).writes).toBe(0);

    ha.calls.length = 0;
    await device.execute({ type: 'force_discharge', power_w: 1800 });
    expect(ha.calls).toEqual([
      { domain: 'script', service: 'discharge', data: { power_w: 1800 }, entityId: 'script.discharge' },
    ]);

    ha.calls.length = 0;
    await device.execute({ type: 'restore_normal' });
    await device.execute({ type: 'set_backup_reserve', percent: 20 });
    expect(ha.calls.map((c) => [c.service, c.entityId, c.data])).toEqual([
      ['select_option', 'select.mode', { option: 'Self use' }],
      ['set_value', 'number.reserve', { value: 20 }],
    ]);
  });

  it('runs two commands one after the other, never interleaving their service calls', async () => {
    const ha = household();
    const device = battery(ha);
    await device.connect();
    await Promise.all([
      device.execute({ type: 'force_charge', power_w: 3000 }),
      device.execute({ type: 'restore_normal' }),
    ]);
    expect(ha.calls.map((c) => c.entityId)).toEqual(['number.charge_power', 'select.mode', 'select.mode']);
    expect(ha.lookup('select.mode')).toMatchObject({ state: { state: 'Self use' } });
  });

  it('a switch as the mode entity is turned on and off', async () => {
    const ha = household();
    ha.set('switch.force_charge', 'off');
    const device = battery(ha, {
      soc_entity: 'sensor.soc',
      power_sign: 'positive_discharge',
      grid_sign: 'positive_import',
      mode_entity: 'switch.force_charge',
      mode_force_charge: 'on',
      mode_self_consumption: 'off',
    });
    await device.connect();
    await device.execute({ type: 'force_charge', power_w: 1000 });
    await device.execute({ type: 'restore_normal' });
    expect(ha.calls.map((c) => `${c.domain}.${c.service}`)).toEqual(['switch.turn_on', 'switch.turn_off']);
  });

  it('is unavailable naming a missing or unavailable entity, and pushes the change at once', async () => {
    const ha = household();
    const device = battery(ha);
    const availability: string[] = [];
    device.events.on('availability', (a) => availability.push(a.available ? 'up' : (a.reason ?? '')));
    const pushed: unknown[] = [];
    device.events.on('readings', (r) => pushed.push(r.values['battery_soc']));
    await device.connect();
    ha.set('sensor.soc', '62');
    expect(pushed).toEqual([62]);

    ha.set('sensor.grid', 'unavailable');
    expect(availability.at(-1)).toBe('bad response: sensor.grid is unavailable in Home Assistant');
    await expect(device.connect()).rejects.toThrow('sensor.grid is unavailable in Home Assistant');
    ha.set('sensor.grid', '0');
    await device.connect();
    expect(availability.at(-1)).toBe('up');

    ha.remove('number.reserve');
    await expect(device.read()).rejects.toThrow('number.reserve does not exist in Home Assistant');
  });

  it('refuses to connect when the mode select does not offer a configured option, naming both', async () => {
    const ha = household();
    const device = battery(ha, { ...MAPPING, mode_force_charge: 'Force charge' });
    await expect(device.connect()).rejects.toThrow(
      'select.mode has no option "Force charge" (it offers: Self use, Charge)',
    );
  });

  it('an unknown unit is an error naming the entity', async () => {
    const ha = household();
    ha.set('sensor.batt_power', '3', { unit_of_measurement: 'kVA' });
    const device = battery(ha);
    await device.connect();
    await expect(device.read()).rejects.toThrow('sensor.batt_power: unknown unit "kVA"');
  });

  it('without HA (or while HA is away) it says "no Home Assistant connection"', async () => {
    await expect(battery(undefined).connect()).rejects.toThrow('no Home Assistant connection');
    const ha = household();
    const device = battery(ha);
    await device.connect();
    ha.connected = false;
    await expect(device.read()).rejects.toMatchObject({
      kind: 'not_connected',
      message: 'no Home Assistant connection',
    });
    await expect(device.execute({ type: 'restore_normal' })).rejects.toBeInstanceOf(DeviceError);
  });

  it("HA's refusal of a service call is a rejected command naming the entity; the device stays available", async () => {
    const ha = household();
    ha.failWith = (call) =>
      call.entityId === 'number.reserve' ? new Error('Value 3 for number.reserve is outside 5..100') : undefined;
    const device = battery(ha);
    const availability: boolean[] = [];
    device.events.on('availability', (a) => availability.push(a.available));
    await device.connect();
    await expect(device.execute({ type: 'set_backup_reserve', percent: 3 })).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('number.set_value on number.reserve'),
    });
    expect(availability).toEqual([true]);
  });

  it('after a failed attempt (closed by the runner) it says when every entity is back', async () => {
    const ha = household();
    ha.remove('sensor.grid');
    const device = battery(ha);
    const availability: string[] = [];
    device.events.on('availability', (a) => availability.push(a.available ? 'up' : (a.reason ?? '')));
    await expect(device.connect()).rejects.toThrow('sensor.grid does not exist in Home Assistant');
    await device.close();
    ha.set('sensor.soc', '63');
    expect(availability).toEqual(['bad response: sensor.grid does not exist in Home Assistant']);
    ha.set('sensor.grid', '100', { unit_of_measurement: 'W' });
    expect(availability.at(-1)).toBe('up');
    // One watcher for the adapter's life: reconnecting adds none.
    await device.connect();
    expect(ha.watcherCount()).toBe(1);
  });
});
