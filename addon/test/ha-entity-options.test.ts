import { builtInDrivers } from '../src/drivers';
import { OptionsError, parseOptions } from '../src/options';

const battery = { name: 'Huawei battery', driver: 'ha-battery', soc_entity: 'sensor.battery_state_of_capacity' };
const charger = {
  name: 'Wallbox',
  driver: 'ha-ev-charger',
  switch_entity: 'switch.wallbox_pause_resume',
  current_entity: 'number.wallbox_maximum_charging_current',
};

function optionsError(device: Record<string, unknown>): string {
  try {
    parseOptions({ devices: [device] }, builtInDrivers);
  } catch (err) {
    if (err instanceof OptionsError) return err.line;
    throw err;
  }
  throw new Error('expected the options to be rejected');
}

const fieldsOf = (device: Record<string, unknown>): unknown =>
  parseOptions({ devices: [device] }, builtInDrivers).devices[0]?.fields;

describe('ha-battery options', () => {
  it('accepts a read-only mapping and fills the sign defaults', () => {
    expect(fieldsOf(battery)).toEqual({
      soc_entity: 'sensor.battery_state_of_capacity',
      power_sign: 'positive_discharge',
      grid_sign: 'positive_import',
    });
  });

  it('accepts a full mapping', () => {
    const fields = fieldsOf({
      ...battery,
      power_entity: 'sensor.battery_charge_discharge_power',
      power_sign: 'positive_charge',
      grid_power_entity: 'sensor.power_meter_active_power',
      grid_sign: 'positive_export',
      mode_entity: 'select.battery_working_mode',
      mode_self_consumption: 'Maximise self consumption',
      mode_force_charge: 'Time of use',
      charge_power_entity: 'number.battery_maximum_charging_power',
      backup_reserve_entity: 'number.battery_end_of_discharge_soc',
      force_discharge_script: 'script.battery_discharge',
      capacity_kwh: 10,
    });
    expect(fields).toMatchObject({ power_sign: 'positive_charge', capacity_kwh: 10 });
  });

  it('names the field of a wrong or missing entity id', () => {
    expect(optionsError({ ...battery, soc_entity: undefined })).toBe(
      'invalid options: devices[0].soc_entity: is required',
    );
    expect(optionsError({ ...battery, soc_entity: 'battery soc' })).toBe(
      'invalid options: devices[0].soc_entity: expected an entity id of sensor.…, number.…, input_number.… (e.g. sensor.battery_state_of_capacity)',
    );
    // A value is written to a number, not to a sensor.
    expect(optionsError({ ...battery, charge_power_entity: 'sensor.charge_power' })).toMatch(
      /^invalid options: devices\[0\]\.charge_power_entity: expected an entity id of number\.…, input_number\.…/,
    );
    expect(optionsError({ ...battery, restore_script: 'automation.restore' })).toMatch(
      /^invalid options: devices\[0\]\.restore_script: expected an entity id of script\.…/,
    );
    expect(optionsError({ ...battery, power_sign: 'negative' })).toBe(
      'invalid options: devices[0].power_sign: expected one of positive_discharge|positive_charge',
    );
    expect(optionsError({ ...battery, host: '10.0.0.1' })).toBe('invalid options: devices[0].host: unknown field');
  });

  it('refuses a force without a way back, and mode options without their entity', () => {
    expect(optionsError({ ...battery, force_charge_script: 'script.charge' })).toBe(
      'invalid options: devices[0].restore_script: is required to hand the battery back after a forced charge or discharge',
    );
    expect(optionsError({ ...battery, mode_entity: 'select.battery_working_mode', mode_force_charge: 'Charge' })).toBe(
      'invalid options: devices[0].mode_self_consumption: is required to hand the battery back after a forced charge or discharge',
    );
    expect(optionsError({ ...battery, mode_force_charge: 'Charge', restore_script: 'script.r' })).toBe(
      'invalid options: devices[0].mode_force_charge: needs mode_entity (the entity this option is of)',
    );
    expect(optionsError({ ...battery, mode_entity: 'select.battery_working_mode' })).toMatch(
      /^invalid options: devices\[0\]\.mode_entity: name at least one of its options/,
    );
    expect(
      optionsError({
        ...battery,
        mode_entity: 'switch.force_charge',
        mode_force_charge: 'Charge',
        mode_self_consumption: 'off',
      }),
    ).toBe(
      'invalid options: devices[0].mode_force_charge: expected on or off (mode_entity switch.force_charge is a switch)',
    );
  });
});

describe('ha-ev-charger options', () => {
  it('fills the defaults (1 phase, 230 V, 6–16 A, 80 %)', () => {
    expect(fieldsOf(charger)).toEqual({
      ...{ switch_entity: charger.switch_entity, current_entity: charger.current_entity },
      target_soc_pct: 80,
      phases: 1,
      voltage: 230,
      min_current_a: 6,
      max_current_a: 16,
    });
  });

  it('takes phases as the Supervisor sends them (text) and a state list as text', () => {
    expect(
      fieldsOf({
        ...charger,
        phases: '3',
        plug_entity: 'sensor.charger_status_connector',
        plugged_states: 'Charging, SuspendedEV ,preparing',
        departure_time: '07:30',
      }),
    ).toMatchObject({ phases: 3, plugged_states: ['charging', 'suspendedev', 'preparing'], departure_time: '07:30' });
  });

  it('names the field of a bad value', () => {
    expect(optionsError({ ...charger, phases: 2 })).toBe('invalid options: devices[0].phases: expected 1 or 3');
    expect(optionsError({ ...charger, departure_time: '7:30' })).toBe(
      'invalid options: devices[0].departure_time: expected a time of day as HH:MM, e.g. 07:30',
    );
    expect(optionsError({ ...charger, min_current_a: 20 })).toBe(
      'invalid options: devices[0].min_current_a: 20 A is above max_current_a (16 A)',
    );
    expect(optionsError({ ...charger, current_entity: 'sensor.current' })).toMatch(
      /^invalid options: devices\[0\]\.current_entity: expected an entity id of number\.…, input_number\.…/,
    );
    expect(optionsError({ ...charger, plugged_states: 'Charging' })).toBe(
      'invalid options: devices[0].plugged_states: applies only to a sensor.… plug_entity',
    );
    expect(optionsError({ ...charger, switch_entity: undefined })).toBe(
      'invalid options: devices[0].switch_entity: is required',
    );
  });
});

describe('ha-switch options', () => {
  const plug = { name: 'Water heater plug', driver: 'ha-switch', switch_entity: 'switch.water_heater_plug' };

  it('takes a switch, light or input_boolean and an optional power sensor', () => {
    expect(fieldsOf(plug)).toEqual({ switch_entity: 'switch.water_heater_plug' });
    expect(
      fieldsOf({ ...plug, switch_entity: 'light.pool_pump', power_entity: 'sensor.water_heater_plug_power' }),
    ).toEqual({ switch_entity: 'light.pool_pump', power_entity: 'sensor.water_heater_plug_power' });
    expect(fieldsOf({ ...plug, switch_entity: ' input_boolean.well_pump ' })).toEqual({
      switch_entity: 'input_boolean.well_pump',
    });
  });

  it('names the field of a wrong or missing entity id', () => {
    expect(optionsError({ ...plug, switch_entity: undefined })).toBe(
      'invalid options: devices[0].switch_entity: is required',
    );
    expect(optionsError({ ...plug, switch_entity: 'sensor.water_heater' })).toBe(
      'invalid options: devices[0].switch_entity: expected an entity id of switch.…, input_boolean.…, light.… (e.g. switch.water_heater_plug)',
    );
    expect(optionsError({ ...plug, power_entity: 'switch.power' })).toMatch(
      /^invalid options: devices\[0\]\.power_entity: expected an entity id of sensor\.…/,
    );
    expect(optionsError({ ...plug, current_entity: 'number.current' })).toBe(
      'invalid options: devices[0].current_entity: unknown field',
    );
  });

  it('carries a deferrable load', () => {
    const config = parseOptions(
      {
        devices: [plug],
        deferrable_loads: [{ name: 'water_heater', device: 'Water heater plug', power_w: 2000, run_minutes: 120 }],
      },
      builtInDrivers,
    );
    expect(config.deferrableLoads).toMatchObject([{ deviceId: 'water_heater_plug', channel: 0 }]);
    expect(() =>
      parseOptions(
        {
          devices: [plug],
          deferrable_loads: [
            { name: 'water_heater', device: 'Water heater plug', channel: 1, power_w: 2000, run_minutes: 120 },
          ],
        },
        builtInDrivers,
      ),
    ).toThrow('deferrable_loads[0].channel: an ha-switch device has one channel (0), not 1');
  });
});
