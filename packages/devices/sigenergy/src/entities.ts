import {
  canonicalSensor,
  type CanonicalReadingKey,
  type DeviceLimits,
  type EntityDescriptor,
  type PlatformTranslationKey,
} from '@sps/core';
import {
  EMS_WORK_MODE_OPTIONS,
  GRID_STATE_OPTIONS,
  REMOTE_EMS_MODE_OPTIONS,
  RUNNING_STATE_OPTIONS,
  SIGENERGY_OPERATING_MODES,
} from './codec/states.js';

const CANONICAL_SENSORS: readonly CanonicalReadingKey[] = [
  'battery_soc',
  'battery_soh',
  'battery_power',
  'battery_temperature',
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

type SensorKey = PlatformTranslationKey<'sensor'>;

const power = (key: SensorKey, name: string, extra: Partial<EntityDescriptor> = {}): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass: 'power',
  stateClass: 'measurement',
  unit: 'W',
  ...extra,
});

const energyStorage = (key: SensorKey, name: string): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass: 'energy_storage',
  stateClass: 'measurement',
  unit: 'Wh',
});

/** `translationKey` differs from `key` where another device's key of the same name has other states. */
const enumSensor = (
  key: string,
  translationKey: SensorKey,
  name: string,
  options: readonly string[],
  icon: string,
): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey,
  name,
  deviceClass: 'enum',
  options,
  icon,
});

const percentSensor = (key: SensorKey, name: string): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  unit: '%',
  stateClass: 'measurement',
  entityCategory: 'diagnostic',
});

/** What HA shows for a SigenStor plant: every reading as a sensor, every remote EMS control bound to its command. */
export function sigenergyEntities(limits: DeviceLimits): EntityDescriptor[] {
  const maxCharge = limits.maxChargeW ?? 10_000;
  const maxDischarge = limits.maxDischargeW ?? 10_000;
  const maxExport = limits.maxExportW ?? 10_000;
  return [
    ...CANONICAL_SENSORS.map((key) => canonicalSensor(key)),
    {
      key: 'load_energy_today',
      platform: 'sensor',
      translationKey: 'load_energy_today',
      name: 'Load energy today',
      deviceClass: 'energy',
      // Resets at midnight; HA's total_increasing treats that drop as a new cycle.
      stateClass: 'total_increasing',
      unit: 'Wh',
    },
    power('available_charge_power', 'Available charge power', { icon: 'mdi:battery-arrow-up' }),
    power('available_discharge_power', 'Available discharge power', { icon: 'mdi:battery-arrow-down' }),
    energyStorage('available_charge_energy', 'Available charge energy'),
    energyStorage('available_discharge_energy', 'Available discharge energy'),
    { ...energyStorage('battery_capacity', 'Battery capacity'), entityCategory: 'diagnostic' },
    percentSensor('charge_cut_off_soc', 'Charge cut-off SOC'),
    percentSensor('discharge_cut_off_soc', 'Discharge cut-off SOC'),
    enumSensor('running_state', 'plant_running_state', 'Running state', RUNNING_STATE_OPTIONS, 'mdi:state-machine'),
    {
      key: 'running_state_code',
      platform: 'sensor',
      translationKey: 'running_state_code',
      name: 'Running state code',
      entityCategory: 'diagnostic',
      enabledByDefault: false,
    },
    enumSensor('ems_work_mode', 'ems_work_mode', 'EMS work mode', EMS_WORK_MODE_OPTIONS, 'mdi:cog-transfer'),
    enumSensor('grid_state', 'grid_state', 'Grid connection', GRID_STATE_OPTIONS, 'mdi:transmission-tower'),
    {
      key: 'grid_sensor_connected',
      platform: 'binary_sensor',
      translationKey: 'grid_sensor_connected',
      name: 'Grid sensor connected',
      deviceClass: 'connectivity',
      entityCategory: 'diagnostic',
    },
    {
      key: 'remote_ems_enabled',
      platform: 'binary_sensor',
      translationKey: 'remote_ems_enabled',
      name: 'Remote EMS enabled',
      icon: 'mdi:remote',
      entityCategory: 'diagnostic',
    },
    power('plant_pv_power', 'Plant PV power (as reported)', { entityCategory: 'diagnostic', enabledByDefault: false }),
    power('inverter_pv_power', 'Inverter PV power', { entityCategory: 'diagnostic', enabledByDefault: false }),
    {
      ...enumSensor('pv_power_source', 'pv_power_source', 'PV power source', ['plant', 'inverters'], 'mdi:solar-power'),
      entityCategory: 'diagnostic',
    },
    {
      ...enumSensor(
        'firmware_quirk',
        'firmware_quirk',
        'Firmware quirk',
        ['none', 'plant_pv_reads_zero'],
        'mdi:bug-outline',
      ),
      entityCategory: 'diagnostic',
    },
    power('pv_power_limit', 'PV power limit', { entityCategory: 'diagnostic' }),
    power('import_limit', 'Grid import limit', { entityCategory: 'diagnostic' }),
    enumSensor('remote_ems_mode', 'remote_ems_mode', 'Remote EMS mode', REMOTE_EMS_MODE_OPTIONS, 'mdi:remote'),
    {
      key: 'ems_mode',
      platform: 'select',
      translationKey: 'ems_mode',
      name: 'EMS mode',
      options: SIGENERGY_OPERATING_MODES,
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
    controlPower('max_charge_power', 'Battery max charge power', maxCharge, 'set_charge_limit'),
    controlPower('max_discharge_power', 'Battery max discharge power', maxDischarge, 'set_discharge_limit'),
    controlPower('export_limit', 'Export power limit', maxExport, 'set_export_limit'),
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
    step: 1,
    mode: 'box',
    entityCategory: 'config',
    command: { command, field: 'power_w' },
  };
}
