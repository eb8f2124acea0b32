import { encode } from '../codec/register-block.js';
import {
  INVERTER,
  INVERTER_IDENTITY_BLOCK,
  INVERTER_PV_BLOCK,
  PLANT,
  PLANT_BLOCKS,
  PLANT_HOLDING,
  REMOTE_EMS_MODE_CODE,
} from '../registers.js';
import type { SigenergyControls, SigenergyPhysicalState, SigenergyPhysicsConfig } from './physics.js';

/** How a simulated inverter identifies itself. */
export interface SimulatedInverter {
  readonly unitId: number;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
}

/** Firmware behaviours the simulator can show. */
export interface SimulatedFirmware {
  /** V100R001C21SPC108: the plant's PV power (30035) reads 0 while the inverters see PV. */
  readonly plantPvReadsZero: boolean;
  /** Before protocol v2.7: no energy counters (30088.., 30200..) and no load block (30284..). */
  readonly withoutV27Registers: boolean;
  /** No backup SOC register (40046): reading or writing it gets exception 02. */
  readonly withoutBackupSoc: boolean;
}

const put = (regs: Map<number, number>, start: number, words: number[]): void =>
  words.forEach((w, i) => regs.set(start + i, w));

/** kW ÷1000 registers hold whole watts; kWh ÷100 registers hold tens of Wh (truncated, as a counter is). */
const tensOfWh = (wh: number): number => Math.floor(wh / 10);

/** Input registers of the plant (unit 247) in Sigenergy's encodings: high word first, ESS + charging. */
export function renderPlantInputs(
  s: SigenergyPhysicalState,
  config: SigenergyPhysicsConfig,
  controls: SigenergyControls,
  firmware: SimulatedFirmware,
): Map<number, number> {
  const regs = new Map<number, number>();
  for (const spec of PLANT_BLOCKS) {
    if (spec.table !== 'input') continue;
    if (firmware.withoutV27Registers && spec.optional) continue;
    for (let r = spec.start; r < spec.start + spec.count; r++) regs.set(r, 0);
  }
  put(regs, PLANT.EMS_WORK_MODE, encode.u16(controls.remoteEmsEnabled ? 7 : 0));
  put(regs, PLANT.GRID_SENSOR_STATUS, encode.u16(1));
  put(regs, PLANT.GRID_POWER, encode.s32(s.gridPowerW));
  put(regs, PLANT.ON_OFF_GRID, encode.u16(0));
  put(regs, PLANT.MAX_ACTIVE_POWER, encode.u32(config.ratedActiveW));
  put(regs, PLANT.ESS_SOC, encode.u16(s.socPct * 10));
  put(regs, PLANT.PLANT_ACTIVE_POWER, encode.s32(s.pvPowerW + s.batteryPowerW));
  put(regs, PLANT.PV_POWER, encode.s32(firmware.plantPvReadsZero ? 0 : s.pvPowerW));
  put(regs, PLANT.ESS_POWER, encode.s32(-s.batteryPowerW));
  const storedWh = (s.socPct / 100) * s.capacityWh;
  put(
    regs,
    PLANT.ESS_AVAILABLE_CHARGE_POWER,
    encode.u32(s.socPct < controls.chargeCutOffSocPct ? config.ratedBatteryW : 0),
  );
  put(
    regs,
    PLANT.ESS_AVAILABLE_DISCHARGE_POWER,
    encode.u32(s.socPct > controls.backupSocPct ? config.ratedBatteryW : 0),
  );
  put(regs, PLANT.RUNNING_STATE, encode.u16(1));
  put(regs, PLANT.ESS_AVAILABLE_CHARGE_ENERGY, encode.u32((s.capacityWh - storedWh) / 10));
  put(regs, PLANT.ESS_AVAILABLE_DISCHARGE_ENERGY, encode.u32(storedWh / 10));
  put(regs, PLANT.ESS_RATED_CHARGE_POWER, encode.u32(config.ratedBatteryW));
  put(regs, PLANT.ESS_RATED_DISCHARGE_POWER, encode.u32(config.ratedBatteryW));
  put(regs, PLANT.ESS_RATED_CAPACITY, encode.u32(s.capacityWh / 10));
  put(regs, PLANT.ESS_CHARGE_CUT_OFF_SOC, encode.u16(controls.chargeCutOffSocPct * 10));
  put(regs, PLANT.ESS_DISCHARGE_CUT_OFF_SOC, encode.u16(5 * 10));
  put(regs, PLANT.ESS_SOH, encode.u16(s.sohPct * 10));
  if (!firmware.withoutV27Registers) {
    put(regs, PLANT.PV_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.pvWh)));
    put(regs, PLANT.LOAD_ENERGY_TODAY, encode.u32(tensOfWh(s.loadTodayWh)));
    put(regs, PLANT.LOAD_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.loadWh)));
    put(regs, PLANT.ESS_CHARGE_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.batteryChargeWh)));
    put(regs, PLANT.ESS_DISCHARGE_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.batteryDischargeWh)));
    put(regs, PLANT.GRID_IMPORT_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.gridImportWh)));
    put(regs, PLANT.GRID_EXPORT_ENERGY_TOTAL, encode.u64(tensOfWh(s.total.gridExportWh)));
    put(regs, PLANT.TOTAL_LOAD_POWER, encode.s32(s.loadPowerW));
    put(regs, PLANT.AVERAGE_CELL_TEMPERATURE, encode.s16(s.cellTemperatureC * 10));
  }
  return regs;
}

/**
 * Input registers of one inverter. With several inverters the PV is shared evenly (whole watts,
 * the first takes the remainder), so the inverters' sum is the plant's PV.
 */
export function renderInverterInputs(
  inverter: SimulatedInverter,
  index: number,
  inverterCount: number,
  s: SigenergyPhysicalState,
  config: SigenergyPhysicsConfig,
): Map<number, number> {
  const regs = new Map<number, number>();
  for (const spec of [INVERTER_IDENTITY_BLOCK, INVERTER_PV_BLOCK]) {
    for (let r = spec.start; r < spec.start + spec.count; r++) regs.set(r, 0);
  }
  put(regs, INVERTER.MODEL, encode.string(inverter.model, 15));
  put(regs, INVERTER.SERIAL, encode.string(inverter.serial, 10));
  put(regs, INVERTER.FIRMWARE, encode.string(inverter.firmware, 15));
  put(regs, INVERTER.RATED_ACTIVE_POWER, encode.u32(config.ratedActiveW / inverterCount));
  const share = Math.floor(s.pvPowerW / inverterCount);
  const pv = index === 0 ? s.pvPowerW - share * (inverterCount - 1) : share;
  put(regs, INVERTER.PV_POWER, encode.s32(pv));
  return regs;
}

/** A fresh plant: remote EMS off in self-consumption, limits at the rating, no export or import limit, 10 % backup. */
export function initialPlantHolding(config: SigenergyPhysicsConfig): Map<number, number> {
  const regs = new Map<number, number>();
  for (let r = PLANT_HOLDING.REMOTE_EMS_ENABLE; r <= PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT + 1; r++) regs.set(r, 0);
  regs.set(PLANT_HOLDING.REMOTE_EMS_MODE, REMOTE_EMS_MODE_CODE.self_consumption);
  put(regs, PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT, encode.u32(config.ratedBatteryW));
  put(regs, PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT, encode.u32(config.ratedBatteryW));
  put(regs, PLANT_HOLDING.PV_MAX_POWER_LIMIT, encode.u32(config.pvPeakW * 2));
  // 0xFFFFFFFF: the protocol's "not valid" = no limit.
  put(regs, PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT, [0xffff, 0xffff]);
  put(regs, PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT, [0xffff, 0xffff]);
  regs.set(PLANT_HOLDING.BACKUP_SOC, 100);
  return regs;
}

const u32At = (regs: ReadonlyMap<number, number>, r: number): number =>
  (regs.get(r) ?? 0) * 0x10000 + (regs.get(r + 1) ?? 0);

/**
 * Which plant holding registers accept writes, and which values. The words of a U32 are checked
 * together by the simulator (both must arrive in one FC16); 40030 and 40036's neighbours are
 * accepted as the vendor map has them.
 */
export const WRITABLE_PLANT_HOLDING: ReadonlyMap<number, (value: number) => boolean> = new Map([
  [PLANT_HOLDING.REMOTE_EMS_ENABLE, (v: number) => v === 0 || v === 1],
  [PLANT_HOLDING.REMOTE_EMS_ENABLE + 1, (v: number) => v === 0 || v === 1],
  [PLANT_HOLDING.REMOTE_EMS_MODE, (v: number) => (Object.values(REMOTE_EMS_MODE_CODE) as number[]).includes(v)],
  ...[
    PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT,
    PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT,
    PLANT_HOLDING.PV_MAX_POWER_LIMIT,
    PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT,
    PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT,
  ].flatMap((r): [number, (v: number) => boolean][] => [
    [r, () => true],
    [r + 1, () => true],
  ]),
  [PLANT_HOLDING.BACKUP_SOC, (v: number) => v <= 1000],
]);

/** The U32 holding registers: a write must cover both words. */
export const PLANT_U32_HOLDING: readonly number[] = [
  PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT,
  PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT,
  PLANT_HOLDING.PV_MAX_POWER_LIMIT,
  PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT,
  PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT,
];

/** Plant holding registers → what the battery is asked to do. */
export function controlsFrom(holding: ReadonlyMap<number, number>): SigenergyControls {
  const limit = (r: number): number | null => {
    const v = u32At(holding, r);
    return v === 0xffffffff ? null : v;
  };
  return {
    remoteEmsEnabled: holding.get(PLANT_HOLDING.REMOTE_EMS_ENABLE) === 1,
    remoteEmsMode: holding.get(PLANT_HOLDING.REMOTE_EMS_MODE) ?? 2,
    chargeLimitW: limit(PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT) ?? Infinity,
    dischargeLimitW: limit(PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT) ?? Infinity,
    exportLimitW: limit(PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT),
    importLimitW: limit(PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT),
    backupSocPct: (holding.get(PLANT_HOLDING.BACKUP_SOC) ?? 0) / 10,
    chargeCutOffSocPct: 100,
  };
}
