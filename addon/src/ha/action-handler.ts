import type { SafetyGuard } from '@sps/control';
import { DeviceError, type Clock, type Command } from '@sps/core';
import { entityActionToCommand, serviceToCommand, type ActionReply, type BridgeAction } from '@sps/ha';
import type { DeviceManager } from '../device-manager.js';
import type { Logger } from '../logger.js';
import type { DeviceCatalogue } from './device-catalogue.js';

/** A failure whose message is what the HA caller sees (`Smart Power Station: <message>`). */
export class HaActionError extends Error {
  override readonly name = 'HaActionError';
}

export interface HaActionDeps {
  readonly manager: DeviceManager;
  readonly guard: SafetyGuard;
  readonly catalogue: DeviceCatalogue;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * HA-side actions (entity controls and smart_power_station.* services) become core commands
 * and go through the device manager, so the safety guard and the write-rate limiter see them
 * like any other command. Whatever goes wrong is thrown with the device's or the guard's
 * reason, which packages/ha turns into the HA caller's error: never a silent success.
 */
export function createHaActionHandler(deps: HaActionDeps): (action: BridgeAction) => Promise<ActionReply> {
  const log = deps.logger.child({ component: 'ha-actions' });

  async function execute(deviceId: string, command: Command, source: string): Promise<void> {
    try {
      await deps.manager.execute(deviceId, command);
      log.info({ device: deviceId, command, source }, 'HA command applied');
    } catch (err) {
      const reason = describeFailure(err);
      log.warn({ device: deviceId, command, source, reason }, 'HA command failed');
      throw new HaActionError(reason);
    }
  }

  function requireDevice(deviceId: string | undefined, what: string): string {
    if (deviceId === undefined) throw new HaActionError(`${what}: device_id is required`);
    if (!deps.manager.get(deviceId)) throw new HaActionError(`device_id: no device "${deviceId}" in the add-on`);
    return deviceId;
  }

  async function syncNow(deviceId: string | undefined): Promise<void> {
    const ids = deviceId === undefined ? deps.manager.list().map((r) => r.config.id) : [requireDevice(deviceId, '')];
    const results = await Promise.all(ids.map(async (id) => ({ id, availability: await deps.manager.pollNow(id) })));
    const failed = results.filter((r) => !r.availability.available);
    if (failed.length > 0) {
      throw new HaActionError(failed.map((r) => `${r.id}: ${r.availability.reason ?? 'unavailable'}`).join('; '));
    }
  }

  return async (action) => {
    if (action.kind === 'entity') {
      const deviceId = requireDevice(action.device_id, action.key);
      const descriptor = deps.catalogue.entity(deviceId, action.key);
      if (!descriptor) throw new HaActionError(`${action.key}: device "${deviceId}" has no such entity`);
      const command = guarded(() => entityActionToCommand(action, descriptor));
      await execute(deviceId, command, `${action.platform}.${action.action}`);
      // Show the new value at once; the poll right after the command confirms it.
      return action.platform === 'button' ? {} : { state: action.value ?? null };
    }
    if (action.service === 'sync_now') {
      await syncNow(action.device_id);
      return {};
    }
    const deviceId = requireDevice(action.device_id, action.service);
    const runner = deps.manager.get(deviceId);
    const description = runner?.description;
    if (!runner || !description) {
      throw new HaActionError(`${deviceId}: ${runner?.availability.reason ?? 'the device has not answered yet'}`);
    }
    const limits = deps.guard.limitsFor(description.capabilities);
    const outcome = guarded(() => serviceToCommand(action, deps.clock.now(), limits));
    if (outcome.kind === 'command') await execute(deviceId, outcome.command, `service ${action.service}`);
    return {};
  };
}

function guarded<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new HaActionError(describeFailure(err));
  }
}

/** One line for the HA caller: the device's reason (`timeout: …`), or the guard's (`percent: …`). */
export function describeFailure(err: unknown): string {
  if (err instanceof DeviceError) return err.reason;
  if (err instanceof Error) return err.message;
  return String(err);
}
