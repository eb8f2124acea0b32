import { DeviceError, type HaEntityState } from '@sps/core';
import { batteryPowerW, gridPowerW, numericValue, toEntityUnit, unitFactor } from '../src/units';

const entity = (state: string, unit?: string, entityId = 'sensor.x'): HaEntityState => ({
  entityId,
  state,
  attributes: unit === undefined ? {} : { unit_of_measurement: unit },
});

describe('HA entity units', () => {
  it('converts power from W, kW and MW to W', () => {
    expect(numericValue(entity('1500', 'W'), 'power')).toBe(1500);
    expect(numericValue(entity('1.5', 'kW'), 'power')).toBe(1500);
    expect(numericValue(entity('0.002', 'MW'), 'power')).toBe(2000);
  });

  it('converts energy from Wh, kWh and MWh to Wh', () => {
    expect(numericValue(entity('250', 'Wh'), 'energy')).toBe(250);
    expect(numericValue(entity('12.5', 'kWh'), 'energy')).toBe(12_500);
    expect(numericValue(entity('1.2', 'MWh'), 'energy')).toBe(1_200_000);
  });

  it('takes a SOC in % or without a unit, a current in A, mA or without a unit', () => {
    expect(numericValue(entity('55', '%'), 'percent')).toBe(55);
    expect(numericValue(entity('55'), 'percent')).toBe(55);
    expect(numericValue(entity('16', 'A'), 'current')).toBe(16);
    expect(numericValue(entity('16000', 'mA'), 'current')).toBe(16);
    expect(numericValue(entity('10'), 'current')).toBe(10);
  });

  it('refuses an unknown unit, naming the entity and the unit', () => {
    const check = (state: HaEntityState, quantity: Parameters<typeof unitFactor>[1]) => () =>
      unitFactor(state, quantity);
    expect(check(entity('3', 'kVA', 'sensor.inverter_power'), 'power')).toThrow(
      'sensor.inverter_power: unknown unit "kVA" (expected W, kW or MW)',
    );
    expect(check(entity('3', undefined, 'sensor.battery_power'), 'power')).toThrow(
      'sensor.battery_power: unknown unit (none) (expected W, kW or MW)',
    );
    expect(check(entity('3', 'Ah', 'sensor.soc'), 'percent')).toThrow('sensor.soc: unknown unit "Ah" (expected %)');
    expect(check(entity('3', 'W', 'sensor.e'), 'energy')).toThrow('expected Wh, kWh or MWh');
    try {
      unitFactor(entity('3', 'kVA'), 'power');
    } catch (err) {
      // bad_response: the device is unavailable until the mapping is fixed, with this reason.
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as DeviceError).kind).toBe('bad_response');
    }
  });

  it('refuses a state that is not a number, naming the entity', () => {
    expect(() => numericValue(entity('on', 'W', 'sensor.p'), 'power')).toThrow('sensor.p: "on" is not a number');
    expect(() => numericValue(entity('', 'W', 'sensor.p'), 'power')).toThrow('is not a number');
  });

  it('turns either battery sign into "positive = discharging"', () => {
    expect(batteryPowerW(entity('2', 'kW'), 'positive_discharge')).toBe(2000);
    expect(batteryPowerW(entity('2', 'kW'), 'positive_charge')).toBe(-2000);
    expect(batteryPowerW(entity('-300', 'W'), 'positive_charge')).toBe(300);
    // No negative zero (it would show as "-0" and compare unequal in JSON round trips of some tools).
    expect(Object.is(batteryPowerW(entity('0', 'W'), 'positive_charge'), 0)).toBe(true);
  });

  it('turns either grid sign into "positive = importing"', () => {
    expect(gridPowerW(entity('800', 'W'), 'positive_import')).toBe(800);
    expect(gridPowerW(entity('800', 'W'), 'positive_export')).toBe(-800);
    expect(gridPowerW(entity('-1.2', 'kW'), 'positive_export')).toBe(1200);
  });

  it("writes a value back in the entity's own unit", () => {
    expect(toEntityUnit(entity('0', 'kW'), 'power', 1800)).toBe(1.8);
    expect(toEntityUnit(entity('0', 'W'), 'power', 1800)).toBe(1800);
    expect(toEntityUnit(entity('0', 'kW'), 'power', 1234.5678)).toBe(1.235);
    expect(toEntityUnit(entity('0', 'mA'), 'current', 16)).toBe(16_000);
  });
});
