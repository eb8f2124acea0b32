import { DeviceError, type Command, type DeviceLimits } from '@sps/core';
import { EMS_MODE_CODE, FORCED_COMMAND_CODE, HOLDING, SWITCH_ON } from './registers.js';

/** One holding-register write, in doc numbering. */
export interface RegisterWrite {
  readonly register: number;
  readonly value: number;
}

/** The writes a command needs, in order, and what will actually be applied after rounding. */
export interface CommandPlan {
  readonly writes: readonly RegisterWrite[];
  readonly applied: Readonly<Record<string, number | string | boolean>>;
}

export const SUNGROW_OPERATING_MODES = ['self_consumption', 'forced'] as const;

/**
 * Command → register writes, from the vendor map (device-protocols.md §4.2). Pure: the adapter
 * executes the plan, skipping writes whose register already holds the value.
 * Order matters: EMS mode before the forced command (some firmware ignores 13051 otherwise,
 * per the mkaiser forced-charge recipe), limits before enabling them, and a restore writes the
 * mode register first so any prefix of it leaves the inverter in its own mode.
 */
export function planCommand(command: Command, limits: DeviceLimits): CommandPlan {
  switch (command.type) {
    case 'force_charge':
    case 'force_discharge': {
      const charging = command.type === 'force_charge';
      const max = charging ? limits.maxChargeW : limits.maxDischargeW;
      const watts = checkedWatts(command.power_w, max, 'power_w', 1, 0xffff);
      return {
        writes: [
          { register: HOLDING.EMS_MODE, value: EMS_MODE_CODE.forced },
          {
            register: HOLDING.FORCED_COMMAND,
            value: charging ? FORCED_COMMAND_CODE.charge : FORCED_COMMAND_CODE.discharge,
          },
          { register: HOLDING.FORCED_POWER, value: watts },
        ],
        applied: { power_w: watts, ems_mode: 'forced', forced_command: charging ? 'charge' : 'discharge' },
      };
    }
    case 'restore_normal':
      // The mode register first: in self-consumption the inverter ignores 13051, so a restore cut
      // off after its first write (shutdown deadline, lost link) already leaves the inverter in its
      // own mode. The forced command is reset after, so a later EMS "forced" does not resume it.
      return {
        writes: [
          { register: HOLDING.EMS_MODE, value: EMS_MODE_CODE.self_consumption },
          { register: HOLDING.FORCED_COMMAND, value: FORCED_COMMAND_CODE.stop },
        ],
        applied: { ems_mode: 'self_consumption', forced_command: 'stop' },
      };
    case 'set_backup_reserve': {
      const tenths = Math.round(command.percent * 10);
      return { writes: [{ register: HOLDING.MIN_SOC, value: tenths }], applied: { percent: tenths / 10 } };
    }
    case 'set_charge_limit':
    case 'set_discharge_limit': {
      const charging = command.type === 'set_charge_limit';
      const max = charging ? limits.maxChargeW : limits.maxDischargeW;
      // 33047/33048 hold tens of watts.
      const tens = checkedWatts(command.power_w, max, 'power_w', 10, 0xffff * 10) / 10;
      return {
        writes: [{ register: charging ? HOLDING.MAX_CHARGE_POWER : HOLDING.MAX_DISCHARGE_POWER, value: tens }],
        applied: { power_w: tens * 10 },
      };
    }
    case 'set_export_limit': {
      const watts = checkedWatts(command.power_w, limits.maxExportW, 'power_w', 1, 0xffff);
      return {
        writes: [
          { register: HOLDING.EXPORT_LIMIT, value: watts },
          { register: HOLDING.EXPORT_LIMIT_MODE, value: SWITCH_ON },
        ],
        applied: { power_w: watts, export_limit_enabled: true },
      };
    }
    case 'set_operating_mode': {
      const mode = command.mode;
      if (mode !== 'self_consumption' && mode !== 'forced') {
        throw new DeviceError(
          'unsupported',
          `mode: '${mode}' is not a Sungrow SH operating mode (${SUNGROW_OPERATING_MODES.join(', ')})`,
        );
      }
      return { writes: [{ register: HOLDING.EMS_MODE, value: EMS_MODE_CODE[mode] }], applied: { mode } };
    }
    case 'set_relay':
      throw new DeviceError('unsupported', 'set_relay: a Sungrow SH inverter has no relay to switch');
    case 'device_command':
      throw new DeviceError('unsupported', `${command.name}: the driver declares no commands of its own`);
  }
}

/** Round to the register's resolution and refuse what the hardware cannot do. */
function checkedWatts(
  requested: number,
  deviceMax: number | undefined,
  field: string,
  step: number,
  registerMax: number,
): number {
  const rounded = Math.round(requested / step) * step;
  const max = Math.min(deviceMax ?? registerMax, registerMax);
  if (rounded > max) {
    throw new DeviceError('rejected', `${field}: ${requested} W is above this inverter's limit of ${max} W`);
  }
  return rounded;
}
