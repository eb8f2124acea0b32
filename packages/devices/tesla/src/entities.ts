import { canonicalSensor, type CanonicalReadingKey, type EntityDescriptor } from '@sps/core';
import { CONTROL_STATES, GRID_CHARGING_OPTIONS } from './codec/readings.js';
import { EXPORT_RULES } from './codec/responses.js';

export const OPERATION_MODES = ['self_consumption', 'autonomous'] as const;

/** Every mode `set_operating_mode` takes: the operation, the export rule and grid charging share it. */
export const TESLEMETRY_OPERATING_MODES: readonly string[] = [
  ...OPERATION_MODES,
  ...EXPORT_RULES,
  ...GRID_CHARGING_OPTIONS,
];

const CANONICAL: readonly CanonicalReadingKey[] = [
  'battery_soc',
  'battery_power',
  'pv_power',
  'grid_power',
  'load_power',
  'pv_energy',
  'grid_import_energy',
  'grid_export_energy',
  'battery_charge_energy',
  'battery_discharge_energy',
  'load_energy',
];

const enumSensor = (
  key: 'grid_status' | 'control_state',
  name: string,
  options: readonly string[],
  icon: string,
): EntityDescriptor => ({
  key,
  translationKey: key,
  platform: 'sensor',
  name,
  deviceClass: 'enum',
  options,
  icon,
});

/** What HA shows for a Powerwall site. */
export function teslemetryEntities(): EntityDescriptor[] {
  return [
    ...CANONICAL.map((key) => canonicalSensor(key)),
    enumSensor('grid_status', 'Grid status', ['active', 'inactive', 'unknown'], 'mdi:transmission-tower'),
    {
      key: 'island_status',
      translationKey: 'island_status',
      platform: 'sensor',
      name: 'Island status',
      icon: 'mdi:island',
    },
    {
      key: 'storm_mode_active',
      translationKey: 'storm_mode_active',
      platform: 'binary_sensor',
      name: 'Storm watch active',
      icon: 'mdi:weather-lightning',
      entityCategory: 'diagnostic',
    },
    {
      key: 'battery_capacity',
      translationKey: 'battery_capacity',
      platform: 'sensor',
      name: 'Battery capacity',
      deviceClass: 'energy_storage',
      stateClass: 'measurement',
      unit: 'Wh',
      entityCategory: 'diagnostic',
    },
    {
      key: 'nameplate_power',
      translationKey: 'nameplate_power',
      platform: 'sensor',
      name: 'Nameplate power',
      deviceClass: 'power',
      unit: 'W',
      entityCategory: 'diagnostic',
    },
    enumSensor('control_state', 'Add-on control', CONTROL_STATES, 'mdi:robot'),
    {
      key: 'backup_reserve',
      translationKey: 'backup_reserve',
      platform: 'number',
      name: 'Backup reserve',
      unit: '%',
      min: 0,
      max: 100,
      step: 1,
      mode: 'slider',
      icon: 'mdi:battery-lock',
      entityCategory: 'config',
      command: { command: 'set_backup_reserve', field: 'percent' },
    },
    {
      key: 'operation_mode',
      translationKey: 'operation_mode',
      platform: 'select',
      name: 'Operation mode',
      options: OPERATION_MODES,
      icon: 'mdi:home-battery',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    },
    {
      key: 'export_rule',
      translationKey: 'export_rule',
      platform: 'select',
      name: 'Export rule',
      options: EXPORT_RULES,
      icon: 'mdi:transmission-tower-export',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    },
    {
      key: 'grid_charging',
      translationKey: 'grid_charging',
      platform: 'select',
      name: 'Grid charging',
      options: GRID_CHARGING_OPTIONS,
      icon: 'mdi:transmission-tower-import',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    },
    {
      key: 'restore_normal',
      translationKey: 'restore_normal',
      platform: 'button',
      name: 'Restore normal operation',
      icon: 'mdi:restore',
      command: { command: 'restore_normal' },
    },
  ];
}
