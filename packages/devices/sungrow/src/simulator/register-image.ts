import { encode } from '../codec/register-block.js';
import { encodePowerFlow } from '../codec/status.js';
import { EMS_MODE_CODE, FORCED_COMMAND_CODE, HOLDING, INPUT, SWITCH_OFF, SWITCH_ON } from '../registers.js';
import type { SungrowControls, SungrowPhysicalState } from './physics.js';

/** How the simulated unit identifies itself and which firmware/transport quirks it shows. */
export interface SimulatedIdentity {
  readonly deviceTypeCode: number;
  readonly serial: string;
  readonly armSoftware: string;
  readonly dspSoftware: string;
  readonly ratedPowerW: number;
  readonly phases: 1 | 3;
  /** 'unsigned': firmware before ~Oct 2024 (13022 magnitude only); 'signed': newer (+ charging). */
  readonly batteryPowerSign: 'unsigned' | 'signed';
  /** 'winet': the WiNet-S dongle, which lacks the meter, battery-detail and software-version blocks. */
  readonly transport: 'lan' | 'winet';
}

/** Input-register ranges the simulator answers (doc numbering, inclusive); anything else is exception 02. */
export function mappedInputRanges(transport: 'lan' | 'winet'): readonly (readonly [number, number])[] {
  const always: [number, number][] = [
    [INPUT.SERIAL, INPUT.OUTPUT_TYPE],
    [INPUT.DAILY_OUTPUT, INPUT.PV_POWER + 1],
    [INPUT.RUNNING_STATE, INPUT.GRID_EXPORT_TOTAL + 1],
  ];
  if (transport === 'winet') return always;
  return [
    ...always,
    [INPUT.ARM_SOFTWARE, INPUT.DSP_SOFTWARE + 14],
    [INPUT.METER_POWER, INPUT.METER_POWER + 1],
    [INPUT.BDC_RATED_POWER, INPUT.BATTERY_CAPACITY_PRECISE],
  ];
}

/** Energy in Wh → the inverter's 0.1 kWh counters (truncated, as a counter is). */
const tenthsKwh = (wh: number): number => Math.floor(wh / 100);

/**
 * Render the physical state as the inverter's input registers, in the vendor's encodings:
 * low word first, ×0.1 scales, export power + export, 13022 per firmware generation.
 */
export function renderInputRegisters(state: SungrowPhysicalState, id: SimulatedIdentity): Map<number, number> {
  const regs = new Map<number, number>();
  const put = (start: number, words: number[]): void => words.forEach((w, i) => regs.set(start + i, w));
  const fill = (from: number, to: number): void => {
    for (let r = from; r <= to; r++) regs.set(r, 0);
  };
  for (const [from, to] of mappedInputRanges(id.transport)) fill(from, to);

  // Identity
  put(INPUT.SERIAL, encode.string(id.serial, 10));
  put(INPUT.DEVICE_TYPE, encode.u16(id.deviceTypeCode));
  put(INPUT.NOMINAL_POWER, encode.u16(id.ratedPowerW / 100));
  put(INPUT.OUTPUT_TYPE, encode.u16(id.phases === 3 ? 1 : 0));
  if (id.transport === 'lan') {
    put(INPUT.ARM_SOFTWARE, encode.string(id.armSoftware, 15));
    put(INPUT.DSP_SOFTWARE, encode.string(id.dspSoftware, 15));
  }

  // Inverter block
  put(INPUT.DAILY_OUTPUT, encode.u16(tenthsKwh(state.today.inverterOutputWh)));
  put(INPUT.TOTAL_OUTPUT, encode.u32(tenthsKwh(state.total.inverterOutputWh)));
  put(INPUT.INVERTER_TEMPERATURE, encode.s16(state.inverterTemperatureC * 10));
  put(INPUT.PV_POWER, encode.u32(state.pvPowerW));

  // Status block
  const battery = state.batteryPowerW; // + discharge
  const grid = state.gridPowerW; // + import
  put(INPUT.RUNNING_STATE, encode.u16(0x0040));
  put(
    INPUT.POWER_FLOW,
    encode.u16(
      encodePowerFlow({
        pvGenerating: state.pvPowerW > 0,
        batteryCharging: battery < 0,
        batteryDischarging: battery > 0,
        positiveLoad: state.loadPowerW > 0,
        exporting: grid < 0,
        importing: grid > 0,
      }),
    ),
  );
  put(INPUT.PV_ENERGY_TODAY, encode.u16(tenthsKwh(state.today.pvWh)));
  put(INPUT.PV_ENERGY_TOTAL, encode.u32(tenthsKwh(state.total.pvWh)));
  put(INPUT.LOAD_POWER, encode.s32(state.loadPowerW));
  put(INPUT.EXPORT_POWER, encode.s32(-grid));
  put(INPUT.BATTERY_VOLTAGE, encode.u16(state.batteryVoltageV * 10));
  // Vendor sign for battery current and power on new firmware: + charging.
  const vendorCurrent = Math.round(-state.batteryCurrentA * 10);
  const vendorPower = -battery;
  if (id.batteryPowerSign === 'signed') {
    put(INPUT.BATTERY_CURRENT, encode.s16(vendorCurrent));
    put(INPUT.BATTERY_POWER, encode.s16(vendorPower));
  } else {
    put(INPUT.BATTERY_CURRENT, encode.u16(Math.abs(vendorCurrent)));
    put(INPUT.BATTERY_POWER, encode.u16(Math.abs(vendorPower)));
  }
  put(INPUT.BATTERY_SOC, encode.u16(state.socPct * 10));
  put(INPUT.BATTERY_SOH, encode.u16(state.sohPct * 10));
  put(INPUT.BATTERY_TEMPERATURE, encode.s16(state.batteryTemperatureC * 10));
  put(INPUT.BATTERY_DISCHARGE_TODAY, encode.u16(tenthsKwh(state.today.batteryDischargeWh)));
  put(INPUT.BATTERY_DISCHARGE_TOTAL, encode.u32(tenthsKwh(state.total.batteryDischargeWh)));
  put(INPUT.GRID_IMPORT_TODAY, encode.u16(tenthsKwh(state.today.gridImportWh)));
  put(INPUT.GRID_IMPORT_TOTAL, encode.u32(tenthsKwh(state.total.gridImportWh)));
  put(INPUT.BATTERY_CAPACITY, encode.u16(state.capacityWh / 100));
  put(INPUT.BATTERY_CHARGE_TODAY, encode.u16(tenthsKwh(state.today.batteryChargeWh)));
  put(INPUT.BATTERY_CHARGE_TOTAL, encode.u32(tenthsKwh(state.total.batteryChargeWh)));
  put(INPUT.GRID_EXPORT_TODAY, encode.u16(tenthsKwh(state.today.gridExportWh)));
  put(INPUT.GRID_EXPORT_TOTAL, encode.u32(tenthsKwh(state.total.gridExportWh)));

  if (id.transport === 'lan') {
    put(INPUT.METER_POWER, encode.s32(grid));
    put(INPUT.BDC_RATED_POWER, encode.u16(id.ratedPowerW / 100));
    put(INPUT.BATTERY_CURRENT_PRECISE, encode.s16(vendorCurrent));
    put(INPUT.BMS_MAX_CHARGE_CURRENT, encode.u16(30));
    put(INPUT.BMS_MAX_DISCHARGE_CURRENT, encode.u16(30));
    put(INPUT.BATTERY_CAPACITY_PRECISE, encode.u16(state.capacityWh / 10));
  }
  return regs;
}

/** The holding registers a fresh inverter starts with: self-consumption, 10 % reserve, no export limit. */
export function initialHoldingRegisters(ratedPowerW: number): Map<number, number> {
  const regs = new Map<number, number>();
  for (let r = HOLDING.EMS_MODE; r <= HOLDING.MIN_SOC; r++) regs.set(r, 0);
  for (let r = HOLDING.EXPORT_LIMIT; r <= HOLDING.EXPORT_LIMIT_MODE; r++) regs.set(r, 0);
  regs.set(HOLDING.EMS_MODE, EMS_MODE_CODE.self_consumption);
  regs.set(HOLDING.FORCED_COMMAND, FORCED_COMMAND_CODE.stop);
  regs.set(HOLDING.FORCED_POWER, 0);
  regs.set(HOLDING.MAX_SOC, 1000);
  regs.set(HOLDING.MIN_SOC, 100);
  regs.set(HOLDING.EXPORT_LIMIT, ratedPowerW);
  regs.set(HOLDING.EXPORT_LIMIT_MODE, SWITCH_OFF);
  regs.set(HOLDING.MAX_CHARGE_POWER, ratedPowerW / 10);
  regs.set(HOLDING.MAX_DISCHARGE_POWER, ratedPowerW / 10);
  return regs;
}

/**
 * Which values each writable holding register accepts; a register not listed is read-only
 * (reserved words inside a block) and a write to it gets exception 02, a bad value exception 03.
 */
export const WRITABLE_HOLDING: ReadonlyMap<number, (value: number) => boolean> = new Map([
  [HOLDING.EMS_MODE, (v: number) => (Object.values(EMS_MODE_CODE) as number[]).includes(v)],
  [HOLDING.FORCED_COMMAND, (v: number) => (Object.values(FORCED_COMMAND_CODE) as number[]).includes(v)],
  [HOLDING.FORCED_POWER, () => true],
  [HOLDING.MAX_SOC, (v: number) => v <= 1000],
  [HOLDING.MIN_SOC, (v: number) => v <= 1000],
  [HOLDING.EXPORT_LIMIT, () => true],
  [HOLDING.EXPORT_LIMIT_MODE, (v: number) => v === SWITCH_ON || v === SWITCH_OFF],
  [HOLDING.MAX_CHARGE_POWER, () => true],
  [HOLDING.MAX_DISCHARGE_POWER, () => true],
]);

/** Holding registers → what the battery is asked to do. */
export function controlsFrom(holding: ReadonlyMap<number, number>): SungrowControls {
  const get = (r: number): number => holding.get(r) ?? 0;
  return {
    emsMode: get(HOLDING.EMS_MODE),
    forcedCommand: get(HOLDING.FORCED_COMMAND),
    forcedPowerW: get(HOLDING.FORCED_POWER),
    minSocPct: get(HOLDING.MIN_SOC) / 10,
    maxSocPct: get(HOLDING.MAX_SOC) / 10,
    exportLimitW: get(HOLDING.EXPORT_LIMIT_MODE) === SWITCH_ON ? get(HOLDING.EXPORT_LIMIT) : null,
    maxChargeW: get(HOLDING.MAX_CHARGE_POWER) * 10,
    maxDischargeW: get(HOLDING.MAX_DISCHARGE_POWER) * 10,
  };
}
