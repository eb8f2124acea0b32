import { toDeviceError, type Device } from '@sps/core';
import { CliError, EXIT_BAD_INPUT, EXIT_DEVICE_FAILED } from './command.js';

/** Bound on one CLI conversation with a device, on top of the adapter's own per-request timeout. */
const ONE_SHOT_DEADLINE_MS = 60_000;

/**
 * Connect, do one thing, close: the shape of `sps read` and `sps write`. Any device
 * failure becomes a one-line CliError with the device's reason (`timeout: …`).
 */
export async function withConnectedDevice<T>(
  create: () => Device,
  work: (device: Device) => Promise<T>,
  /** Runs after the device is built, before it connects, within the same deadline (HA's first states). */
  beforeConnect?: () => Promise<void>,
): Promise<T> {
  let device: Device;
  try {
    device = create();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT_BAD_INPUT);
  }
  let deadline: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(
        () => reject(new CliError(`timeout: no result within ${ONE_SHOT_DEADLINE_MS / 1000} s`, EXIT_DEVICE_FAILED)),
        ONE_SHOT_DEADLINE_MS,
      );
    });
    return await Promise.race([
      (async () => {
        await beforeConnect?.();
        await device.connect();
        return work(device);
      })(),
      timedOut,
    ]);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(toDeviceError(err).reason, EXIT_DEVICE_FAILED);
  } finally {
    clearTimeout(deadline);
    await device.close().catch(() => undefined);
  }
}
