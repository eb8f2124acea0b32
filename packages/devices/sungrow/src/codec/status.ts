import { EMS_MODE_CODE, FORCED_COMMAND_CODE } from '../registers.js';

/**
 * Running state (input 13000). The vendor lists it as one code per state (mostly single bits);
 * names from the protocol's state table (device-protocols.md §4.2).
 */
const RUNNING_STATES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'stop'],
  [0x0008, 'standby'],
  [0x0010, 'initial_standby'],
  [0x0020, 'startup'],
  [0x0040, 'running'],
  [0x0100, 'fault'],
  [0x0400, 'maintenance'],
  [0x0800, 'forced'],
  [0x1000, 'off_grid'],
  [0x2501, 'restarting'],
  [0x4000, 'external_ems'],
]);

export const RUNNING_STATE_OPTIONS: readonly string[] = [...RUNNING_STATES.values(), 'unknown'];

export function decodeRunningState(code: number | null): string | null {
  if (code === null) return null;
  return RUNNING_STATES.get(code) ?? 'unknown';
}

/** Power-flow status bits (input 13001). */
export interface PowerFlow {
  readonly pvGenerating: boolean;
  readonly batteryCharging: boolean;
  readonly batteryDischarging: boolean;
  readonly positiveLoad: boolean;
  readonly exporting: boolean;
  readonly importing: boolean;
  readonly negativeLoad: boolean;
}

export const POWER_FLOW_BIT = {
  pvGenerating: 1 << 0,
  batteryCharging: 1 << 1,
  batteryDischarging: 1 << 2,
  positiveLoad: 1 << 3,
  exporting: 1 << 4,
  importing: 1 << 5,
  negativeLoad: 1 << 7,
} as const;

export function decodePowerFlow(word: number): PowerFlow {
  const has = (bit: number): boolean => (word & bit) !== 0;
  return {
    pvGenerating: has(POWER_FLOW_BIT.pvGenerating),
    batteryCharging: has(POWER_FLOW_BIT.batteryCharging),
    batteryDischarging: has(POWER_FLOW_BIT.batteryDischarging),
    positiveLoad: has(POWER_FLOW_BIT.positiveLoad),
    exporting: has(POWER_FLOW_BIT.exporting),
    importing: has(POWER_FLOW_BIT.importing),
    negativeLoad: has(POWER_FLOW_BIT.negativeLoad),
  };
}

export function encodePowerFlow(flow: Partial<PowerFlow>): number {
  let word = 0;
  for (const [key, bit] of Object.entries(POWER_FLOW_BIT)) {
    if (flow[key as keyof PowerFlow] === true) word |= bit;
  }
  return word;
}

/**
 * Battery power in the project's convention (+ discharge) from register 13022 and the flow bits.
 *
 * Firmware before ~Oct 2024 reports 13022 as an unsigned magnitude and the direction only in the
 * 13001 bits; newer firmware reports it signed (+ charging, − discharging). Reading the word as
 * signed and taking its magnitude is right for both (an old firmware magnitude never reaches
 * 32768 W on an SH), and the bits then give the direction. Without a direction bit the signed
 * value decides, which is what new firmware means and is 0 or tiny on old firmware.
 * `null` when the register says "not available" (0x7FFF).
 */
export function resolveBatteryPower(word: number, flow: PowerFlow): number | null {
  if (word === 0x7fff) return null;
  const signed = word >= 0x8000 ? word - 0x10000 : word;
  const magnitude = Math.abs(signed);
  if (magnitude === 0) return 0;
  if (flow.batteryDischarging && !flow.batteryCharging) return magnitude;
  if (flow.batteryCharging && !flow.batteryDischarging) return -magnitude;
  // Vendor sign (+ charging) flipped to ours (+ discharging).
  return -signed;
}

/** Give a magnitude the direction of the battery power (currents' signs are as firmware-dependent as power's). */
export function withBatteryDirection(value: number | null, batteryPowerW: number | null): number | null {
  if (value === null) return null;
  const magnitude = Math.abs(value);
  if (magnitude === 0) return 0;
  if (batteryPowerW === null || batteryPowerW === 0) return value;
  return batteryPowerW > 0 ? magnitude : -magnitude;
}

export type EmsModeName = keyof typeof EMS_MODE_CODE;

export const EMS_MODES: readonly EmsModeName[] = Object.keys(EMS_MODE_CODE) as EmsModeName[];

export function decodeEmsMode(code: number | null): string | null {
  if (code === null) return null;
  const entry = Object.entries(EMS_MODE_CODE).find(([, c]) => c === code);
  return entry ? entry[0] : 'unknown';
}

export function decodeForcedCommand(code: number | null): string | null {
  if (code === null) return null;
  const entry = Object.entries(FORCED_COMMAND_CODE).find(([, c]) => c === code);
  return entry ? entry[0] : 'unknown';
}
