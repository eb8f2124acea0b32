import {
  DeviceError,
  canonicalSensor,
  parseDeviceCommand,
  type Clock,
  type CommandOutcome,
  type CommandType,
  type Device,
  type DeviceDescription,
  type EntityDescriptor,
  type HaEntityPort,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import { HaEntityDevice, isOn, requireState, switchTo } from './entity-access.js';
import { numericValue } from './units.js';

/**
 * Driver `ha-switch`: a relay Home Assistant already controls (a Zigbee or Z-Wave plug, a smart
 * relay of any integration, a light or an input_boolean), so a deferrable load can sit on it like
 * on a Shelly or Kasa (issue 12 item 5).
 *
 * Readings (the names the deferrable-load policy and the Kasa plug use):
 * - `relay_on` (boolean): the entity is on;
 * - `load_power` (W): power_entity, converted from its unit (W or kW); absent without one.
 * Command: `set_relay {on}` → `<domain>.turn_on`/`turn_off` on the entity (switch, input_boolean,
 * light all have them), skipped when the entity already is in that state (no chatter in HA's log).
 */
export interface HaSwitchOptions {
  readonly switch_entity: string;
  readonly power_entity?: string | undefined;
}

export interface HaSwitchAdapterOptions {
  readonly id: string;
  readonly options: HaSwitchOptions;
  readonly ha: HaEntityPort | undefined;
  readonly clock: Clock;
}

const COMMANDS: readonly CommandType[] = ['set_relay'];

export class HaSwitchAdapter extends HaEntityDevice implements Device {
  readonly driver = 'ha-switch';

  // The base watches the entities: pushed readings are what lets the load's policy see a manual switch
  // within a second, not a poll later; commands run one at a time, so two quick switches reach HA in order.
  constructor(private readonly opts: HaSwitchAdapterOptions) {
    super(
      opts.ha,
      opts.clock,
      [opts.options.switch_entity, opts.options.power_entity].filter((id): id is string => id !== undefined),
    );
  }

  get id(): string {
    return this.opts.id;
  }

  protected readNow(): ReadingSet {
    const o = this.opts.options;
    const ha = this.opts.ha;
    for (const entityId of this.entityIds) requireState(ha, entityId);
    const values: Record<string, ReadingValue | null> = { relay_on: isOn(requireState(ha, o.switch_entity)) };
    if (o.power_entity !== undefined) values['load_power'] = numericValue(requireState(ha, o.power_entity), 'power');
    return { timestamp: this.opts.clock.now(), values };
  }

  protected async executeNow(input: unknown): Promise<CommandOutcome> {
    const command = parseDeviceCommand(input);
    if (!this.connected) throw new DeviceError('not_connected', 'not connected');
    if (command.type !== 'set_relay') {
      throw new DeviceError(
        'unsupported',
        `an HA switch cannot do ${command.type}; it switches on and off (set_relay)`,
      );
    }
    if ((command.channel ?? 0) !== 0) {
      throw new DeviceError('unsupported', `an HA switch has one channel (0), not ${command.channel}`);
    }
    const entityId = this.opts.options.switch_entity;
    try {
      if (isOn(requireState(this.opts.ha, entityId)) === command.on) {
        return { command, applied: { on: command.on }, writes: 0 };
      }
      await switchTo(this.opts.ha, entityId, command.on);
      return { command, applied: { on: command.on }, writes: 1 };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  protected buildDescription(): DeviceDescription {
    const o = this.opts.options;
    const entities: EntityDescriptor[] = [
      {
        key: 'relay_on',
        platform: 'switch',
        translationKey: 'relay',
        name: 'Relay',
        icon: 'mdi:electric-switch',
        command: { command: 'set_relay', field: 'on' },
      },
    ];
    if (o.power_entity !== undefined) {
      entities.push(canonicalSensor('load_power', { translationKey: 'plug_power', name: 'Power' }));
    }
    return {
      info: { manufacturer: 'Home Assistant', model: 'Switch from an HA entity', serial: `ha_${o.switch_entity}` },
      entities,
      capabilities: { commands: COMMANDS, limits: {} },
    };
  }
}
