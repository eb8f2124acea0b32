import type { DeviceLimits } from '@sps/core';

/**
 * The user's safety options (add-on `safety:` section). Every cap is optional and
 * only ever tightens what the device itself allows; it can never widen it.
 */
export interface UserSafetyLimits {
  /** Never discharge below this state of charge, %; also the lowest backup reserve a command may set. */
  readonly backupReservePct: number;
  readonly maxChargeW?: number;
  readonly maxDischargeW?: number;
  /** Highest export to the grid the user allows, W. */
  readonly exportLimitW?: number;
}

/** The limits a command is checked against: the tighter of the device's and the user's. */
export interface EffectiveLimits {
  readonly maxChargeW?: number;
  readonly maxDischargeW?: number;
  readonly maxExportW?: number;
  /** Lowest backup reserve a command may set, %. */
  readonly minBackupReservePct: number;
  readonly maxBackupReservePct: number;
  /** Discharging is refused at or below this SOC, %. */
  readonly backupReservePct: number;
}

export const DEFAULT_USER_SAFETY_LIMITS: UserSafetyLimits = { backupReservePct: 10 };

function tighter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export function effectiveLimits(device: DeviceLimits, user: UserSafetyLimits): EffectiveLimits {
  const maxChargeW = tighter(device.maxChargeW, user.maxChargeW);
  const maxDischargeW = tighter(device.maxDischargeW, user.maxDischargeW);
  const maxExportW = tighter(device.maxExportW, user.exportLimitW);
  return {
    ...(maxChargeW === undefined ? {} : { maxChargeW }),
    ...(maxDischargeW === undefined ? {} : { maxDischargeW }),
    ...(maxExportW === undefined ? {} : { maxExportW }),
    minBackupReservePct: Math.max(device.minBackupReservePct ?? 0, user.backupReservePct),
    maxBackupReservePct: device.maxBackupReservePct ?? 100,
    backupReservePct: user.backupReservePct,
  };
}
