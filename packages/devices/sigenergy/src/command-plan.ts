import { DeviceError, type Command, type DeviceLimits } from '@sps/core';
import { encode } from './codec/register-block.js';
import { SIGENERGY_OPERATING_MODES, type SigenergyOperatingMode } from './codec/states.js';
import { PLANT_HOLDING, REMOTE_EMS_MODE_CODE } from './registers.js';

/** One holding-register write on the plant: one word (FC6) or a U32's two words (FC16). */
export interface RegisterWrite {
  readonly register: number;
  readonly words: readonly number[];
}

/** The writes a command needs, in order, and what will actually be applied after rounding. */
export interface CommandPlan {
  readonly writes: readonly RegisterWrite[];
  readonly applied: Readonly<Record<string, number | string | boolean>>;
}

const ENABLE = PLANT_HOLDING.REMOTE_EMS_ENABLE;
const MODE = PLANT_HOLDING.REMOTE_EMS_MODE;

/** Remote EMS off: the plant goes back to the work mode the user chose in the app. One write. */
const HAND_BACK: CommandPlan = {
  writes: [{ register: ENABLE, words: [0] }],
  applied: { remote_ems_enabled: false, ems_mode: 'self_consumption' },
};

/**
 * Command → plant holding-register writes (device-protocols.md §5.2). Pure: the adapter executes
 * the plan, skipping writes whose registers already hold the words.
 *
 * Order matters:
 * - a forced mode writes its power limit, then the remote EMS mode, and enables remote EMS last,
 *   so the plant never runs a stale mode or power from an earlier command, even for a moment;
 * - restore_normal is a single write, remote EMS off (40029←0), so nothing can cut it in half:
 *   once it lands the plant is back in its own mode. 40031 is left as it was; every path here
 *   that enables remote EMS writes the mode first, so an old mode never resumes.
 *
 * Powers are whole watts (40032.. are U32 with gain 1000 on kW: the raw value IS watts).
 */
export function planCommand(command: Command, limits: DeviceLimits): CommandPlan {
  switch (command.type) {
    case 'force_charge':
    case 'force_discharge': {
      const charging = command.type === 'force_charge';
      const watts = checkedWatts(command.power_w, charging ? limits.maxChargeW : limits.maxDischargeW);
      const mode = charging ? ('charge_grid_first' as const) : ('discharge_ess_first' as const);
      const code = REMOTE_EMS_MODE_CODE[mode];
      return {
        writes: [
          {
            register: charging ? PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT : PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT,
            words: encode.u32(watts),
          },
          ...enableRemote(code),
        ],
        applied: { power_w: watts, remote_ems_enabled: true, ems_mode: 'forced', remote_ems_mode: mode },
      };
    }
    case 'restore_normal':
      return HAND_BACK;
    case 'set_backup_reserve': {
      const tenths = Math.round(command.percent * 10);
      return {
        writes: [{ register: PLANT_HOLDING.BACKUP_SOC, words: encode.u16(tenths) }],
        applied: { percent: tenths / 10 },
      };
    }
    case 'set_charge_limit':
    case 'set_discharge_limit': {
      const charging = command.type === 'set_charge_limit';
      const watts = checkedWatts(command.power_w, charging ? limits.maxChargeW : limits.maxDischargeW);
      return {
        writes: [
          {
            register: charging ? PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT : PLANT_HOLDING.ESS_MAX_DISCHARGE_LIMIT,
            words: encode.u32(watts),
          },
        ],
        applied: { power_w: watts },
      };
    }
    case 'set_export_limit': {
      const watts = checkedWatts(command.power_w, limits.maxExportW);
      return {
        writes: [{ register: PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT, words: encode.u32(watts) }],
        applied: { power_w: watts },
      };
    }
    case 'set_operating_mode': {
      const mode = command.mode;
      if (!isOperatingMode(mode)) {
        throw new DeviceError(
          'unsupported',
          `mode: '${mode}' is not a Sigenergy operating mode (${SIGENERGY_OPERATING_MODES.join(', ')})`,
        );
      }
      if (mode === 'self_consumption') return { writes: HAND_BACK.writes, applied: { mode } };
      return { writes: enableRemote(REMOTE_EMS_MODE_CODE.standby), applied: { mode, remote_ems_mode: 'standby' } };
    }
    case 'set_relay':
      throw new DeviceError('unsupported', 'set_relay: a Sigenergy plant has no relay to switch');
    case 'device_command':
      throw new DeviceError('unsupported', `${command.name}: the driver declares no commands of its own`);
  }
}

function isOperatingMode(mode: string): mode is SigenergyOperatingMode {
  return (SIGENERGY_OPERATING_MODES as readonly string[]).includes(mode);
}

/** 40031 ← the mode, then 40029 ← 1. */
function enableRemote(code: number): RegisterWrite[] {
  return [
    { register: MODE, words: [code] },
    { register: ENABLE, words: [1] },
  ];
}

/** Whole watts, and never above what the plant reports it can do. */
function checkedWatts(requested: number, deviceMax: number | undefined): number {
  const watts = Math.round(requested);
  if (deviceMax !== undefined && watts > deviceMax) {
    throw new DeviceError('rejected', `power_w: ${requested} W is above this plant's limit of ${deviceMax} W`);
  }
  return watts;
}
