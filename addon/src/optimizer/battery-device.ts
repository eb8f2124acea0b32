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
    private readonly handBack?: BatteryHandBack,
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
    // The controller's fallback and stop hand the battery back through the add-on's one persistent
    // path: a failed first attempt is reported to the controller and retried in the background.
    if (command.type === 'restore_normal' && this.handBack) {
      return this.handBack.requestRestore(this.id, 'the optimiser hands the battery back');
    }
    return this.runner.executeChecked(command);
  }
}

/** The add-on's hand-back as the optimiser uses it (DeviceHandBack fits). */
export interface BatteryHandBack {
  requestRestore(deviceId: string, why: string): Promise<CommandOutcome>;
  /** The device is driven by other means than a forcing command: hand it back like a forced one. */
  noteTakenOver?(deviceId: string, what: string): void;
}

/**
 * The batteries to drive: the configured ones (in the options' order; a name that is no device is
 * skipped), else every described device that can force_charge.
 */
export function pickBatteries(
  runners: readonly DeviceRunner[],
  configured: readonly string[] | undefined,
): DeviceRunner[] {
  if (configured !== undefined) {
    return configured.map((id) => runners.find((r) => r.config.id === id)).filter((r) => r !== undefined);
  }
  // A composite's members (the power station's Bluetti) are driven through the composite: by default
  // they are not batteries of their own, or one battery would be planned twice.
  const members = new Set(runners.flatMap((r) => Object.values(r.config.members ?? {})));
  return runners.filter(
    (r) => !members.has(r.config.id) && r.description?.capabilities.commands.includes('force_charge') === true,
  );
}

/** The first battery to drive (one-battery callers). */
export function pickBattery(
  runners: readonly DeviceRunner[],
  configured: string | undefined,
): DeviceRunner | undefined {
  return pickBatteries(runners, configured === undefined ? undefined : [configured])[0];
}
