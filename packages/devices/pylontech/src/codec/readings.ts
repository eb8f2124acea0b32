import type { ReadingValue } from '@sps/core';
import { BMS_FLAGS, type BmsFlag } from './bits.js';
import type {
  BmsFrame,
  FlagsFrame,
  LimitsFrame,
  ManufacturerFrame,
  MeasurementsFrame,
  RequestsFrame,
  SmaAlarmsFrame,
  SocFrame,
} from './frames.js';

/** The latest decoded frame of each kind: a reading set is the latest value of every frame. */
export interface BmsFrameSet {
  limits?: LimitsFrame;
  soc?: SocFrame;
  measurements?: MeasurementsFrame;
  flags?: FlagsFrame;
  sma_alarms?: SmaAlarmsFrame;
  requests?: RequestsFrame;
  manufacturer?: ManufacturerFrame;
}

export function rememberFrame(set: BmsFrameSet, frame: BmsFrame): void {
  switch (frame.kind) {
    case 'limits':
      set.limits = frame;
      break;
    case 'soc':
      set.soc = frame;
      break;
    case 'measurements':
      set.measurements = frame;
      break;
    case 'flags':
      set.flags = frame;
      break;
    case 'sma_alarms':
      set.sma_alarms = frame;
      break;
    case 'requests':
      set.requests = frame;
      break;
    case 'manufacturer':
      set.manufacturer = frame;
      break;
  }
}

/** Every reading key the driver emits (the flags included), in a stable order. */
export const PYLONTECH_READING_KEYS = [
  'battery_soc',
  'battery_soh',
  'battery_voltage',
  'battery_current',
  'battery_power',
  'battery_temperature',
  'charge_voltage_limit',
  'discharge_voltage_limit',
  'charge_current_limit',
  'discharge_current_limit',
  'charge_enabled',
  'discharge_enabled',
  'force_charge_request',
  'force_charge_request_low_soc',
  'full_charge_request',
  'module_count',
  'manufacturer',
  ...BMS_FLAGS,
] as const;

export type PylontechReadingKey = (typeof PYLONTECH_READING_KEYS)[number];

/**
 * The readings of a frame set, in project units and signs. A value whose frame has not arrived is null
 * (HA shows "unknown"). A flag is true when 0x359 or 0x35A says set, false when a frame that carries it
 * says cleared, null when no frame this BMS sends carries it.
 */
export function bmsReadings(set: BmsFrameSet): Record<PylontechReadingKey, ReadingValue | null> {
  const m = set.measurements;
  const flag = (name: BmsFlag): boolean | null => {
    const a = set.flags?.flags[name];
    const b = set.sma_alarms?.flags[name];
    if (a === undefined && b === undefined) return null;
    return a === true || b === true;
  };
  const values = {
    battery_soc: set.soc?.socPct ?? null,
    battery_soh: set.soc?.sohPct ?? null,
    battery_voltage: m?.voltageV ?? null,
    battery_current: m?.currentA ?? null,
    // V × A with the current's sign: positive when discharging.
    battery_power: m === undefined ? null : Number((m.voltageV * m.currentA).toFixed(1)) + 0,
    battery_temperature: m?.temperatureC ?? null,
    charge_voltage_limit: set.limits?.chargeVoltageLimitV ?? null,
    discharge_voltage_limit: set.limits?.dischargeVoltageLimitV ?? null,
    charge_current_limit: set.limits?.chargeCurrentLimitA ?? null,
    discharge_current_limit: set.limits?.dischargeCurrentLimitA ?? null,
    charge_enabled: set.requests?.chargeEnabled ?? null,
    discharge_enabled: set.requests?.dischargeEnabled ?? null,
    force_charge_request: set.requests?.forceChargeRequest ?? null,
    force_charge_request_low_soc: set.requests?.forceChargeRequestLowSoc ?? null,
    full_charge_request: set.requests?.fullChargeRequest ?? null,
    module_count: set.flags?.moduleCount ?? null,
    manufacturer: set.manufacturer?.manufacturer ?? null,
  } as Record<PylontechReadingKey, ReadingValue | null>;
  for (const name of BMS_FLAGS) values[name] = flag(name);
  return values;
}
