import type { GridMeasurement } from '@sps/control';
import type { ReadingHub } from '../hub.js';

/**
 * Which reading is "the site's grid import" for demand response: the `grid_meter` option's device,
 * else the optimised battery's own `grid_power` (for the power station that is what its P1 relay
 * draws), else the first device that reports `grid_power` at all. Every reading of that device
 * refreshes the measurement; the controller ignores stale ones (GridMeasurement.atMs).
 */
export class GridMeter {
  private latest: (GridMeasurement & { readonly deviceId: string }) | undefined;
  private readonly off: () => void;

  constructor(
    hub: ReadingHub,
    private readonly preferred: () => readonly (string | null | undefined)[],
  ) {
    this.off = hub.on('readings', ({ deviceId, readings }) => {
      const w = readings.values['grid_power'];
      if (typeof w !== 'number' || !Number.isFinite(w)) return;
      const wanted = this.source();
      // Until the preferred device has answered, the first meter beats none; the preferred one then
      // takes over for good. Two other meters never alternate.
      if (this.latest !== undefined && this.latest.deviceId !== deviceId && deviceId !== wanted) return;
      this.latest = { w, atMs: readings.timestamp, deviceId };
    });
  }

  /** The newest measurement, if any device has reported one. */
  measurement(): GridMeasurement | undefined {
    return this.latest === undefined ? undefined : { w: this.latest.w, atMs: this.latest.atMs };
  }

  /** The device the measurement comes from (shown in /api/dr). */
  deviceId(): string | null {
    return this.latest?.deviceId ?? null;
  }

  stop(): void {
    this.off();
  }

  private source(): string | undefined {
    for (const id of this.preferred()) if (id) return id;
    return undefined;
  }
}
