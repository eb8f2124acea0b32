import { canonicalSensor, type DeviceLimits, type EntityDescriptor, type PlatformTranslationKey } from '@sps/core';
import { CYCLE_PHASES, OPERATING_STATES } from './codec/objects.js';
import { STUDER_OPERATING_MODES } from './commands.js';

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

/**
 * What HA shows for a Studer installation: the battery as the Xtender and VarioTrack(s) see it, the
 * AC input and output, the inverter's state, the transfer relay (true = an AC source is connected),
 * the PV, and the parameters the add-on may write (charge power, the inverter/charger mode).
 */
export function studerEntities(limits: DeviceLimits, nominalVoltage: number): EntityDescriptor[] {
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
    { ...measurement('charger_current', 'Charger current', 'current', 'A'), entityCategory: 'diagnostic' },
    {
      ...measurement('ac_input_current_limit', 'AC input current limit', 'current', 'A'),
      entityCategory: 'diagnostic',
    },
    binary('inverter_allowed', 'Inverter allowed', { entityCategory: 'diagnostic' }),
    binary('charger_allowed', 'Charger allowed', { entityCategory: 'diagnostic' }),
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
