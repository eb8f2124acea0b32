import { canonicalSensor, type EntityDescriptor, type PlatformTranslationKey } from '@sps/core';
import { BMS_FLAGS, type BmsFlag } from './codec/bits.js';

type SensorKey = PlatformTranslationKey<'sensor'>;
type BinaryKey = PlatformTranslationKey<'binary_sensor'>;

const sensor = (key: SensorKey, name: string, extra: Partial<EntityDescriptor>): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  ...extra,
});

const binary = (key: BinaryKey, name: string, extra: Partial<EntityDescriptor> = {}): EntityDescriptor => ({
  key,
  platform: 'binary_sensor',
  translationKey: key,
  name,
  ...extra,
});

/** "protection_cell_overvoltage" → "Protection: cell overvoltage" (the web panel's label; HA uses the translation). */
export function flagName(flag: BmsFlag): string {
  const [kind, ...rest] = flag.split('_');
  return `${kind === 'protection' ? 'Protection' : 'Alarm'}: ${rest.join(' ')}`;
}

/**
 * What HA shows for a Pylontech-protocol BMS: the battery's sensors, the limits it gives the inverter,
 * its request flags, and every protection and alarm flag as a `problem` binary sensor of its own.
 */
export function pylontechEntities(): EntityDescriptor[] {
  const volts = { deviceClass: 'voltage', stateClass: 'measurement', unit: 'V' } as const;
  const amps = { deviceClass: 'current', stateClass: 'measurement', unit: 'A' } as const;
  return [
    canonicalSensor('battery_soc'),
    canonicalSensor('battery_soh'),
    canonicalSensor('battery_voltage', { suggestedDisplayPrecision: 2 }),
    canonicalSensor('battery_current', { suggestedDisplayPrecision: 1 }),
    canonicalSensor('battery_power', { suggestedDisplayPrecision: 0 }),
    canonicalSensor('battery_temperature', { suggestedDisplayPrecision: 1 }),
    sensor('charge_voltage_limit', 'Charge voltage limit', volts),
    sensor('discharge_voltage_limit', 'Discharge voltage limit', volts),
    sensor('charge_current_limit', 'Charge current limit', amps),
    sensor('discharge_current_limit', 'Discharge current limit', amps),
    sensor('module_count', 'Battery modules', { stateClass: 'measurement', entityCategory: 'diagnostic' }),
    // The reading is `manufacturer`; its translation key says whose, beside other devices' sensors.
    { ...sensor('bms_manufacturer', 'BMS manufacturer', { entityCategory: 'diagnostic' }), key: 'manufacturer' },
    binary('charge_enabled', 'Charging allowed'),
    binary('discharge_enabled', 'Discharging allowed'),
    binary('force_charge_request', 'Force-charge request'),
    binary('force_charge_request_low_soc', 'Force-charge request (low SOC)'),
    binary('full_charge_request', 'Full-charge request'),
    ...BMS_FLAGS.map((flag) => binary(flag, flagName(flag), { deviceClass: 'problem' })),
  ];
}
