import { REMOTE_EMS_MODE_CODE } from '../registers.js';

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
 * The operating modes `set_operating_mode` (and the HA select) offers, in the project's vocabulary so
 * the controller and the hand-back understand them: `self_consumption` is the plant's own mode
 * (remote EMS off); `hold` is remote EMS on in standby (the battery neither charges nor discharges),
 * which the controller uses for an idle interval and the hand-back counts as forced. Forced charge
 * and discharge are their own commands. The other remote EMS modes are shown (`remote_ems_mode`) but
 * not offered: a mode the hand-back did not know as forced could outlive the add-on.
 */
export const SIGENERGY_OPERATING_MODES = ['self_consumption', 'hold'] as const;

export type SigenergyOperatingMode = (typeof SIGENERGY_OPERATING_MODES)[number];

/** 40029 + 40031 → `self_consumption` (remote EMS off), `hold` (standby) or `forced` (any other remote EMS mode). */
export function decodeOperatingMode(enable: number | null, remoteMode: number | null): string | null {
  if (enable === null) return null;
  if (enable === 0) return 'self_consumption';
  return remoteMode === REMOTE_EMS_MODE_CODE.standby ? 'hold' : 'forced';
}

export const REMOTE_EMS_MODE_OPTIONS: readonly string[] = [...Object.keys(REMOTE_EMS_MODE_CODE), 'unknown'];

/** 40031 → its name (`charge_grid_first`, …), `unknown` for codes this map lacks (8 V2G…). */
export function decodeRemoteEmsMode(code: number | null): string | null {
  if (code === null) return null;
  return Object.entries(REMOTE_EMS_MODE_CODE).find(([, c]) => c === code)?.[0] ?? 'unknown';
}
