/**
 * The Sigenergy register map ("Sigenergy Modbus Protocol EN" V2.x, collected in
 * shared/reference/device-protocols.md §5 and cross-checked against the register table of
 * TypQxQ/Sigenergy-Local-Modbus; facts only).
 *
 * Unlike Sungrow, the addresses go on the wire exactly as printed: 30014 is PDU address 30014.
 * 3xxxx are input registers (FC4), 4xxxx holding registers (FC3 read, FC6/FC16 write).
 * Multi-register values are big-endian, HIGH word first.
 *
 * The plant (the whole system and its EMS) answers on unit 247; each inverter on its own unit
 * (1 by default; with an AC charger at 1 the inverters start at 2).
 */

export type RegisterTable = 'input' | 'holding';

/** Plant running information (unit 247, FC4). Gains divide the raw value. */
export const PLANT = {
  EMS_WORK_MODE: 30003, // U16: 0 max self-consumption, 1 AI, 2 TOU, 5 full feed-in, 6 VPP, 7 remote EMS, 9 custom
  GRID_SENSOR_STATUS: 30004, // U16: 0 not connected, 1 connected
  GRID_POWER: 30005, // S32 ÷1000 kW, > 0 import (buy), < 0 export (sell)
  ON_OFF_GRID: 30009, // U16: 0 on grid, 1 off grid (auto), 2 off grid (manual)
  MAX_ACTIVE_POWER: 30010, // U32 ÷1000 kW
  ESS_SOC: 30014, // U16 ÷10 %
  PLANT_ACTIVE_POWER: 30031, // S32 ÷1000 kW
  PV_POWER: 30035, // S32 ÷1000 kW (reads 0 on firmware V100R001C21SPC108, TypQxQ issue #86)
  ESS_POWER: 30037, // S32 ÷1000 kW, > 0 charging, < 0 discharging
  ESS_AVAILABLE_CHARGE_POWER: 30047, // U32 ÷1000 kW
  ESS_AVAILABLE_DISCHARGE_POWER: 30049, // U32 ÷1000 kW
  RUNNING_STATE: 30051, // U16: 0 standby, 1 running, 2 fault, 3 shutdown, 7 environmental abnormality
  ESS_AVAILABLE_CHARGE_ENERGY: 30064, // U32 ÷100 kWh
  ESS_AVAILABLE_DISCHARGE_ENERGY: 30066, // U32 ÷100 kWh
  ESS_RATED_CHARGE_POWER: 30068, // U32 ÷1000 kW
  ESS_RATED_DISCHARGE_POWER: 30070, // U32 ÷1000 kW
  ESS_RATED_CAPACITY: 30083, // U32 ÷100 kWh
  ESS_CHARGE_CUT_OFF_SOC: 30085, // U16 ÷10 %
  ESS_DISCHARGE_CUT_OFF_SOC: 30086, // U16 ÷10 %
  ESS_SOH: 30087, // U16 ÷10 %
  PV_ENERGY_TOTAL: 30088, // U64 ÷100 kWh (protocol v2.7+)
  LOAD_ENERGY_TODAY: 30092, // U32 ÷100 kWh
  LOAD_ENERGY_TOTAL: 30094, // U64 ÷100 kWh
  ESS_CHARGE_ENERGY_TOTAL: 30200, // U64 ÷100 kWh
  ESS_DISCHARGE_ENERGY_TOTAL: 30204, // U64 ÷100 kWh
  GRID_IMPORT_ENERGY_TOTAL: 30216, // U64 ÷100 kWh
  GRID_EXPORT_ENERGY_TOTAL: 30220, // U64 ÷100 kWh
  TOTAL_LOAD_POWER: 30284, // S32 ÷1000 kW
  AVERAGE_CELL_TEMPERATURE: 30286, // S16 ÷10 °C
} as const;

/** Plant parameters (unit 247, holding): the remote EMS controls. */
export const PLANT_HOLDING = {
  REMOTE_EMS_ENABLE: 40029, // U16 0/1; 1 switches 30003 to remote EMS (7)
  REMOTE_EMS_MODE: 40031, // U16, REMOTE_EMS_MODE_CODE
  ESS_MAX_CHARGE_LIMIT: 40032, // U32 ÷1000 kW
  ESS_MAX_DISCHARGE_LIMIT: 40034, // U32 ÷1000 kW
  PV_MAX_POWER_LIMIT: 40036, // U32 ÷1000 kW
  GRID_MAX_EXPORT_LIMIT: 40038, // U32 ÷1000 kW
  GRID_MAX_IMPORT_LIMIT: 40040, // U32 ÷1000 kW
  BACKUP_SOC: 40046, // U16 ÷10 %
} as const;

/** Inverter registers (unit 1..n, FC4). */
export const INVERTER = {
  MODEL: 30500, // 15 regs ASCII
  SERIAL: 30515, // 10 regs ASCII
  FIRMWARE: 30525, // 15 regs ASCII
  RATED_ACTIVE_POWER: 30540, // U32 ÷1000 kW
  PV_POWER: 31035, // S32 ÷1000 kW
} as const;

/** 40031: what the plant does while remote EMS is enabled. */
export const REMOTE_EMS_MODE_CODE = {
  pcs_remote_control: 0,
  standby: 1,
  self_consumption: 2,
  charge_grid_first: 3,
  charge_pv_first: 4,
  discharge_pv_first: 5,
  discharge_ess_first: 6,
} as const;

export type RemoteEmsModeName = keyof typeof REMOTE_EMS_MODE_CODE;

/** Which unit a block is read from. */
export type UnitRole = 'plant' | 'inverter';

export type PlantBlockName =
  'plant' | 'plant_battery' | 'plant_energy' | 'plant_counters' | 'plant_load' | 'remote_ems' | 'backup';

export interface BlockSpec<Name extends string = string> {
  readonly name: Name;
  readonly table: RegisterTable;
  readonly start: number;
  readonly count: number;
  /** Optional blocks may be missing (older protocol versions): exception 02 leaves their readings out. */
  readonly optional: boolean;
}

const block = <N extends string>(
  name: N,
  table: RegisterTable,
  start: number,
  end: number,
  optional: boolean,
): BlockSpec<N> => ({ name, table, start, count: end - start + 1, optional });

/**
 * The plant's poll, a few contiguous runs of defined registers (a run across undefined registers
 * could be refused as a whole). Protocol v2.7 added the energy counters, so those are optional.
 */
export const PLANT_BLOCKS: readonly BlockSpec<PlantBlockName>[] = [
  block('plant', 'input', PLANT.EMS_WORK_MODE, PLANT.ESS_RATED_DISCHARGE_POWER + 1, false),
  block('plant_battery', 'input', PLANT.ESS_RATED_CAPACITY, PLANT.ESS_SOH, false),
  block('plant_energy', 'input', PLANT.PV_ENERGY_TOTAL, PLANT.LOAD_ENERGY_TOTAL + 3, true),
  block('plant_counters', 'input', PLANT.ESS_CHARGE_ENERGY_TOTAL, PLANT.GRID_EXPORT_ENERGY_TOTAL + 3, true),
  block('plant_load', 'input', PLANT.TOTAL_LOAD_POWER, PLANT.AVERAGE_CELL_TEMPERATURE, true),
  block('remote_ems', 'holding', PLANT_HOLDING.REMOTE_EMS_ENABLE, PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT + 1, false),
  block('backup', 'holding', PLANT_HOLDING.BACKUP_SOC, PLANT_HOLDING.BACKUP_SOC, true),
];

/** Read once per inverter at connect: model, serial, firmware, rating. */
export const INVERTER_IDENTITY_BLOCK: BlockSpec<'inverter_identity'> = block(
  'inverter_identity',
  'input',
  INVERTER.MODEL,
  INVERTER.RATED_ACTIVE_POWER + 1,
  false,
);

/** Read per inverter on every poll: its own PV power, which exposes the plant's PV-reads-0 firmware. */
export const INVERTER_PV_BLOCK: BlockSpec<'inverter_pv'> = block(
  'inverter_pv',
  'input',
  INVERTER.PV_POWER,
  INVERTER.PV_POWER + 1,
  true,
);
