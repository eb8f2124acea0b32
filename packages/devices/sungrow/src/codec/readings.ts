import { DecodeError, type ReadingValue } from '@sps/core';
import { HOLDING, INPUT, POLL_BLOCKS, SWITCH_ON, type BlockName } from '../registers.js';
import { scale, type RegisterBlock } from './register-block.js';
import {
  decodeEmsMode,
  decodeForcedCommand,
  decodePowerFlow,
  decodeRunningState,
  resolveBatteryPower,
  withBatteryDirection,
} from './status.js';

export type PollBlocks = Partial<Record<BlockName, RegisterBlock>>;
export type SungrowReadingValues = Record<string, ReadingValue | null>;

/** 0.1 kWh registers → Wh. */
const KWH_TENTHS_TO_WH = 100;

/**
 * Decode one poll's register blocks into canonical readings (project units and signs).
 * Required blocks ('inverter', 'status') must be present and complete; optional blocks that the
 * transport lacked are simply absent and their readings are left out. Throws only DecodeError.
 */
export function decodeReadings(blocks: PollBlocks): SungrowReadingValues {
  for (const spec of POLL_BLOCKS) {
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
  const inverter = blocks.inverter as RegisterBlock;
  const status = blocks.status as RegisterBlock;
  const values: SungrowReadingValues = {};

  // Inverter (5003..5018)
  values.inverter_temperature = scale(inverter.s16(INPUT.INVERTER_TEMPERATURE), 0.1);
  values.pv_power = inverter.u32(INPUT.PV_POWER);
  values.inverter_output_energy_today = scale(inverter.u16(INPUT.DAILY_OUTPUT), KWH_TENTHS_TO_WH);
  values.inverter_output_energy = scale(inverter.u32(INPUT.TOTAL_OUTPUT), KWH_TENTHS_TO_WH);

  // Status and battery (13000..13047)
  const stateCode = status.u16(INPUT.RUNNING_STATE);
  values.running_state = decodeRunningState(stateCode);
  values.running_state_code = stateCode;
  const flow = decodePowerFlow(status.word(INPUT.POWER_FLOW));
  values.pv_generating = flow.pvGenerating;
  values.battery_charging = flow.batteryCharging;
  values.battery_discharging = flow.batteryDischarging;
  values.grid_exporting = flow.exporting;
  values.grid_importing = flow.importing;

  const batteryPower = resolveBatteryPower(status.word(INPUT.BATTERY_POWER), flow);
  values.battery_power = batteryPower;
  values.battery_voltage = scale(status.u16(INPUT.BATTERY_VOLTAGE), 0.1);
  values.battery_current = withBatteryDirection(scale(status.s16(INPUT.BATTERY_CURRENT), 0.1), batteryPower);
  values.battery_soc = scale(status.u16(INPUT.BATTERY_SOC), 0.1);
  values.battery_soh = scale(status.u16(INPUT.BATTERY_SOH), 0.1);
  values.battery_temperature = scale(status.s16(INPUT.BATTERY_TEMPERATURE), 0.1);
  values.battery_capacity = scale(status.u16(INPUT.BATTERY_CAPACITY), KWH_TENTHS_TO_WH);

  values.load_power = status.s32(INPUT.LOAD_POWER);
  const exportPower = status.s32(INPUT.EXPORT_POWER);
  values.export_power = exportPower;
  // Without the meter block (WiNet-S) the inverter's own export figure is the grid flow, sign flipped.
  values.grid_power = exportPower === null ? null : 0 - exportPower; // 0 - x: never -0

  const energy = (today: number, total: number): [number | null, number | null] => [
    scale(status.u16(today), KWH_TENTHS_TO_WH),
    scale(status.u32(total), KWH_TENTHS_TO_WH),
  ];
  [values.pv_energy_today, values.pv_energy] = energy(INPUT.PV_ENERGY_TODAY, INPUT.PV_ENERGY_TOTAL);
  [values.grid_import_energy_today, values.grid_import_energy] = energy(
    INPUT.GRID_IMPORT_TODAY,
    INPUT.GRID_IMPORT_TOTAL,
  );
  [values.grid_export_energy_today, values.grid_export_energy] = energy(
    INPUT.GRID_EXPORT_TODAY,
    INPUT.GRID_EXPORT_TOTAL,
  );
  [values.battery_charge_energy_today, values.battery_charge_energy] = energy(
    INPUT.BATTERY_CHARGE_TODAY,
    INPUT.BATTERY_CHARGE_TOTAL,
  );
  [values.battery_discharge_energy_today, values.battery_discharge_energy] = energy(
    INPUT.BATTERY_DISCHARGE_TODAY,
    INPUT.BATTERY_DISCHARGE_TOTAL,
  );
  values.load_energy_today = loadEnergy(values, '_today');
  values.load_energy = loadEnergy(values, '');

  // Meter (5601..5602): the grid meter's own figure, + import, preferred over the inverter's estimate.
  if (blocks.meter) {
    const meter = blocks.meter.s32(INPUT.METER_POWER);
    if (meter !== null) values.grid_power = meter;
  }

  // Battery detail (5628..5639): higher-precision current and capacity, BMS limits.
  if (blocks.battery_detail) {
    const detail = blocks.battery_detail;
    const current = withBatteryDirection(scale(detail.s16(INPUT.BATTERY_CURRENT_PRECISE), 0.1), batteryPower);
    if (current !== null) values.battery_current = current;
    const capacity = scale(detail.u16(INPUT.BATTERY_CAPACITY_PRECISE), 10);
    if (capacity !== null && capacity > 0) values.battery_capacity = capacity;
    values.bms_max_charge_current = detail.u16(INPUT.BMS_MAX_CHARGE_CURRENT);
    values.bms_max_discharge_current = detail.u16(INPUT.BMS_MAX_DISCHARGE_CURRENT);
  }

  // Control states (holding registers).
  if (blocks.ems) {
    const ems = blocks.ems;
    values.ems_mode = decodeEmsMode(ems.u16(HOLDING.EMS_MODE));
    values.forced_command = decodeForcedCommand(ems.u16(HOLDING.FORCED_COMMAND));
    values.forced_power = ems.u16(HOLDING.FORCED_POWER);
    values.max_soc = scale(ems.u16(HOLDING.MAX_SOC), 0.1);
    values.backup_reserve = scale(ems.u16(HOLDING.MIN_SOC), 0.1);
  }
  if (blocks.export_control) {
    values.export_limit = blocks.export_control.u16(HOLDING.EXPORT_LIMIT);
    values.export_limit_enabled = blocks.export_control.word(HOLDING.EXPORT_LIMIT_MODE) === SWITCH_ON;
  }
  if (blocks.battery_limits) {
    values.max_charge_power = scale(blocks.battery_limits.u16(HOLDING.MAX_CHARGE_POWER), 10);
    values.max_discharge_power = scale(blocks.battery_limits.u16(HOLDING.MAX_DISCHARGE_POWER), 10);
  }
  return values;
}

/**
 * The SH map has no household-consumption counter, so load energy is the AC energy balance:
 * PV + import + battery discharge − export − battery charge. Null when any term is unknown;
 * never negative (counter rounding can briefly make the balance dip below zero at midnight).
 */
function loadEnergy(values: SungrowReadingValues, suffix: '' | '_today'): number | null {
  const term = (key: string): number | null => {
    const v = values[`${key}${suffix}`];
    return typeof v === 'number' ? v : null;
  };
  const parts = [
    term('pv_energy'),
    term('grid_import_energy'),
    term('battery_discharge_energy'),
    term('grid_export_energy'),
    term('battery_charge_energy'),
  ];
  if (parts.some((p) => p === null)) return null;
  const [pv, imp, dis, exp, chg] = parts as number[];
  return Math.max(0, (pv ?? 0) + (imp ?? 0) + (dis ?? 0) - (exp ?? 0) - (chg ?? 0));
}
