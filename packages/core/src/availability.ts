import type { Clock } from './clock.js';
import { toDeviceError, type DeviceError } from './errors.js';
import type { DeviceEvents } from './device.js';
import type { TypedEmitter } from './events.js';

/**
 * Tracks whether a device answers and emits an `availability` event only when that changes,
 * so HA and the web panel see one transition (with its reason), not one event per failed poll.
 */
export class AvailabilityReporter {
  private current: boolean | null = null;

  constructor(
    private readonly events: TypedEmitter<DeviceEvents>,
    private readonly clock: Clock,
  ) {}

  /** `null` until the first report. */
  get available(): boolean | null {
    return this.current;
  }

  report(available: boolean, reason?: string): void {
    if (this.current === available) return;
    this.current = available;
    this.events.emit('availability', {
      available,
      since: this.clock.now(),
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /** A failed connect: whatever went wrong (refusals included: wrong chip, encrypted link) leaves the device unusable. */
  connectFailed(err: unknown): DeviceError {
    const error = toDeviceError(err);
    this.report(false, error.reason);
    return error;
  }

  /** A failed read or command: the device is gone unless it answered (refused, or asked to wait). */
  requestFailed(err: unknown): DeviceError {
    const error = toDeviceError(err);
    if (!error.deviceAnswered) this.report(false, error.reason);
    return error;
  }
}
