import {
  AvailabilityReporter,
  DeviceError,
  TypedEmitter,
  canonicalSensor,
  parseDeviceCommand,
  toDeviceError,
  type Clock,
  type CommandOutcome,
  type CommandType,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type EntityDescriptor,
  type HaEntityPort,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import { isOn, requireState, switchTo } from './entity-access.js';
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

export class HaSwitchAdapter implements Device {
  readonly driver = 'ha-switch';
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  private readonly entityIds: readonly string[];
  private description: DeviceDescription | undefined;
  private connected = false;
  /** Push readings on HA's changes; off from a failed push until the runner's next connect. */
  private pushing = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: HaSwitchAdapterOptions) {
    const o = opts.options;
    this.availability = new AvailabilityReporter(this.events, opts.clock);
    this.entityIds = [o.switch_entity, o.power_entity].filter((id): id is string => id !== undefined);
    // Pushed readings are what lets the load's policy see a manual switch within a second, not a poll later.
    opts.ha?.watch(this.entityIds, () => this.onEntitiesChanged());
  }

  get id(): string {
    return this.opts.id;
  }

  async connect(): Promise<void> {
    try {
      for (const entityId of this.entityIds) requireState(this.opts.ha, entityId);
      this.description = this.buildDescription();
      this.connected = true;
      this.pushing = true;
      this.availability.report(true);
    } catch (err) {
      this.connected = false;
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (!this.description) throw new DeviceError('not_connected', 'not connected yet');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    if (!this.connected) throw new DeviceError('not_connected', 'not connected');
    try {
      return this.readNow();
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  /** Commands run one at a time: two quick switches reach HA in the order they were given. */
  execute(input: unknown): Promise<CommandOutcome> {
    const run = this.queue.then(() => this.executeNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The entities stay watched after a close, so the device can tell the runner when they are back. */
  async close(): Promise<void> {
    this.connected = false;
    this.pushing = false;
    await this.queue;
  }

  private entitiesPresent(): boolean {
    try {
      for (const entityId of this.entityIds) requireState(this.opts.ha, entityId);
      return true;
    } catch {
      return false;
    }
  }

  private readNow(): ReadingSet {
    const o = this.opts.options;
    const ha = this.opts.ha;
    for (const entityId of this.entityIds) requireState(ha, entityId);
    const values: Record<string, ReadingValue | null> = { relay_on: isOn(requireState(ha, o.switch_entity)) };
    if (o.power_entity !== undefined) values['load_power'] = numericValue(requireState(ha, o.power_entity), 'power');
    return { timestamp: this.opts.clock.now(), values };
  }

  private onEntitiesChanged(): void {
    if (!this.connected || !this.pushing) {
      // Between the runner's attempts: say when every entity is back, so it retries now, not after its back-off.
      if (this.entitiesPresent()) this.availability.report(true);
      return;
    }
    let readings: ReadingSet;
    try {
      readings = this.readNow();
    } catch (err) {
      // The runner hears of it now (and reconnects, which names the entity again until it is back).
      this.pushing = false;
      this.availability.report(false, toDeviceError(err).reason);
      return;
    }
    this.events.emit('readings', readings);
  }

  private async executeNow(input: unknown): Promise<CommandOutcome> {
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

  private buildDescription(): DeviceDescription {
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
