import { ManualClock } from '@sps/core';
import {
  DEFAULT_PLUGGED_STATES,
  HaEvChargerAdapter,
  currentForPower,
  evChargerProfile,
  type HaEvChargerOptions,
} from '../src/ha-ev-charger';
import { FakeHaPort } from './fake-port';

const OPTIONS: HaEvChargerOptions = {
  switch_entity: 'switch.charger',
  current_entity: 'number.current',
  car_soc_entity: 'sensor.car_soc',
  plug_entity: 'sensor.connector_status',
  plugged_states: DEFAULT_PLUGGED_STATES,
  departure_time: '07:30',
  target_soc_pct: 80,
  phases: 3,
  voltage: 230,
  min_current_a: 6,
  max_current_a: 16,
  battery_kwh: 75,
};

function garage(): FakeHaPort {
  const ha = new FakeHaPort();
  ha.set('switch.charger', 'off');
  ha.set('number.current', '10', { unit_of_measurement: 'A', min: 6, max: 32 });
  ha.set('sensor.car_soc', '44', { unit_of_measurement: '%' });
  ha.set('sensor.connector_status', 'Available');
  return ha;
}

const charger = (ha: FakeHaPort, options = OPTIONS) =>
  new HaEvChargerAdapter({ id: 'ev', options, ha, clock: new ManualClock(0) });

describe('HaEvChargerAdapter', () => {
  it('reads plug (OCPP status), car SOC, switch, current and the power it implies', async () => {
    const ha = garage();
    const device = charger(ha);
    await device.connect();
    expect((await device.read()).values).toEqual({
      ev_plugged: false,
      ev_soc: 44,
      ev_charging: false,
      ev_charge_current: 10,
      ev_charge_limit: 6900,
      ev_charge_power: 0,
    });
    ha.set('sensor.connector_status', 'SuspendedEV');
    ha.set('switch.charger', 'on');
    expect((await device.read()).values).toMatchObject({ ev_plugged: true, ev_charging: true, ev_charge_power: 6900 });
  });

  it('takes the measured power when a power entity is mapped', async () => {
    const ha = garage();
    ha.set('sensor.charger_power', '4.1', { unit_of_measurement: 'kW' });
    const device = charger(ha, { ...OPTIONS, charger_power_entity: 'sensor.charger_power' });
    await device.connect();
    expect((await device.read()).values['ev_charge_power']).toBe(4100);
  });

  it('starts, stops and sets the current, clamped to min/max whole amps', async () => {
    const ha = garage();
    const device = charger(ha);
    await device.connect();
    await device.execute({ type: 'set_relay', on: true });
    expect(await device.execute({ type: 'set_charge_limit', power_w: 9000 })).toMatchObject({
      applied: { current_a: 13, power_w: 8970 },
      writes: 1,
    });
    expect(await device.execute({ type: 'set_charge_limit', power_w: 100_000 })).toMatchObject({
      applied: { current_a: 16 },
    });
    expect(await device.execute({ type: 'set_charge_limit', power_w: 0 })).toMatchObject({ applied: { current_a: 6 } });
    expect((await device.execute({ type: 'set_relay', on: true })).writes).toBe(0);
    await device.execute({ type: 'set_relay', on: false });
    expect(ha.calls.map((c) => `${c.domain}.${c.service} ${JSON.stringify(c.data)}`)).toEqual([
      'switch.turn_on {}',
      'number.set_value {"value":13}',
      'number.set_value {"value":16}',
      'number.set_value {"value":6}',
      'switch.turn_off {}',
    ]);
    await expect(device.execute({ type: 'force_charge', power_w: 1000 })).rejects.toMatchObject({
      kind: 'unsupported',
    });
  });

  it("keeps the current within the number's own range too (a car that allows less)", async () => {
    const ha = garage();
    ha.set('number.current', '10', { min: 5, max: 12 });
    const device = charger(ha);
    await device.connect();
    expect(await device.execute({ type: 'set_charge_limit', power_w: 100_000 })).toMatchObject({
      applied: { current_a: 12, power_w: 12 * 690 },
    });
    expect(ha.calls.at(-1)?.data).toEqual({ value: 12 });
  });

  it('declares its commands, limits and planning profile', async () => {
    const device = charger(garage());
    await device.connect();
    expect(device.describe().capabilities).toEqual({
      commands: ['set_relay', 'set_charge_limit'],
      limits: { maxChargeW: 11_040, capacityWh: 75_000 },
    });
    expect(device.profile).toEqual(evChargerProfile(OPTIONS));
    expect(device.profile).toMatchObject({
      minPowerW: 4140,
      maxPowerW: 11_040,
      stepW: 690,
      departureTime: '07:30',
      targetSocPct: 80,
      batteryWh: 75_000,
    });
  });

  it('currentForPower rounds down to whole amps within the range', () => {
    const single = { ...OPTIONS, phases: 1 as const };
    expect(currentForPower(single, 2300)).toBe(10);
    expect(currentForPower(single, 2299)).toBe(9);
    expect(currentForPower(single, 1)).toBe(6);
    expect(currentForPower(single, 1e6)).toBe(16);
  });

  it('is unavailable naming the charger entity that went away', async () => {
    const ha = garage();
    const device = charger(ha);
    await device.connect();
    ha.remove('number.current');
    await expect(device.read()).rejects.toThrow('number.current does not exist in Home Assistant');
  });
});
