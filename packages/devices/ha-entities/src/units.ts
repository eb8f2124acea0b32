import { DeviceError, type HaEntityState } from '@sps/core';

/**
 * HA entity state → the project's units. HA states are text; the unit is the entity's
 * `unit_of_measurement` attribute. An entity whose unit we do not know is an error that names the
 * entity: guessing would turn a kW sensor into a 1000× smaller W reading.
 */

const POWER_FACTORS: Readonly<Record<string, number>> = { W: 1, kW: 1000, MW: 1_000_000 };
const ENERGY_FACTORS: Readonly<Record<string, number>> = { Wh: 1, kWh: 1000, MWh: 1_000_000 };
const CURRENT_FACTORS: Readonly<Record<string, number>> = { A: 1, mA: 0.001 };

/** States HA uses for "no value"; they make the device unavailable, naming the entity. */
export const NO_VALUE_STATES: ReadonlySet<string> = new Set(['unavailable', 'unknown', '']);

export type Quantity = 'power' | 'energy' | 'percent' | 'current';

function unitOf(state: HaEntityState): string | undefined {
  const unit = state.attributes['unit_of_measurement'];
  return typeof unit === 'string' ? unit.trim() : undefined;
}

/** The factor from the entity's unit to W, Wh, % or A; throws naming the entity and its unit. */
export function unitFactor(state: HaEntityState, quantity: Quantity): number {
  const unit = unitOf(state);
  switch (quantity) {
    case 'percent':
      // A SOC sensor without a unit (some template sensors) is taken as %; anything else is not.
      if (unit === undefined || unit === '' || unit === '%') return 1;
      break;
    case 'power':
      if (unit !== undefined && unit in POWER_FACTORS) return POWER_FACTORS[unit] as number;
      break;
    case 'energy':
      if (unit !== undefined && unit in ENERGY_FACTORS) return ENERGY_FACTORS[unit] as number;
      break;
    case 'current':
      // A number entity for a charging current often has no unit; it is in A by this option's definition.
      if (unit === undefined || unit === '') return 1;
      if (unit in CURRENT_FACTORS) return CURRENT_FACTORS[unit] as number;
      break;
  }
  const expected = { power: 'W, kW or MW', energy: 'Wh, kWh or MWh', percent: '%', current: 'A or mA' }[quantity];
  throw new DeviceError(
    'bad_response',
    `${state.entityId}: unknown unit ${unit === undefined ? '(none)' : `"${unit}"`} (expected ${expected})`,
  );
}

/** The entity's numeric state in the project's unit (W, Wh, %, A). */
export function numericValue(state: HaEntityState, quantity: Quantity): number {
  const factor = unitFactor(state, quantity);
  const value = Number(state.state.trim());
  if (state.state.trim() === '' || !Number.isFinite(value)) {
    throw new DeviceError('bad_response', `${state.entityId}: "${state.state}" is not a number`);
  }
  return value * factor;
}

/** A value in the project's unit (W, %, A) written to an entity in the entity's own unit. */
export function toEntityUnit(state: HaEntityState, quantity: Quantity, value: number): number {
  // Rounded to what a person would type: kW to 3 decimals (1 W), W to whole watts.
  const converted = value / unitFactor(state, quantity);
  return Math.round(converted * 1000) / 1000;
}

/** Battery power sign: how the entity counts, turned into the project's "positive = discharging". */
export type PowerSign = 'positive_discharge' | 'positive_charge';
/** Grid power sign: how the entity counts, turned into the project's "positive = importing". */
export type GridSign = 'positive_import' | 'positive_export';

export function batteryPowerW(state: HaEntityState, sign: PowerSign): number {
  const w = numericValue(state, 'power');
  return sign === 'positive_discharge' ? w : 0 - w;
}

export function gridPowerW(state: HaEntityState, sign: GridSign): number {
  const w = numericValue(state, 'power');
  return sign === 'positive_import' ? w : 0 - w;
}
