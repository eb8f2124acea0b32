import {
  toDeviceError,
  type Availability,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceCapabilities,
  type ReadingSet,
} from '@sps/core';
import type { ControlledDevice } from './controller-ports.js';

/**
 * A core `Device` as the controller's `ControlledDevice`: remembers the newest readings and the
 * transport's availability. Whoever polls (the add-on's device runner, a test) calls `poll()` or
 * `remember()`; the controller itself never reads, so it never doubles the device's poll rate.
 */
export class TrackedDevice implements ControlledDevice {
  private latest: ReadingSet | undefined;
  private lastAvailability: Availability | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly device: Device) {
    this.unsubscribe.push(
      device.events.on('availability', (a) => (this.lastAvailability = a)),
      device.events.on('readings', (r) => this.remember(r)),
    );
  }

  get id(): string {
    return this.device.id;
  }

  capabilities(): DeviceCapabilities {
    return this.device.describe().capabilities;
  }

  latestReadings(): ReadingSet | undefined {
    return this.latest;
  }

  availability(): Availability | undefined {
    return this.lastAvailability;
  }

  remember(readings: ReadingSet): void {
    if (!this.latest || readings.timestamp >= this.latest.timestamp) this.latest = readings;
  }

  /**
   * One read. A failure is not thrown: the adapter reports it through its availability event, and
   * readings that stop arriving are what the controller's watchdog looks at.
   */
  async poll(): Promise<ReadingSet | undefined> {
    try {
      const readings = await this.device.read();
      this.remember(readings);
      this.lastError = undefined;
      return readings;
    } catch (err) {
      this.lastError = toDeviceError(err).message;
      return undefined;
    }
  }

  /** The last poll's failure, if the newest poll failed. */
  lastError: string | undefined;

  execute(command: Command): Promise<CommandOutcome> {
    return this.device.execute(command);
  }

  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
