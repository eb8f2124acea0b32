import { canonicalSensor, type DeviceLimits, type EntityDescriptor, type PlatformTranslationKey } from '@sps/core';
import { CYCLE_PHASES, OPERATING_STATES } from './codec/objects.js';
import { STUDER_OPERATING_MODES, type StuderCommandName } from './commands.js';

type SensorKey = PlatformTranslationKey<'sensor'>;
type BinaryKey = PlatformTranslationKey<'binary_sensor'>;

const measurement = (key: SensorKey, name: string, deviceClass: string, unit: string): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass,
  stateClass: 'measurement',
  unit,
});

const binary = (key: BinaryKey, name: string, extra: Partial<EntityDescriptor> = {}): EntityDescriptor => ({
  key,
  platform: 'binary_sensor',
  translationKey: key,
  name,
  ...extra,
});

/** A Studer parameter in amps as an HA number, its range the Xtender's own (read at connect). */
function amps(
  key: 'charger_current' | 'ac_input_current_limit',
  name: string,
  command: StuderCommandName,
  range: { readonly min: number; readonly max: number } | undefined,
): EntityDescriptor {
  return {
    key,
    platform: 'number',
    translationKey: key,
    name,
    deviceClass: 'current',
    unit: 'A',
    min: range?.min ?? 0,
    max: range?.max ?? 100,
    step: 1,
    mode: 'box',
    entityCategory: 'config',
    command: { command: 'device_command', field: 'amps', fixed: { name: command } },
  };
}

/** An Xtender switch (1124, 1125) on its own, as an HA switch. */
function allowed(
  key: 'inverter_allowed' | 'charger_allowed',
  name: string,
  command: StuderCommandName,
): EntityDescriptor {
  return {
    key,
    platform: 'switch',
    translationKey: key,
    name,
    entityCategory: 'config',
    command: { command: 'device_command', field: 'on', fixed: { name: command } },
  };
}

export interface StuderEntityOptions {
  readonly limits: DeviceLimits;
  /** The bank's nominal voltage, V: the charge power number's step. */
  readonly nominalVoltage: number;
  /** The Xtender's ranges of 1138 and 1107, A (absent before they were read). */
  readonly chargerCurrent?: { readonly min: number; readonly max: number } | undefined;
  readonly acInputCurrentLimit?: { readonly min: number; readonly max: number } | undefined;
}

/**
 * What HA shows for a Studer installation: the battery as the Xtender and VarioTrack(s) see it, the
 * AC input and output, the inverter's state, the transfer relay (true = an AC source is connected),
 * the PV, and the parameters the add-on may write: the charge power and the inverter/charger mode
 * (the project's commands), the charger current and AC input current limit in amps and each switch
 * alone (the Studer's own `device_command`s).
 */
export function studerEntities(o: StuderEntityOptions): EntityDescriptor[] {
  const { limits, nominalVoltage } = o;
  return [
    canonicalSensor('battery_soc'),
    canonicalSensor('battery_voltage'),
    canonicalSensor('battery_current'),
    canonicalSensor('battery_power'),
    canonicalSensor('battery_temperature'),
    canonicalSensor('pv_power'),
    canonicalSensor('load_power'),
    canonicalSensor('pv_energy'),
    {
      key: 'pv_energy_today',
      platform: 'sensor',
      translationKey: 'pv_energy_today',
      name: 'PV energy today',
      deviceClass: 'energy',
      // Resets at midnight; HA's total_increasing treats that drop as a new cycle.
      stateClass: 'total_increasing',
      unit: 'Wh',
    },
    measurement('ac_input_voltage', 'AC input voltage', 'voltage', 'V'),
    measurement('ac_input_power', 'AC input power', 'power', 'W'),
    measurement('ac_output_voltage', 'AC output voltage', 'voltage', 'V'),
    measurement('ac_output_power', 'AC output power', 'power', 'W'),
    {
      key: 'operating_state',
      platform: 'sensor',
      translationKey: 'xtender_operating_state',
      name: 'Inverter state',
      deviceClass: 'enum',
      options: [...OPERATING_STATES, 'unknown'],
      icon: 'mdi:state-machine',
    },
    {
      key: 'battery_cycle_phase',
      platform: 'sensor',
      translationKey: 'battery_cycle_phase',
      name: 'Battery cycle phase',
      deviceClass: 'enum',
      options: [...CYCLE_PHASES, 'unknown'],
      icon: 'mdi:battery-sync',
    },
    binary('transfer_relay_closed', 'AC source connected (transfer relay)', {
      deviceClass: 'power', // on = power from an AC source detected
      icon: 'mdi:transmission-tower',
    }),
    amps('charger_current', 'Charger current', 'set_charger_current', o.chargerCurrent),
    amps('ac_input_current_limit', 'AC input current limit', 'set_ac_input_current_limit', o.acInputCurrentLimit),
    allowed('inverter_allowed', 'Inverter allowed', 'set_inverter_allowed'),
    allowed('charger_allowed', 'Charger allowed', 'set_charger_allowed'),
    {
      key: 'xtender_mode',
      platform: 'select',
      translationKey: 'xtender_mode',
      name: 'Inverter/charger mode',
      options: STUDER_OPERATING_MODES,
      icon: 'mdi:sine-wave',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    },
    {
      key: 'max_charge_power',
      platform: 'number',
      translationKey: 'max_charge_power',
      name: 'Charger power (charger current × nominal voltage)',
      deviceClass: 'power',
      unit: 'W',
      min: 0,
      max: limits.maxChargeW ?? 5000,
      step: nominalVoltage,
      mode: 'box',
      entityCategory: 'config',
      command: { command: 'set_charge_limit', field: 'power_w' },
    },
  ];
}
