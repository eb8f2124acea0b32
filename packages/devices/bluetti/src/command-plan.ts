import { DeviceError, type Command } from '@sps/core';
import { CHARGING_MODES, UPS_MODES } from './codec/fields.js';
import { fieldOf, type BluettiModel } from './codec/models.js';
import { operatingModes, RELAY_CHANNELS, type SwitchKey } from './entities.js';

/** One FC6 write, with the reading that shows whether it is already in effect. */
export interface PlannedWrite {
  readonly register: number;
  readonly value: number;
  /** The reading key that holds the current state, and the value it has once the write took. */
  readonly stateKey: string;
  readonly stateValue: boolean | string;
}

export interface CommandPlan {
  readonly write: PlannedWrite;
  readonly applied: Readonly<Record<string, boolean | string>>;
}

const CHANNEL_NAMES = Object.fromEntries(Object.entries(RELAY_CHANNELS).map(([k, v]) => [v, k as SwitchKey])) as Record<
  number,
  SwitchKey
>;

/**
 * A command → the one register write it takes on this model (§1.5). A station has no power
 * setpoints: it is switched (outputs, grid charging) and moded (charging mode, UPS mode).
 * Anything else is `unsupported`, with what the station can do instead.
 */
export function planCommand(command: Command, model: BluettiModel): CommandPlan {
  switch (command.type) {
    case 'set_relay': {
      const channel = command.channel ?? 0;
      const key = CHANNEL_NAMES[channel];
      const control = key === undefined ? undefined : model.switches[key];
      if (key === undefined || control === undefined) {
        const available = (Object.keys(RELAY_CHANNELS) as SwitchKey[])
          .filter((k) => model.switches[k] !== undefined)
          .map((k) => `${RELAY_CHANNELS[k]} ${k.replace(/_on$/, '')}`)
          .join(', ');
        throw new DeviceError(
          'unsupported',
          `channel ${channel} does not exist on the ${model.name} (channels: ${available})`,
        );
      }
      return {
        write: {
          register: control.register,
          value: command.on ? 1 : 0,
          stateKey: control.stateKey,
          stateValue: command.on,
        },
        applied: { [key]: command.on },
      };
    }
    case 'set_operating_mode': {
      for (const mode of model.modes) {
        const table = mode.key === 'charging_mode' ? CHARGING_MODES : UPS_MODES;
        const entry = Object.entries(table).find(([, name]) => name === command.mode);
        if (entry && fieldOf(model, mode.key)) {
          return {
            write: { register: mode.register, value: Number(entry[0]), stateKey: mode.key, stateValue: command.mode },
            applied: { [mode.key]: command.mode },
          };
        }
      }
      const modes = operatingModes(model);
      throw new DeviceError(
        'unsupported',
        modes.length === 0
          ? `the ${model.name} has no selectable modes`
          : `mode "${command.mode}" is not one of the ${model.name}'s modes: ${modes.join(', ')}`,
      );
    }
    default:
      throw new DeviceError(
        'unsupported',
        `${command.type} is not something a Bluetti station can do; it takes set_relay (outputs, grid charging) ` +
          'and set_operating_mode (charging/UPS mode)',
      );
  }
}
