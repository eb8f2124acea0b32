import {
  AvailabilityReporter,
  DeviceError,
  NO_HA_CONNECTION,
  TypedEmitter,
  toDeviceError,
  type Clock,
  type CommandOutcome,
  type DeviceDescription,
  type DeviceEvents,
  type HaEntityPort,
  type HaEntityState,
  type ReadingSet,
} from '@sps/core';
import { NO_VALUE_STATES } from './units.js';

/**
 * Reading and writing one mapped entity through the port, with errors that name the entity: the
 * reason a device shows in HA and the panel says which entity to look at.
 */

/** The entity's state, or a DeviceError: no HA connection, no such entity, or no value. */
export function requireState(port: HaEntityPort | undefined, entityId: string): HaEntityState {
  if (!port) throw new DeviceError('not_connected', NO_HA_CONNECTION);
  const found = port.lookup(entityId);
  if (found.status === 'disconnected') throw new DeviceError('not_connected', NO_HA_CONNECTION);
  if (found.status === 'missing') {
    throw new DeviceError('bad_response', `${entityId} does not exist in Home Assistant`);
  }
  if (NO_VALUE_STATES.has(found.state.state.trim())) {
    throw new DeviceError('bad_response', `${entityId} is ${found.state.state || 'empty'} in Home Assistant`);
  }
  return found.state;
}

/** The entity id's domain: `number` of `number.battery_charge_limit`. */
export function domainOf(entityId: string): string {
  return entityId.slice(0, entityId.indexOf('.'));
}

/**
 * A service call as a DeviceError when it fails: not connected, or HA's refusal (no such service,
 * a value outside the number's range) as `rejected` naming the entity.
 */
export async function callEntityService(
  port: HaEntityPort | undefined,
  domain: string,
  service: string,
  data: Readonly<Record<string, unknown>>,
  entityId: string,
): Promise<void> {
  if (!port) throw new DeviceError('not_connected', NO_HA_CONNECTION);
  if (port.lookup(entityId).status === 'disconnected') throw new DeviceError('not_connected', NO_HA_CONNECTION);
  try {
    await port.callService(domain, service, data, entityId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/not connected/i.test(message)) throw new DeviceError('not_connected', NO_HA_CONNECTION, { cause: err });
    throw new DeviceError('rejected', `${domain}.${service} on ${entityId}: ${message}`, { cause: err });
  }
}

/** Set a number or input_number to `value` (already in the entity's unit). */
export function setNumber(port: HaEntityPort | undefined, entityId: string, value: number): Promise<void> {
  return callEntityService(port, domainOf(entityId), 'set_value', { value }, entityId);
}

/** Choose an option of a select or input_select. */
export function selectOption(port: HaEntityPort | undefined, entityId: string, option: string): Promise<void> {
  return callEntityService(port, domainOf(entityId), 'select_option', { option }, entityId);
}

/** Turn a switch or input_boolean on or off. */
export function switchTo(port: HaEntityPort | undefined, entityId: string, on: boolean): Promise<void> {
  return callEntityService(port, domainOf(entityId), on ? 'turn_on' : 'turn_off', {}, entityId);
}

/**
 * Run a script with variables through its own service (`script.<name>`), which returns when the
 * script has finished (`script.turn_on` returns at its start), so a failure reaches the caller and
 * the next command does not overtake it.
 */
export function runScript(
  port: HaEntityPort | undefined,
  entityId: string,
  variables: Readonly<Record<string, unknown>>,
): Promise<void> {
  return callEntityService(port, 'script', entityId.slice('script.'.length), variables, entityId);
}

/** Whether a switch-like state is on (switch, input_boolean, binary_sensor). */
export function isOn(state: HaEntityState): boolean {
  return state.state === 'on';
}

/**
 * What every HA-entities device does alike: connect when every mapped entity has a value, read on
 * the runner's polls and push on HA's changes, run commands one at a time, and report availability
 * (naming the entity that went away). A driver supplies its readings, description and commands.
 */
export abstract class HaEntityDevice {
  readonly events = new TypedEmitter<DeviceEvents>();
  protected readonly availability: AvailabilityReporter;
  protected connected = false;
  private description: DeviceDescription | undefined;
  /** Push readings on HA's changes; off from a failed push until the runner's next connect. */
  private pushing = false;
  /** Commands run one at a time: one command's service calls never interleave with another's. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: HaEntityPort | undefined,
    clock: Clock,
    protected readonly entityIds: readonly string[],
  ) {
    this.availability = new AvailabilityReporter(this.events, clock);
    // Watched for the device's life: HA's states are here when the runner first connects, and the
    // device can tell when they are back after a failure.
    port?.watch(entityIds, () => this.onEntitiesChanged());
  }

  async connect(): Promise<void> {
    try {
      // Every mapped entity must exist and have a value; the first one that does not is named.
      for (const entityId of this.entityIds) requireState(this.port, entityId);
      this.checkEntities();
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

  execute(input: unknown): Promise<CommandOutcome> {
    const run = this.queue.then(() => this.executeNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The runner closes a device after every failed poll and reconnects later; the entities stay
   * watched, so the device can tell when they are back (see onEntitiesChanged).
   */
  async close(): Promise<void> {
    this.connected = false;
    this.pushing = false;
    await this.queue;
  }

  /** More checks at connect, beyond "every entity has a value" (throw a DeviceError naming the entity). */
  protected checkEntities(): void {}

  protected abstract buildDescription(): DeviceDescription;
  protected abstract readNow(): ReadingSet;
  protected abstract executeNow(input: unknown): Promise<CommandOutcome>;

  private entitiesPresent(): boolean {
    try {
      for (const entityId of this.entityIds) requireState(this.port, entityId);
      return true;
    } catch {
      return false;
    }
  }

  /** HA pushed a change: show it now rather than at the next poll, or say which entity went away. */
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
}
