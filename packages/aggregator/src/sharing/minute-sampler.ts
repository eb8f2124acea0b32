/**
 * Every reading at 1-minute resolution: per device and minute, the last value of each key seen
 * in that minute. Finished minutes are taken out in time order.
 */
export type SampledValue = number | string | boolean;

export interface MinuteSample {
  readonly deviceId: string;
  readonly minuteStartMs: number;
  readonly values: Readonly<Record<string, SampledValue>>;
}

const MINUTE_MS = 60_000;

export class MinuteSampler {
  private readonly open = new Map<string, { minuteStartMs: number; values: Record<string, SampledValue> }>();
  private finished: MinuteSample[] = [];

  note(deviceId: string, atMs: number, values: Readonly<Record<string, SampledValue>>): void {
    const minuteStartMs = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
    const current = this.open.get(deviceId);
    if (current && minuteStartMs < current.minuteStartMs) return; // late: that minute is done
    if (current && minuteStartMs > current.minuteStartMs) {
      this.finished.push({ deviceId, ...current });
    }
    const target =
      current && current.minuteStartMs === minuteStartMs
        ? current
        : { minuteStartMs, values: {} as Record<string, SampledValue> };
    for (const [key, value] of Object.entries(values)) target.values[key] = value;
    this.open.set(deviceId, target);
  }

  /** The samples of every minute that ended at or before `beforeMs`, oldest first. */
  take(beforeMs: number): MinuteSample[] {
    for (const [deviceId, current] of this.open) {
      if (current.minuteStartMs + MINUTE_MS <= beforeMs) {
        this.finished.push({ deviceId, ...current });
        this.open.delete(deviceId);
      }
    }
    const ready = this.finished.filter((s) => s.minuteStartMs + MINUTE_MS <= beforeMs);
    this.finished = this.finished.filter((s) => s.minuteStartMs + MINUTE_MS > beforeMs);
    return ready.sort((a, b) => a.minuteStartMs - b.minuteStartMs || a.deviceId.localeCompare(b.deviceId));
  }

  reset(): void {
    this.open.clear();
    this.finished = [];
  }
}
