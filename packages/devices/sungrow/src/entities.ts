import {
  canonicalSensor,
  type CanonicalReadingKey,
  type DeviceLimits,
  type EntityDescriptor,
  type PlatformTranslationKey,
} from '@sps/core';
import { RUNNING_STATE_OPTIONS } from './codec/status.js';
import { SUNGROW_OPERATING_MODES } from './command-plan.js';

const CANONICAL_SENSORS: readonly CanonicalReadingKey[] = [
  'battery_soc',
  'battery_soh',
  'battery_power',
  'battery_voltage',
  'battery_current',
  'battery_temperature',
  'pv_power',
  'grid_power',
  'load_power',
  'export_power',
  'inverter_temperature',
  'pv_energy',
  'grid_import_energy',
  'grid_export_energy',
  'battery_charge_energy',
  'battery_discharge_energy',
  'load_energy',
];

const TODAY_COUNTERS: readonly [PlatformTranslationKey<'sensor'>, string][] = [
  ['pv_energy_today', 'PV energy today'],
  ['grid_import_energy_today', 'Grid import energy today'],
  ['grid_export_energy_today', 'Grid export energy today'],
  ['battery_charge_energy_today', 'Battery charge energy today'],
  ['battery_discharge_energy_today', 'Battery discharge energy today'],
  ['load_energy_today', 'Load energy today'],
  ['inverter_output_energy_today', 'Inverter output energy today'],
];

const energySensor = (key: PlatformTranslationKey<'sensor'>, name: string): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass: 'energy',
  // Daily counters reset at midnight; HA's total_increasing treats that drop as a new cycle.
  stateClass: 'total_increasing',
  unit: 'Wh',
});

const flag = (key: PlatformTranslationKey<'binary_sensor'>, name: string, icon: string): EntityDescriptor => ({
  key,
  platform: 'binary_sensor',
  translationKey: key,
  name,
  icon,
  entityCategory: 'diagnostic',
});

/** What HA shows for a Sungrow SH: every reading as a sensor, every control bound to its command. */
export function sungrowEntities(limits: DeviceLimits): EntityDescriptor[] {
  const maxCharge = limits.maxChargeW ?? 10_000;
  const maxDischarge = limits.maxDischargeW ?? 10_000;
  const maxExport = limits.maxExportW ?? 10_000;
  return [
    ...CANONICAL_SENSORS.map((key) => canonicalSensor(key)),
    energySensor('inverter_output_energy', 'Inverter output energy'),
    ...TODAY_COUNTERS.map(([key, name]) => energySensor(key, name)),
    {
      key: 'battery_capacity',
      platform: 'sensor',
      translationKey: 'battery_capacity',
      name: 'Battery capacity',
      deviceClass: 'energy_storage',
      stateClass: 'measurement',
      unit: 'Wh',
      entityCategory: 'diagnostic',
    },
    {
      key: 'running_state',
      platform: 'sensor',
      translationKey: 'running_state',
      name: 'Running state',
      deviceClass: 'enum',
      options: RUNNING_STATE_OPTIONS,
      icon: 'mdi:state-machine',
    },
    {
      key: 'running_state_code',
      platform: 'sensor',
      translationKey: 'running_state_code',
      name: 'Running state code',
      entityCategory: 'diagnostic',
      enabledByDefault: false,
    },
    {
      // The EMS's upper SOC limit (holding register 13058, ×0.1 %): the plan cannot charge above it.
      key: 'max_soc',
      platform: 'sensor',
      translationKey: 'max_soc',
      name: 'Maximum SOC',
      deviceClass: 'battery',
      stateClass: 'measurement',
      unit: '%',
      entityCategory: 'diagnostic',
    },
    {
      key: 'forced_command',
      platform: 'sensor',
      translationKey: 'forced_command',
      name: 'Forced charge/discharge command',
      deviceClass: 'enum',
      options: ['charge', 'discharge', 'stop', 'unknown'],
      entityCategory: 'diagnostic',
    },
    {
      key: 'forced_power',
      platform: 'sensor',
      translationKey: 'forced_power',
      name: 'Forced charge/discharge power',
      deviceClass: 'power',
      stateClass: 'measurement',
      unit: 'W',
      entityCategory: 'diagnostic',
    },
    ...(['bms_max_charge_current', 'bms_max_discharge_current'] as const).map((key): EntityDescriptor => ({
      key,
      platform: 'sensor',
      translationKey: key,
      name: key === 'bms_max_charge_current' ? 'BMS max charge current' : 'BMS max discharge current',
      deviceClass: 'current',
      stateClass: 'measurement',
      unit: 'A',
      entityCategory: 'diagnostic',
    })),
    flag('pv_generating', 'PV generating', 'mdi:solar-power'),
    flag('battery_charging', 'Battery charging', 'mdi:battery-arrow-up'),
    flag('battery_discharging', 'Battery discharging', 'mdi:battery-arrow-down'),
    flag('grid_exporting', 'Exporting to grid', 'mdi:transmission-tower-export'),
    flag('grid_importing', 'Importing from grid', 'mdi:transmission-tower-import'),
    flag('export_limit_enabled', 'Export limit enabled', 'mdi:transmission-tower-off'),
    {
      key: 'ems_mode',
      platform: 'select',
      translationKey: 'ems_mode',
      name: 'EMS mode',
      options: SUNGROW_OPERATING_MODES,
      icon: 'mdi:cog-transfer',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    },
    {
      key: 'backup_reserve',
      platform: 'number',
      translationKey: 'backup_reserve',
      name: 'Backup reserve (min SOC)',
      unit: '%',
      min: limits.minBackupReservePct ?? 0,
      max: limits.maxBackupReservePct ?? 100,
      step: 1,
      mode: 'slider',
      icon: 'mdi:battery-lock',
      entityCategory: 'config',
      command: { command: 'set_backup_reserve', field: 'percent' },
    },
    controlPower('max_charge_power', 'Battery max charge power', maxCharge, 10, 'set_charge_limit'),
    controlPower('max_discharge_power', 'Battery max discharge power', maxDischarge, 10, 'set_discharge_limit'),
    controlPower('export_limit', 'Export power limit', maxExport, 1, 'set_export_limit'),
    {
      key: 'restore_normal',
      platform: 'button',
      translationKey: 'restore_normal',
      name: 'Restore normal operation',
      icon: 'mdi:restore',
      command: { command: 'restore_normal' },
    },
  ];
}

function controlPower(
  key: PlatformTranslationKey<'number'>,
  name: string,
  max: number,
  step: number,
  command: 'set_charge_limit' | 'set_discharge_limit' | 'set_export_limit',
): EntityDescriptor {
  return {
    key,
    platform: 'number',
    translationKey: key,
    name,
    deviceClass: 'power',
    unit: 'W',
    min: 0,
    max,
    step,
    mode: 'box',
    entityCategory: 'config',
    command: { command, field: 'power_w' },
  };
}
