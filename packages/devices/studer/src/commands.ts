import { DeviceError, type Command } from '@sps/core';
import { z } from 'zod';
import { XT_PARAM, type StuderParameter } from './codec/objects.js';

/**
 * The Studer's own commands, for what the project's Command types do not name: the charger
 * current and the AC input current limit in amps, and the inverter/charger switches on their own.
 * They travel as the core `device_command` ({ type: 'device_command', name, …arguments }) so that
 * they take the same path as every other command (the add-on's SafetyGuard, write budget, ledger);
 * this schema is the driver's check of the name and the arguments (without `type`).
 */
const amps = z.number().finite().min(0).max(1000).describe('current, A');
export const SetChargerCurrentCommand = z.strictObject({ name: z.literal('set_charger_current'), amps });
export const SetAcInputCurrentLimitCommand = z.strictObject({ name: z.literal('set_ac_input_current_limit'), amps });
export const SetInverterAllowedCommand = z.strictObject({
  name: z.literal('set_inverter_allowed'),
  on: z.boolean().describe('true = the inverter may run'),
});
export const SetChargerAllowedCommand = z.strictObject({
  name: z.literal('set_charger_allowed'),
  on: z.boolean().describe('true = the charger may run'),
});

export const StuderCommand = z.discriminatedUnion('name', [
  SetChargerCurrentCommand,
  SetAcInputCurrentLimitCommand,
  SetInverterAllowedCommand,
  SetChargerAllowedCommand,
]);
export type StuderCommand = z.infer<typeof StuderCommand>;
export type StuderCommandName = StuderCommand['name'];

export const STUDER_COMMAND_NAMES: readonly StuderCommandName[] = StuderCommand.options.map((o) => o.shape.name.value);

/** `set_operating_mode` modes: which of the inverter (1124) and the charger (1125) are allowed. */
export const STUDER_OPERATING_MODES = ['inverter_and_charger', 'inverter_only', 'charger_only', 'off'] as const;
export type StuderOperatingMode = (typeof STUDER_OPERATING_MODES)[number];

const MODE_SWITCHES: Readonly<Record<StuderOperatingMode, { inverter: boolean; charger: boolean }>> = {
  inverter_and_charger: { inverter: true, charger: true },
  inverter_only: { inverter: true, charger: false },
  charger_only: { inverter: false, charger: true },
  off: { inverter: false, charger: false },
};

/** One parameter write on the Xtender, in the device's unit. */
export interface ParameterWrite {
  readonly parameter: StuderParameter;
  readonly value: number;
}

export interface StuderPlan {
  readonly writes: readonly ParameterWrite[];
  readonly applied: Readonly<Record<string, number | string | boolean>>;
}

/** A `device_command` (or its name and arguments) → a StuderCommand, or a `rejected` DeviceError naming the field. */
export function parseStuderCommand(input: unknown): StuderCommand {
  const { type: _type, ...rest } =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const parsed = StuderCommand.safeParse(rest);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new DeviceError('rejected', `${issue?.path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`);
}

/**
 * A command → the parameter writes it needs. Pure; the adapter checks each value against the
 * device's min/max, reads the parameter and writes only what differs.
 * - set_charge_limit (W) → 1138 charger current = W / the bank's nominal voltage, whole amps;
 * - set_operating_mode → 1124 inverter allowed, 1125 charger allowed;
 * - restore_normal → both allowed (the Xtender's own behaviour); the currents stay as set.
 */
export function planStuderCommand(command: Command, nominalVoltage: number): StuderPlan {
  if (command.type === 'device_command') return planOwnCommand(parseStuderCommand(command));
  switch (command.type) {
    case 'set_charge_limit': {
      const amps = Math.round(command.power_w / nominalVoltage);
      return {
        writes: [{ parameter: XT_PARAM.chargeCurrent, value: amps }],
        applied: { charger_current_a: amps, power_w: amps * nominalVoltage },
      };
    }
    case 'set_operating_mode': {
      if (!isStuderMode(command.mode)) {
        throw new DeviceError(
          'unsupported',
          `mode: '${command.mode}' is not a Studer operating mode (${STUDER_OPERATING_MODES.join(', ')})`,
        );
      }
      return modePlan(command.mode);
    }
    case 'restore_normal':
      return modePlan('inverter_and_charger');
    default:
      throw new DeviceError('unsupported', `${command.type}: a Studer Xtender takes no such command over Xcom-CAN`);
  }
}

function planOwnCommand(command: StuderCommand): StuderPlan {
  switch (command.name) {
    case 'set_charger_current':
      return {
        writes: [{ parameter: XT_PARAM.chargeCurrent, value: command.amps }],
        applied: { charger_current_a: command.amps },
      };
    case 'set_ac_input_current_limit':
      return {
        writes: [{ parameter: XT_PARAM.acInputCurrentLimit, value: command.amps }],
        applied: { ac_input_current_limit_a: command.amps },
      };
    case 'set_inverter_allowed':
      return {
        writes: [{ parameter: XT_PARAM.inverterAllowed, value: command.on ? 1 : 0 }],
        applied: { inverter_allowed: command.on },
      };
    case 'set_charger_allowed':
      return {
        writes: [{ parameter: XT_PARAM.chargerAllowed, value: command.on ? 1 : 0 }],
        applied: { charger_allowed: command.on },
      };
  }
}

function modePlan(mode: StuderOperatingMode): StuderPlan {
  const s = MODE_SWITCHES[mode];
  return {
    writes: [
      { parameter: XT_PARAM.inverterAllowed, value: s.inverter ? 1 : 0 },
      { parameter: XT_PARAM.chargerAllowed, value: s.charger ? 1 : 0 },
    ],
    applied: { mode, inverter_allowed: s.inverter, charger_allowed: s.charger },
  };
}

function isStuderMode(mode: string): mode is StuderOperatingMode {
  return (STUDER_OPERATING_MODES as readonly string[]).includes(mode);
}

/** The mode the two switches make. */
export function operatingModeOf(inverterAllowed: boolean, chargerAllowed: boolean): StuderOperatingMode {
  if (inverterAllowed) return chargerAllowed ? 'inverter_and_charger' : 'inverter_only';
  return chargerAllowed ? 'charger_only' : 'off';
}
