/**
 * The Sungrow SH register map, in the VENDOR's numbering ("doc" registers, 1-based) as printed in
 * "Communication Protocol of Residential Hybrid Inverter" and collected in
 * shared/reference/device-protocols.md §4. The wire address is doc − 1; that subtraction happens in
 * exactly one place (`toWireAddress` below, used only by the client and the simulator's server).
 */

/** Modbus tables: FC4 reads input registers; FC3/FC6/FC16 read and write holding registers. */
export type RegisterTable = 'input' | 'holding';

/** Doc register → PDU address. The one place the off-by-one lives. */
export function toWireAddress(docRegister: number): number {
  return docRegister - 1;
}

/** PDU address → doc register (the simulator's server sees wire addresses). */
export function fromWireAddress(wireAddress: number): number {
  return wireAddress + 1;
}

/** Input registers (FC4, read-only). */
export const INPUT = {
  ARM_SOFTWARE: 4954, // 15 regs ASCII
  DSP_SOFTWARE: 4969, // 15 regs ASCII
  SERIAL: 4990, // 10 regs ASCII
  DEVICE_TYPE: 5000,
  NOMINAL_POWER: 5001, // U16 ×0.1 kW
  OUTPUT_TYPE: 5002, // 0 single phase, 1 3P4L, 2 3P3L
  DAILY_OUTPUT: 5003, // U16 ×0.1 kWh
  TOTAL_OUTPUT: 5004, // U32 ×0.1 kWh
  INVERTER_TEMPERATURE: 5008, // S16 ×0.1 °C
  PV_POWER: 5017, // U32 W
  METER_POWER: 5601, // S32 W, + import
  BDC_RATED_POWER: 5628, // U16 ×100 W
  BATTERY_CURRENT_PRECISE: 5631, // S16 ×0.1 A
  BMS_MAX_CHARGE_CURRENT: 5635, // U16 A
  BMS_MAX_DISCHARGE_CURRENT: 5636, // U16 A
  BATTERY_CAPACITY_PRECISE: 5639, // U16 ×0.01 kWh
  RUNNING_STATE: 13000,
  POWER_FLOW: 13001,
  PV_ENERGY_TODAY: 13002, // U16 ×0.1 kWh
  PV_ENERGY_TOTAL: 13003, // U32 ×0.1 kWh
  PV_EXPORT_TODAY: 13005,
  PV_EXPORT_TOTAL: 13006,
  LOAD_POWER: 13008, // S32 W
  EXPORT_POWER: 13010, // S32 W, + export
  BATTERY_CHARGE_FROM_PV_TODAY: 13012,
  BATTERY_CHARGE_FROM_PV_TOTAL: 13013,
  DIRECT_CONSUMPTION_TODAY: 13017,
  DIRECT_CONSUMPTION_TOTAL: 13018,
  BATTERY_VOLTAGE: 13020, // U16 ×0.1 V
  BATTERY_CURRENT: 13021, // S16 ×0.1 A (doc says unsigned; signed in practice, mkaiser #304)
  BATTERY_POWER: 13022, // U16 (fw < ~Oct 2024) or S16 (+ charging) W
  BATTERY_SOC: 13023, // U16 ×0.1 %
  BATTERY_SOH: 13024, // U16 ×0.1 %
  BATTERY_TEMPERATURE: 13025, // S16 ×0.1 °C
  BATTERY_DISCHARGE_TODAY: 13026,
  BATTERY_DISCHARGE_TOTAL: 13027,
  GRID_IMPORT_TODAY: 13036,
  GRID_IMPORT_TOTAL: 13037,
  BATTERY_CAPACITY: 13039, // U16 ×0.1 kWh
  BATTERY_CHARGE_TODAY: 13040,
  BATTERY_CHARGE_TOTAL: 13041,
  GRID_EXPORT_TODAY: 13045,
  GRID_EXPORT_TOTAL: 13046,
} as const;

/** Holding registers (FC3 read, FC6/FC16 write): the controls. */
export const HOLDING = {
  EMS_MODE: 13050, // 0 self-consumption, 2 forced, 3 external EMS, 4 VPP, 8 microgrid
  FORCED_COMMAND: 13051, // 0xAA charge, 0xBB discharge, 0xCC stop
  FORCED_POWER: 13052, // W
  MAX_SOC: 13058, // ×0.1 %
  MIN_SOC: 13059, // ×0.1 % (backup reserve)
  EXPORT_LIMIT: 13074, // W
  EXPORT_LIMIT_MODE: 13087, // 0xAA enabled, 0x55 disabled
  MAX_CHARGE_POWER: 33047, // ×10 W
  MAX_DISCHARGE_POWER: 33048, // ×10 W
} as const;

export const EMS_MODE_CODE = {
  self_consumption: 0,
  forced: 2,
  external_ems: 3,
  vpp: 4,
  microgrid: 8,
} as const;

export const FORCED_COMMAND_CODE = { charge: 0xaa, discharge: 0xbb, stop: 0xcc } as const;

/** 13087 and other Sungrow switches use 0xAA for on and 0x55 for off. */
export const SWITCH_ON = 0xaa;
export const SWITCH_OFF = 0x55;

export type BlockName =
  | 'identity'
  | 'software'
  | 'inverter'
  | 'meter'
  | 'battery_detail'
  | 'status'
  | 'ems'
  | 'export_control'
  | 'battery_limits';

/** One contiguous read. `optional` blocks may be missing (WiNet-S, older firmware): exception 02 leaves them absent. */
export interface BlockSpec {
  readonly name: BlockName;
  readonly table: RegisterTable;
  readonly start: number;
  readonly count: number;
  readonly optional: boolean;
}

const block = (name: BlockName, table: RegisterTable, start: number, end: number, optional: boolean): BlockSpec => ({
  name,
  table,
  start,
  count: end - start + 1,
  optional,
});

/** Read once at connect. */
export const IDENTITY_BLOCKS: readonly BlockSpec[] = [
  block('identity', 'input', INPUT.SERIAL, INPUT.OUTPUT_TYPE, false),
  block('software', 'input', INPUT.ARM_SOFTWARE, INPUT.DSP_SOFTWARE + 14, true),
];

/** Read on every poll; blocks are kept contiguous so a poll costs few round trips (the WiNet-S is slow). */
export const POLL_BLOCKS: readonly BlockSpec[] = [
  block('inverter', 'input', INPUT.DAILY_OUTPUT, INPUT.PV_POWER + 1, false),
  block('status', 'input', INPUT.RUNNING_STATE, INPUT.GRID_EXPORT_TOTAL + 1, false),
  block('meter', 'input', INPUT.METER_POWER, INPUT.METER_POWER + 1, true),
  block('battery_detail', 'input', INPUT.BDC_RATED_POWER, INPUT.BATTERY_CAPACITY_PRECISE, true),
  block('ems', 'holding', HOLDING.EMS_MODE, HOLDING.MIN_SOC, true),
  block('export_control', 'holding', HOLDING.EXPORT_LIMIT, HOLDING.EXPORT_LIMIT_MODE, true),
  block('battery_limits', 'holding', HOLDING.MAX_CHARGE_POWER, HOLDING.MAX_DISCHARGE_POWER, true),
];

export const ALL_BLOCKS: readonly BlockSpec[] = [...IDENTITY_BLOCKS, ...POLL_BLOCKS];
