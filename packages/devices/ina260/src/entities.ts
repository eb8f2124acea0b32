import { canonicalSensor, type EntityDescriptor } from '@sps/core';

/**
 * What HA shows for an INA260 at P4: the panel's voltage, current, power and energy. It is a
 * sensor only; there is nothing to control (averaging is set in the add-on's options).
 */
export function ina260Entities(): EntityDescriptor[] {
  return [
    canonicalSensor('pv_power', { suggestedDisplayPrecision: 1 }),
    canonicalSensor('pv_energy', { suggestedDisplayPrecision: 0 }),
    {
      key: 'pv_voltage',
      platform: 'sensor',
      translationKey: 'pv_voltage',
      name: 'PV voltage',
      deviceClass: 'voltage',
      stateClass: 'measurement',
      unit: 'V',
      icon: 'mdi:solar-panel',
      suggestedDisplayPrecision: 2,
    },
    {
      key: 'pv_current',
      platform: 'sensor',
      translationKey: 'pv_current',
      name: 'PV current',
      deviceClass: 'current',
      stateClass: 'measurement',
      unit: 'A',
      icon: 'mdi:solar-panel',
      suggestedDisplayPrecision: 3,
    },
    {
      key: 'averaging',
      platform: 'sensor',
      translationKey: 'averaging',
      name: 'Samples averaged per reading',
      icon: 'mdi:chart-bell-curve',
      entityCategory: 'diagnostic',
      enabledByDefault: false,
    },
  ];
}
