/**
 * Every protection and alarm flag the driver reads, each its own boolean reading. The names keep the
 * `protection_` / `alarm_` prefixes the battery-alarm rules key on.
 *
 * Pylontech 0x359 (reference §7.2): byte 0/1 protections, byte 2/3 alarms ("warnings").
 * SMA-style 0x35A (BYD, REC…): bytes 0–3 alarms and bytes 4–7 warnings, two bits per flag
 * (01 set, 10 cleared; 00/11 not supported: the real BYD capture sends AA… — every pair 10 — from a healthy
 * battery, so 10 must mean cleared). A 0x35A "alarm" is what Pylontech calls a protection (the
 * BMS acts), a "warning" what it calls an alarm, so both frames fill the same readings where their
 * meaning is the same. Layout of 0x35A from Victron's CAN-bus BMS frame description as implemented by
 * several open BMS gateways (byte 0: general, high V, low V, high T; byte 1: low T, high T charging,
 * low T charging, high discharge current; byte 2: high charge current, contactor, short circuit, BMS
 * internal; byte 3: cell imbalance).
 */
export const PROTECTION_FLAGS = [
  'protection_cell_overvoltage',
  'protection_cell_undervoltage',
  'protection_overtemperature',
  'protection_undertemperature',
  'protection_discharge_overcurrent',
  'protection_charge_overcurrent',
  'protection_system_error',
  'protection_general',
  'protection_charge_overtemperature',
  'protection_charge_undertemperature',
  'protection_contactor',
  'protection_short_circuit',
  'protection_bms_internal',
  'protection_cell_imbalance',
] as const;

export const ALARM_FLAGS = [
  'alarm_high_voltage',
  'alarm_low_voltage',
  'alarm_high_temperature',
  'alarm_low_temperature',
  'alarm_discharge_high_current',
  'alarm_charge_high_current',
  'alarm_internal_communication',
  'alarm_general',
  'alarm_charge_high_temperature',
  'alarm_charge_low_temperature',
  'alarm_contactor',
  'alarm_short_circuit',
  'alarm_bms_internal',
  'alarm_cell_imbalance',
] as const;

export type ProtectionFlag = (typeof PROTECTION_FLAGS)[number];
export type AlarmFlag = (typeof ALARM_FLAGS)[number];
export type BmsFlag = ProtectionFlag | AlarmFlag;

export const BMS_FLAGS: readonly BmsFlag[] = [...PROTECTION_FLAGS, ...ALARM_FLAGS];

export function isBmsFlag(name: string): name is BmsFlag {
  return (BMS_FLAGS as readonly string[]).includes(name);
}

/** Where a flag sits in 0x359: byte and bit. */
export interface BitPosition {
  readonly byte: number;
  readonly bit: number;
}

export const PYLONTECH_0x359_BITS: Readonly<Partial<Record<BmsFlag, BitPosition>>> = {
  protection_cell_overvoltage: { byte: 0, bit: 1 },
  protection_cell_undervoltage: { byte: 0, bit: 2 },
  protection_overtemperature: { byte: 0, bit: 3 },
  protection_undertemperature: { byte: 0, bit: 4 },
  protection_discharge_overcurrent: { byte: 0, bit: 7 },
  protection_charge_overcurrent: { byte: 1, bit: 0 },
  protection_system_error: { byte: 1, bit: 3 },
  alarm_high_voltage: { byte: 2, bit: 1 },
  alarm_low_voltage: { byte: 2, bit: 2 },
  alarm_high_temperature: { byte: 2, bit: 3 },
  alarm_low_temperature: { byte: 2, bit: 4 },
  alarm_discharge_high_current: { byte: 2, bit: 7 },
  alarm_charge_high_current: { byte: 3, bit: 0 },
  alarm_internal_communication: { byte: 3, bit: 3 },
};

/** Where a flag's bit pair sits in 0x35A: byte and the pair's low bit (0, 2, 4, 6). */
export const SMA_0x35A_PAIRS: Readonly<Partial<Record<BmsFlag, BitPosition>>> = {
  protection_general: { byte: 0, bit: 0 },
  protection_cell_overvoltage: { byte: 0, bit: 2 },
  protection_cell_undervoltage: { byte: 0, bit: 4 },
  protection_overtemperature: { byte: 0, bit: 6 },
  protection_undertemperature: { byte: 1, bit: 0 },
  protection_charge_overtemperature: { byte: 1, bit: 2 },
  protection_charge_undertemperature: { byte: 1, bit: 4 },
  protection_discharge_overcurrent: { byte: 1, bit: 6 },
  protection_charge_overcurrent: { byte: 2, bit: 0 },
  protection_contactor: { byte: 2, bit: 2 },
  protection_short_circuit: { byte: 2, bit: 4 },
  protection_bms_internal: { byte: 2, bit: 6 },
  protection_cell_imbalance: { byte: 3, bit: 0 },
  alarm_general: { byte: 4, bit: 0 },
  alarm_high_voltage: { byte: 4, bit: 2 },
  alarm_low_voltage: { byte: 4, bit: 4 },
  alarm_high_temperature: { byte: 4, bit: 6 },
  alarm_low_temperature: { byte: 5, bit: 0 },
  alarm_charge_high_temperature: { byte: 5, bit: 2 },
  alarm_charge_low_temperature: { byte: 5, bit: 4 },
  alarm_discharge_high_current: { byte: 5, bit: 6 },
  alarm_charge_high_current: { byte: 6, bit: 0 },
  alarm_contactor: { byte: 6, bit: 2 },
  alarm_short_circuit: { byte: 6, bit: 4 },
  alarm_bms_internal: { byte: 6, bit: 6 },
  alarm_cell_imbalance: { byte: 7, bit: 0 },
};
