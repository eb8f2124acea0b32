import type { Command, DeviceCapabilities } from '@sps/core';
import type { PlanInterval } from '@sps/scheduler';

/**
 * What the battery should be doing right now, independent of the device's command set:
 * - `charge` / `discharge` at a power (forced),
 * - `hold` (neither charge nor discharge; the house runs on PV and grid),
 * - `self_consumption` (the battery's own mode: store surplus, cover demand).
 */
export type ControlTarget =
  | { readonly kind: 'charge'; readonly powerW: number }
  | { readonly kind: 'discharge'; readonly powerW: number }
  | { readonly kind: 'hold' }
  | { readonly kind: 'self_consumption' };

/** Forced powers are written in 10 W steps: finer steps only cost flash writes (Sungrow 13052 is 1 W). */
const POWER_STEP_W = 10;

export function roundPowerW(watts: number): number {
  return Math.max(0, Math.round(watts / POWER_STEP_W) * POWER_STEP_W);
}

/**
 * A plan interval → target. CHARGE/EXPORT are forced at the plan's battery power; SELF_CONSUMPTION
 * is the battery's own mode (it follows the house better than a forecast can); IDLE is a hold.
 */
export function targetForInterval(
  interval: Pick<PlanInterval, 'action' | 'battery_charge_kw' | 'battery_discharge_kw'>,
): ControlTarget {
  switch (interval.action) {
    case 'CHARGE':
      return { kind: 'charge', powerW: roundPowerW(interval.battery_charge_kw * 1000) };
    case 'EXPORT':
      return { kind: 'discharge', powerW: roundPowerW(interval.battery_discharge_kw * 1000) };
    case 'IDLE':
      return { kind: 'hold' };
    case 'SELF_CONSUMPTION':
      return { kind: 'self_consumption' };
  }
}

/**
 * Target → the device's typed command. A hold uses the device's own `hold` operating mode when it
 * has one; otherwise a forced charge at 0 W, which on a Sungrow SH (no hold register) keeps the
 * battery still while PV surplus goes to the grid and demand comes from the grid.
 */
export function commandForTarget(target: ControlTarget, capabilities: DeviceCapabilities): Command {
  switch (target.kind) {
    case 'charge':
      return { type: 'force_charge', power_w: target.powerW };
    case 'discharge':
      return { type: 'force_discharge', power_w: target.powerW };
    case 'hold':
      if (capabilities.operatingModes?.includes('hold') && capabilities.commands.includes('set_operating_mode')) {
        return { type: 'set_operating_mode', mode: 'hold' };
      }
      return { type: 'force_charge', power_w: 0 };
    case 'self_consumption':
      return { type: 'restore_normal' };
  }
}

/** The plan's vocabulary for a target (status, HA sensor). */
export function actionOfTarget(target: ControlTarget): 'CHARGE' | 'EXPORT' | 'IDLE' | 'SELF_CONSUMPTION' {
  switch (target.kind) {
    case 'charge':
      return 'CHARGE';
    case 'discharge':
      return 'EXPORT';
    case 'hold':
      return 'IDLE';
    case 'self_consumption':
      return 'SELF_CONSUMPTION';
  }
}

export function describeTarget(target: ControlTarget): string {
  switch (target.kind) {
    case 'charge':
      return `charge at ${target.powerW} W`;
    case 'discharge':
      return `discharge at ${target.powerW} W`;
    case 'hold':
      return 'hold';
    case 'self_consumption':
      return 'self-consumption';
  }
}
