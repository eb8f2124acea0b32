/**
 * Time-weighted averages per device and key over fixed windows, from readings that arrive when
 * the devices report them. Each value holds from its timestamp until the next reading of the
 * same key, but no longer than `maxHoldMs`: a device that went silent does not keep
 * contributing its last value, and a window with no coverage yields no average.
 */
export interface WindowAverage {
  readonly deviceId: string;
  readonly values: Readonly<Record<string, number>>;
  /** Seconds of the window that readings covered (after the hold limit). */
  readonly coveredS: number;
}

interface Series {
  value: number;
  atMs: number;
  /** Time up to which this value is already accounted into window sums. */
  accountedToMs: number;
}

interface Accumulator {
  sum: number;
  coveredMs: number;
}

export class TimeWeightedAverager {
  private readonly series = new Map<string, Series>();
  /** `${windowStart}|${deviceId}|${key}` → the window's integral so far. */
  private readonly sums = new Map<number, Map<string, Map<string, Accumulator>>>();

  constructor(
    private readonly keys: readonly string[],
    private readonly windowMs: number,
    private readonly maxHoldMs: number,
  ) {}

  note(deviceId: string, atMs: number, values: Readonly<Record<string, unknown>>): void {
    for (const key of this.keys) {
      const value = values[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const id = `${deviceId}\u0000${key}`;
      const previous = this.series.get(id);
      if (previous) {
        if (atMs < previous.atMs) continue; // out of order: the newer value already holds
        this.accumulate(deviceId, key, previous, atMs);
      }
      this.series.set(id, { value, atMs, accountedToMs: atMs });
    }
  }

  /** The averages of the window starting at `startMs`; values still holding are counted to its end. */
  close(startMs: number): WindowAverage[] {
    const endMs = startMs + this.windowMs;
    for (const [id, series] of this.series) {
      const [deviceId = '', key = ''] = id.split('\u0000');
      this.accumulate(deviceId, key, series, endMs);
    }
    const window = this.sums.get(startMs);
    for (const older of [...this.sums.keys()]) if (older <= startMs) this.sums.delete(older);
    if (!window) return [];
    const out: WindowAverage[] = [];
    for (const [deviceId, byKey] of window) {
      const values: Record<string, number> = {};
      let covered = 0;
      for (const [key, acc] of byKey) {
        if (acc.coveredMs <= 0) continue;
        values[key] = Math.round((acc.sum / acc.coveredMs) * 10) / 10;
        covered = Math.max(covered, acc.coveredMs);
      }
      if (Object.keys(values).length > 0) out.push({ deviceId, values, coveredS: Math.round(covered / 1000) });
    }
    return out;
  }

  reset(): void {
    this.series.clear();
    this.sums.clear();
  }

  /** Adds the series' value over [accountedTo, min(until, atMs + maxHold)), split by window. */
  private accumulate(deviceId: string, key: string, series: Series, untilMs: number): void {
    const end = Math.min(untilMs, series.atMs + this.maxHoldMs);
    let from = series.accountedToMs;
    while (from < end) {
      const windowStart = Math.floor(from / this.windowMs) * this.windowMs;
      const to = Math.min(end, windowStart + this.windowMs);
      const acc = this.accumulator(windowStart, deviceId, key);
      acc.sum += series.value * (to - from);
      acc.coveredMs += to - from;
      from = to;
    }
    series.accountedToMs = Math.max(series.accountedToMs, untilMs);
  }

  private accumulator(windowStart: number, deviceId: string, key: string): Accumulator {
    let window = this.sums.get(windowStart);
    if (!window) this.sums.set(windowStart, (window = new Map()));
    let byKey = window.get(deviceId);
    if (!byKey) window.set(deviceId, (byKey = new Map()));
    let acc = byKey.get(key);
    if (!acc) byKey.set(key, (acc = { sum: 0, coveredMs: 0 }));
    return acc;
  }
}
