import { REMOTE_EMS_MODE_CODE, type RemoteEmsModeName } from '../registers.js';

/** Enumerations of the plant registers (vendor protocol appendices, device-protocols.md §5.2). */
const RUNNING_STATES: ReadonlyMap<number, string> = new Map([
  [0, 'standby'],
  [1, 'running'],
  [2, 'fault'],
  [3, 'shutdown'],
  [7, 'environmental_abnormality'],
]);

const EMS_WORK_MODES: ReadonlyMap<number, string> = new Map([
  [0, 'max_self_consumption'],
  [1, 'ai'],
  [2, 'tou'],
  [5, 'full_feed_in'],
  [6, 'vpp'],
  [7, 'remote_ems'],
  [9, 'custom'],
]);

const GRID_STATES: ReadonlyMap<number, string> = new Map([
  [0, 'on_grid'],
  [1, 'off_grid_auto'],
  [2, 'off_grid_manual'],
]);

export const RUNNING_STATE_OPTIONS: readonly string[] = [...RUNNING_STATES.values(), 'unknown'];
export const EMS_WORK_MODE_OPTIONS: readonly string[] = [...EMS_WORK_MODES.values(), 'unknown'];
export const GRID_STATE_OPTIONS: readonly string[] = [...GRID_STATES.values(), 'unknown'];

const lookup =
  (table: ReadonlyMap<number, string>) =>
  (code: number | null): string | null =>
    code === null ? null : (table.get(code) ?? 'unknown');

export const decodeRunningState = lookup(RUNNING_STATES);
export const decodeEmsWorkMode = lookup(EMS_WORK_MODES);
export const decodeGridState = lookup(GRID_STATES);

/**
 * The operating modes the adapter offers (`set_operating_mode`, the HA select). `self_consumption`
 * is the device's own mode: remote EMS off. The others are remote EMS on with that 40031 mode.
 */
export const SIGENERGY_OPERATING_MODES = [
  'self_consumption',
  'remote_self_consumption',
  'standby',
  'charge_grid_first',
  'charge_pv_first',
  'discharge_pv_first',
  'discharge_ess_first',
] as const;

export type SigenergyOperatingMode = (typeof SIGENERGY_OPERATING_MODES)[number];

/** The remote EMS mode (40031) each operating mode other than `self_consumption` selects. */
export const OPERATING_MODE_TO_REMOTE: Readonly<
  Record<Exclude<SigenergyOperatingMode, 'self_consumption'>, RemoteEmsModeName>
> = {
  remote_self_consumption: 'self_consumption',
  standby: 'standby',
  charge_grid_first: 'charge_grid_first',
  charge_pv_first: 'charge_pv_first',
  discharge_pv_first: 'discharge_pv_first',
  discharge_ess_first: 'discharge_ess_first',
};

/** 40029 + 40031 → the operating mode shown in HA; `unknown` for a 40031 code we do not offer (0 PCS, 8 V2G…). */
export function decodeOperatingMode(enable: number | null, remoteMode: number | null): string | null {
  if (enable === null) return null;
  if (enable === 0) return 'self_consumption';
  const remote = Object.entries(REMOTE_EMS_MODE_CODE).find(([, code]) => code === remoteMode)?.[0];
  const offered = Object.entries(OPERATING_MODE_TO_REMOTE).find(([, r]) => r === remote)?.[0];
  return offered ?? 'unknown';
}
