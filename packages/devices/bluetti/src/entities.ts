import {
  canonicalSensor,
  type CanonicalReadingKey,
  type EntityDescriptor,
  type PlatformTranslationKey,
} from '@sps/core';
import { AC_OUTPUT_MODES, CHARGING_MODES, UPS_MODES } from './codec/fields.js';
import type { BluettiModel } from './codec/models.js';

/** set_relay channels of a station (the composite maps P1/P3 onto these). */
export const RELAY_CHANNELS = { ac_output_on: 0, dc_output_on: 1, grid_charge_on: 2 } as const;
export type SwitchKey = keyof typeof RELAY_CHANNELS;

const CANONICAL: readonly CanonicalReadingKey[] = [
  'battery_soc',
  'battery_power',
  'pv_power',
  'grid_power',
  'load_power',
  'ac_output_power',
  'dc_output_power',
];

const measurement = (
  key: PlatformTranslationKey<'sensor'>,
  name: string,
  deviceClass: 'voltage' | 'current' | 'frequency' | 'power',
  unit: string,
  extra: Partial<EntityDescriptor> = {},
): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass,
  stateClass: 'measurement',
  unit,
  ...extra,
});

const diagnostic = { entityCategory: 'diagnostic', enabledByDefault: false } as const;

/** Device-specific readings a model may have, as HA sensors. */
const DETAIL: Readonly<Record<string, EntityDescriptor>> = {
  ac_input_power: measurement('ac_input_power', 'AC input power', 'power', 'W', diagnostic),
  dc_input_power: measurement('dc_input_power', 'DC input power', 'power', 'W', diagnostic),
  ac_input_voltage: measurement('ac_input_voltage', 'AC input voltage', 'voltage', 'V'),
  ac_input_current: measurement('ac_input_current', 'AC input current', 'current', 'A', diagnostic),
  ac_input_frequency: measurement('ac_input_frequency', 'AC input frequency', 'frequency', 'Hz', diagnostic),
  ac_output_voltage: measurement('ac_output_voltage', 'AC output voltage', 'voltage', 'V'),
  ac_output_frequency: measurement('ac_output_frequency', 'AC output frequency', 'frequency', 'Hz', diagnostic),
  dc_input_voltage: measurement('dc_input_voltage', 'DC input voltage', 'voltage', 'V'),
  dc_input_current: measurement('dc_input_current', 'DC input current', 'current', 'A', diagnostic),
  battery_voltage: canonicalSensor('battery_voltage'),
  pack_voltage: measurement('pack_voltage', 'Selected pack voltage', 'voltage', 'V', { entityCategory: 'diagnostic' }),
  pack_soc: {
    key: 'pack_soc',
    platform: 'sensor',
    translationKey: 'pack_soc',
    name: 'Selected pack state of charge',
    deviceClass: 'battery',
    stateClass: 'measurement',
    unit: '%',
    entityCategory: 'diagnostic',
  },
  pack_count: {
    key: 'pack_count',
    platform: 'sensor',
    translationKey: 'pack_count',
    name: 'Battery packs',
    icon: 'mdi:battery-plus',
    entityCategory: 'diagnostic',
  },
  pack_number: {
    key: 'pack_number',
    platform: 'sensor',
    translationKey: 'pack_number',
    name: 'Selected pack',
    icon: 'mdi:numeric',
    ...diagnostic,
  },
  ac_output_mode: {
    key: 'ac_output_mode',
    platform: 'sensor',
    translationKey: 'ac_output_mode',
    name: 'AC output mode',
    deviceClass: 'enum',
    options: Object.values(AC_OUTPUT_MODES),
    icon: 'mdi:sine-wave',
    entityCategory: 'diagnostic',
  },
};

const SWITCHES: Readonly<Record<SwitchKey, { name: string; icon: string }>> = {
  ac_output_on: { name: 'AC output', icon: 'mdi:power-socket' },
  dc_output_on: { name: 'DC output', icon: 'mdi:current-dc' },
  grid_charge_on: { name: 'Grid charging', icon: 'mdi:transmission-tower-import' },
};

/** What HA shows for a station: its readings as sensors, outputs as switches, modes as selects. */
export function bluettiEntities(model: BluettiModel): EntityDescriptor[] {
  const keys = new Set(model.fields.map((f) => f.key));
  const entities: EntityDescriptor[] = CANONICAL.map((key) => canonicalSensor(key));
  for (const [key, descriptor] of Object.entries(DETAIL)) if (keys.has(key)) entities.push(descriptor);
  for (const key of Object.keys(RELAY_CHANNELS) as SwitchKey[]) {
    if (model.switches[key] === undefined) continue;
    entities.push({
      key,
      platform: 'switch',
      translationKey: key,
      name: SWITCHES[key].name,
      icon: SWITCHES[key].icon,
      command: { command: 'set_relay', field: 'on', fixed: { channel: RELAY_CHANNELS[key] } },
    });
  }
  for (const mode of model.modes) {
    entities.push({
      key: mode.key,
      platform: 'select',
      translationKey: mode.key,
      name: mode.key === 'charging_mode' ? 'Charging mode' : 'UPS mode',
      options: Object.values(mode.key === 'charging_mode' ? CHARGING_MODES : UPS_MODES),
      icon: mode.key === 'charging_mode' ? 'mdi:battery-charging-high' : 'mdi:power-plug-battery',
      entityCategory: 'config',
      command: { command: 'set_operating_mode', field: 'mode' },
    });
  }
  return entities;
}

/** The modes `set_operating_mode` accepts on this model. */
export function operatingModes(model: BluettiModel): string[] {
  return model.modes.flatMap((m) => Object.values(m.key === 'charging_mode' ? CHARGING_MODES : UPS_MODES));
}
