import { DeviceError, NO_HA_CONNECTION, type HaEntityPort, type HaEntityState } from '@sps/core';
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
