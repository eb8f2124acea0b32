import type { ControlledDevice } from '@sps/control';
import {
  DeviceError,
  type Availability,
  type Command,
  type CommandOutcome,
  type DeviceCapabilities,
  type ReadingSet,
} from '@sps/core';
import { TeslemetryAdapter } from '@sps/device-tesla';
import type { Plan } from '@sps/scheduler';
import type { DeviceRunner } from '../device-runner.js';
import type { BatteryHandBack } from './battery-device.js';

/** The driver name of the Powerwall through Teslemetry (`@sps/device-tesla`). */
export const TESLEMETRY_DRIVER_NAME = 'teslemetry';

export function isTeslemetryRunner(runner: DeviceRunner): boolean {
  return runner.config.driver === TESLEMETRY_DRIVER_NAME;
}

/** What the hand-back records for a Powerwall the optimiser drives by its tariff. */
export const TARIFF_SYNC = 'tariff sync (autonomous, the plan as its tariff)';

/**
 * A Powerwall as the optimiser's battery: while the plan is followed, the plan itself goes to the
 * site as its time-of-use tariff (`TeslemetryAdapter.syncPlan`: autonomous mode, the plan's charge
 * half-hours free to buy, its export half-hours dear to sell), and the Powerwall's own time-based
 * control carries it out between polls — instead of a forced command per interval, each of which
 * would cost a tariff upload, several settings writes and a share of Teslemetry's rate limit. The
 * adapter uploads at most every 15 minutes unless the present half-hour's price changed.
 * Overrides, demand response and fallback still send commands (force = reserve 100 % and a cheap
 * period now; restore_normal hands the user's own settings back), and the hand-back records the
 * sync so a stop or a crash hands the site back as after a force.
 */
export class TeslaPlanBattery implements ControlledDevice {
  constructor(
    private readonly inner: ControlledDevice,
    private readonly runner: DeviceRunner,
    private readonly handBack?: BatteryHandBack,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  capabilities(): DeviceCapabilities {
    return this.inner.capabilities();
  }

  latestReadings(): ReadingSet | undefined {
    return this.inner.latestReadings();
  }

  availability(): Availability | undefined {
    return this.inner.availability();
  }

  execute(command: Command): Promise<CommandOutcome> {
    return this.inner.execute(command);
  }

  async followPlan(plan: Plan): Promise<void> {
    // Recorded first: an upload that fails half-way has still changed the site's settings.
    this.handBack?.noteTakenOver?.(this.id, TARIFF_SYNC);
    await this.runner.withDevice(async (device) => {
      if (!(device instanceof TeslemetryAdapter)) {
        throw new DeviceError('unsupported', 'tariff sync needs a Powerwall through Teslemetry');
      }
      await device.syncPlan(plan);
    });
  }
}
