import { canonicalSensor, type EntityDescriptor, type PlatformTranslationKey } from '@sps/core';
import type { PlugSnapshot } from './codec/snapshot.js';

const measurement = (
  key: string & PlatformTranslationKey<'sensor'>,
  name: string,
  deviceClass: string,
  unit: string,
): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey: key,
  name,
  deviceClass,
  stateClass: 'measurement',
  unit,
});

const counter = (key: string, translationKey: PlatformTranslationKey<'sensor'>, name: string): EntityDescriptor => ({
  key,
  platform: 'sensor',
  translationKey,
  name,
  deviceClass: 'energy',
  // The daily and monthly counters reset; HA's total_increasing treats that drop as a new cycle.
  stateClass: 'total_increasing',
  unit: 'Wh',
});

/**
 * What HA shows for a plug: the relay as a switch bound to `set_relay`, and the meter's readings
 * where this model has them (decided from the first poll, so a plug without a meter shows none).
 */
export function kasaEntities(first: PlugSnapshot): EntityDescriptor[] {
  const entities: EntityDescriptor[] = [
    {
      key: 'relay_on',
      platform: 'switch',
      translationKey: 'plug_relay',
      name: 'Relay',
      icon: 'mdi:power-socket',
      command: { command: 'set_relay', field: 'on' },
    },
  ];
  const m = first.meter;
  if (m) {
    entities.push(canonicalSensor('load_power', { translationKey: 'plug_power', name: 'Power' }));
    if (m.voltageV !== null) entities.push(measurement('voltage', 'Voltage', 'voltage', 'V'));
    if (m.currentA !== null) entities.push(measurement('current', 'Current', 'current', 'A'));
    if (m.energyWh !== null)
      entities.push(canonicalSensor('load_energy', { translationKey: 'plug_energy', name: 'Energy' }));
    if (m.energyTodayWh !== null) entities.push(counter('load_energy_today', 'plug_energy_today', 'Energy today'));
    if (m.energyMonthWh !== null) entities.push(counter('load_energy_month', 'plug_energy_month', 'Energy this month'));
  }
  if (first.onTimeS !== null) {
    entities.push({
      key: 'on_time',
      platform: 'sensor',
      translationKey: 'on_time',
      name: 'On time',
      deviceClass: 'duration',
      stateClass: 'measurement',
      unit: 's',
      entityCategory: 'diagnostic',
    });
  }
  if (first.rssiDbm !== null) {
    entities.push({
      key: 'rssi',
      platform: 'sensor',
      translationKey: 'rssi',
      name: 'Wi-Fi signal',
      deviceClass: 'signal_strength',
      stateClass: 'measurement',
      unit: 'dBm',
      entityCategory: 'diagnostic',
      enabledByDefault: false,
    });
  }
  return entities;
}
