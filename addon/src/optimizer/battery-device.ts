import type { ControlledDevice } from '@sps/control';
import {
  DeviceError,
  type Availability,
  type Command,
  type CommandOutcome,
  type DeviceCapabilities,
  type ReadingSet,
} from '@sps/core';
import type { DeviceRunner } from '../device-runner.js';
import type { ReadingHub } from '../hub.js';

/**
 * A device runner as the controller's battery: capabilities from its description, readings and
 * availability from the hub (the runner polls; the controller never reads on its own), and
 * commands straight to the adapter — the controller has already clamped and rationed them
 * with the SafetyGuard, so they must not pass the guard's rate limiter a second time.
 */
export class RunnerBattery implements ControlledDevice {
  constructor(
    private readonly runner: DeviceRunner,
    private readonly hub: ReadingHub,
  ) {}

  get id(): string {
    return this.runner.config.id;
  }

  capabilities(): DeviceCapabilities {
    const description = this.runner.description;
    if (!description) throw new DeviceError('not_connected', this.runner.availability.reason ?? 'not connected yet');
    return description.capabilities;
  }

  latestReadings(): ReadingSet | undefined {
    return this.hub.latest(this.id);
  }

  availability(): Availability | undefined {
    return this.runner.availability;
  }

  execute(command: Command): Promise<CommandOutcome> {
    return this.runner.executeChecked(command);
  }
}

/** The battery to drive: the configured one, else the first described device that can force_charge. */
export function pickBattery(
  runners: readonly DeviceRunner[],
  configured: string | undefined,
): DeviceRunner | undefined {
  if (configured !== undefined) return runners.find((r) => r.config.id === configured);
  return runners.find((r) => r.description?.capabilities.commands.includes('force_charge') === true);
}
