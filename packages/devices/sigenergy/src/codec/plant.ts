import { DecodeError, type ReadingValue } from '@sps/core';
import { PLANT, PLANT_BLOCKS, PLANT_HOLDING, type PlantBlockName } from '../registers.js';
import { resolvePvPower } from './pv-quirk.js';
import { fromGain, type RegisterBlock } from './register-block.js';
import {
  decodeEmsWorkMode,
  decodeGridState,
  decodeOperatingMode,
  decodeRemoteEmsMode,
  decodeRunningState,
} from './states.js';

export type PlantBlocks = Partial<Record<PlantBlockName, RegisterBlock>>;
export type SigenergyReadingValues = Record<string, ReadingValue | null>;

/** The plant's limits and size, for the adapter's capabilities. */
export interface PlantRatings {
  readonly maxActivePowerW: number | null;
  readonly ratedChargeW: number | null;
  readonly ratedDischargeW: number | null;
  readonly capacityWh: number | null;
}

/** kW with gain 1000 → W; kWh with gain 100 → Wh; % with gain 10. */
const watts = (raw: number | null): number | null => fromGain(raw, 1000, 1000);
const wattHours = (raw: number | null): number | null => fromGain(raw, 100, 1000);
const percent = (raw: number | null): number | null => fromGain(raw, 10);

function checkBlocks(blocks: PlantBlocks, names?: readonly PlantBlockName[]): void {
  for (const spec of PLANT_BLOCKS) {
    if (names !== undefined && !names.includes(spec.name)) continue;
    const block = blocks[spec.name];
    if (block === undefined) {
      if (!spec.optional) throw new DecodeError(`required register block '${spec.name}' is missing`);
      continue;
    }
    if (!block.covers(spec.start, spec.count)) {
      throw new DecodeError(
        `register block '${spec.name}' is short: got ${block.start}..${block.end}, need ${spec.start}..${spec.start + spec.count - 1}`,
      );
    }
  }
}

export function decodePlantRatings(blocks: PlantBlocks): PlantRatings {
  checkBlocks(blocks, ['plant', 'plant_battery']);
  const plant = blocks.plant as RegisterBlock;
  const battery = blocks.plant_battery as RegisterBlock;
  return {
    maxActivePowerW: watts(plant.u32(PLANT.MAX_ACTIVE_POWER)),
    ratedChargeW: watts(plant.u32(PLANT.ESS_RATED_CHARGE_POWER)),
    ratedDischargeW: watts(plant.u32(PLANT.ESS_RATED_DISCHARGE_POWER)),
    capacityWh: wattHours(battery.u32(PLANT.ESS_RATED_CAPACITY)),
  };
}

/**
 * The plant's blocks (and each inverter's PV power) → readings in the project's units and signs.
 * Pure; throws only DecodeError (a required block missing or short).
 *
 * Signs: the plant says ESS power > 0 when CHARGING; ours is battery_power > 0 discharging, so it
 * is negated. Its grid sensor already says > 0 for import, as ours does.
 */
export function decodePlantReadings(
  blocks: PlantBlocks,
  inverterPvW: readonly (number | null)[] = [],
): SigenergyReadingValues {
  checkBlocks(blocks);
  const plant = blocks.plant as RegisterBlock;
  const battery = blocks.plant_battery as RegisterBlock;
  const remote = blocks.remote_ems as RegisterBlock;
  const values: SigenergyReadingValues = {};

  values.battery_soc = percent(plant.u16(PLANT.ESS_SOC));
  values.battery_soh = percent(battery.u16(PLANT.ESS_SOH));
  const ess = watts(plant.s32(PLANT.ESS_POWER));
  const batteryPower = ess === null ? null : 0 - ess; // 0 - x: never -0
  values.battery_power = batteryPower;
  const grid = watts(plant.s32(PLANT.GRID_POWER));
  values.grid_power = grid;

  const plantPv = watts(plant.s32(PLANT.PV_POWER));
  const pv = resolvePvPower(plantPv, inverterPvW);
  values.pv_power = pv.pvPowerW;
  values.plant_pv_power = plantPv;
  values.inverter_pv_power = pv.inverterPvW;
  values.pv_power_source = pv.source;
  values.firmware_quirk = pv.plantPvReadsZero ? 'plant_pv_reads_zero' : 'none';

  // Load: the plant's own figure (30284) when the firmware has it, else the AC balance.
  const measuredLoad = blocks.plant_load ? watts(blocks.plant_load.s32(PLANT.TOTAL_LOAD_POWER)) : null;
  const balance =
    grid === null || pv.pvPowerW === null || batteryPower === null
      ? null
      : Math.max(0, grid + pv.pvPowerW + batteryPower);
  values.load_power = measuredLoad === null ? balance : Math.max(0, measuredLoad);
  if (blocks.plant_load) {
    values.battery_temperature = fromGain(blocks.plant_load.s16(PLANT.AVERAGE_CELL_TEMPERATURE), 10);
  }

  const stateCode = plant.u16(PLANT.RUNNING_STATE);
  values.running_state = decodeRunningState(stateCode);
  values.running_state_code = stateCode;
  values.ems_work_mode = decodeEmsWorkMode(plant.u16(PLANT.EMS_WORK_MODE));
  values.grid_state = decodeGridState(plant.u16(PLANT.ON_OFF_GRID));
  const sensor = plant.u16(PLANT.GRID_SENSOR_STATUS);
  values.grid_sensor_connected = sensor === null ? null : sensor === 1;
  values.available_charge_power = watts(plant.u32(PLANT.ESS_AVAILABLE_CHARGE_POWER));
  values.available_discharge_power = watts(plant.u32(PLANT.ESS_AVAILABLE_DISCHARGE_POWER));
  values.available_charge_energy = wattHours(plant.u32(PLANT.ESS_AVAILABLE_CHARGE_ENERGY));
  values.available_discharge_energy = wattHours(plant.u32(PLANT.ESS_AVAILABLE_DISCHARGE_ENERGY));

  values.battery_capacity = wattHours(battery.u32(PLANT.ESS_RATED_CAPACITY));
  values.charge_cut_off_soc = percent(battery.u16(PLANT.ESS_CHARGE_CUT_OFF_SOC));
  values.discharge_cut_off_soc = percent(battery.u16(PLANT.ESS_DISCHARGE_CUT_OFF_SOC));

  if (blocks.plant_energy) {
    const e = blocks.plant_energy;
    values.pv_energy = wattHours(e.u64(PLANT.PV_ENERGY_TOTAL));
    values.load_energy_today = wattHours(e.u32(PLANT.LOAD_ENERGY_TODAY));
    values.load_energy = wattHours(e.u64(PLANT.LOAD_ENERGY_TOTAL));
  }
  if (blocks.plant_counters) {
    const c = blocks.plant_counters;
    values.battery_charge_energy = wattHours(c.u64(PLANT.ESS_CHARGE_ENERGY_TOTAL));
    values.battery_discharge_energy = wattHours(c.u64(PLANT.ESS_DISCHARGE_ENERGY_TOTAL));
    values.grid_import_energy = wattHours(c.u64(PLANT.GRID_IMPORT_ENERGY_TOTAL));
    values.grid_export_energy = wattHours(c.u64(PLANT.GRID_EXPORT_ENERGY_TOTAL));
  }

  // Remote EMS state (holding registers).
  const enable = remote.u16(PLANT_HOLDING.REMOTE_EMS_ENABLE);
  values.remote_ems_enabled = enable === null ? null : enable !== 0;
  const remoteMode = remote.u16(PLANT_HOLDING.REMOTE_EMS_MODE);
  values.ems_mode = decodeOperatingMode(enable, remoteMode);
  values.remote_ems_mode = decodeRemoteEmsMode(remoteMode);
  values.max_charge_power = watts(remote.u32(PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT));
  values.max_discharge_power = watts(remote.u32(PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT));
  values.pv_power_limit = watts(remote.u32(PLANT_HOLDING.PV_MAX_POWER_LIMIT));
  values.export_limit = watts(remote.u32(PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT));
  values.import_limit = watts(remote.u32(PLANT_HOLDING.GRID_MAX_IMPORT_LIMIT));
  if (blocks.backup) values.backup_reserve = percent(blocks.backup.u16(PLANT_HOLDING.BACKUP_SOC));
  return values;
}
