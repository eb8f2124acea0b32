/**
 * Canonical readings: the keys, units and sign conventions every package shares.
 *
 * Signs (DESIGN.md): grid_power > 0 is import, battery_power > 0 is discharge,
 * pv_power ≥ 0, load_power ≥ 0. Power in W, energy in Wh, SOC in %.
 * Adapters translate whatever the device says into these; nothing downstream
 * ever has to know a vendor's sign convention.
 */

export type SensorDeviceClass =
  | 'battery'
  | 'power'
  | 'energy'
  | 'voltage'
  | 'current'
  | 'temperature'
  | 'frequency'
  | 'power_factor'
  | 'enum'
  | 'duration'
  | 'timestamp'
  | 'monetary';

export type StateClass = 'measurement' | 'total' | 'total_increasing';

export type Unit = 'W' | 'Wh' | 'kWh' | '%' | 'V' | 'A' | '°C' | 'Hz' | 's' | 'min';

/** How a canonical reading is measured and what its sign means. */
export interface ReadingSpec {
  readonly unit: Unit | null;
  readonly deviceClass: SensorDeviceClass | null;
  readonly stateClass: StateClass | null;
  /** Human name, used as the default entity name. */
  readonly name: string;
  /** What a positive value means, for signed quantities. */
  readonly sign?: string;
  readonly icon?: string;
  readonly min?: number;
  readonly max?: number;
}

const power = (name: string, sign?: string, icon?: string): ReadingSpec => ({
  unit: 'W',
  deviceClass: 'power',
  stateClass: 'measurement',
  name,
  ...(sign === undefined ? {} : { sign }),
  ...(icon === undefined ? {} : { icon }),
});

const energy = (name: string, icon?: string): ReadingSpec => ({
  unit: 'Wh',
  deviceClass: 'energy',
  stateClass: 'total_increasing',
  name,
  min: 0,
  ...(icon === undefined ? {} : { icon }),
});

export const CANONICAL_READINGS = {
  battery_soc: {
    unit: '%',
    deviceClass: 'battery',
    stateClass: 'measurement',
    name: 'Battery state of charge',
    min: 0,
    max: 100,
  },
  battery_soh: {
    unit: '%',
    deviceClass: null,
    stateClass: 'measurement',
    name: 'Battery state of health',
    icon: 'mdi:battery-heart-variant',
    min: 0,
    max: 100,
  },
  battery_power: power('Battery power', 'discharging', 'mdi:battery-charging'),
  battery_voltage: { unit: 'V', deviceClass: 'voltage', stateClass: 'measurement', name: 'Battery voltage' },
  battery_current: {
    unit: 'A',
    deviceClass: 'current',
    stateClass: 'measurement',
    name: 'Battery current',
    sign: 'discharging',
  },
  battery_temperature: {
    unit: '°C',
    deviceClass: 'temperature',
    stateClass: 'measurement',
    name: 'Battery temperature',
  },
  pv_power: power('PV power', undefined, 'mdi:solar-power'),
  grid_power: power('Grid power', 'importing', 'mdi:transmission-tower'),
  load_power: power('Load power', undefined, 'mdi:home-lightning-bolt'),
  export_power: power('Export power', 'exporting', 'mdi:transmission-tower-export'),
  inverter_temperature: {
    unit: '°C',
    deviceClass: 'temperature',
    stateClass: 'measurement',
    name: 'Inverter temperature',
  },
  ac_output_power: power('AC output power', undefined, 'mdi:power-socket'),
  dc_output_power: power('DC output power', undefined, 'mdi:current-dc'),
  pv_energy: energy('PV energy', 'mdi:solar-power'),
  grid_import_energy: energy('Grid import energy', 'mdi:transmission-tower-import'),
  grid_export_energy: energy('Grid export energy', 'mdi:transmission-tower-export'),
  battery_charge_energy: energy('Battery charge energy', 'mdi:battery-arrow-up'),
  battery_discharge_energy: energy('Battery discharge energy', 'mdi:battery-arrow-down'),
  load_energy: energy('Load energy', 'mdi:home-lightning-bolt'),
} as const satisfies Record<string, ReadingSpec>;

export type CanonicalReadingKey = keyof typeof CANONICAL_READINGS;

/** Canonical keys plus device-specific ones (e.g. `pv_energy_today`, `running_state`). */
export type ReadingKey = CanonicalReadingKey | (string & {});

export type ReadingValue = number | string | boolean;

/** One poll's worth of readings from one device. `null` means the device reported "not available". */
export interface ReadingSet {
  /** Milliseconds since the Unix epoch (UTC). */
  readonly timestamp: number;
  readonly values: Readonly<Record<string, ReadingValue | null>>;
}

export function isCanonicalReadingKey(key: string): key is CanonicalReadingKey {
  return Object.hasOwn(CANONICAL_READINGS, key);
}

/** Keys must be snake_case ASCII so they can become HA unique ids and SQL values safely. */
export const READING_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
