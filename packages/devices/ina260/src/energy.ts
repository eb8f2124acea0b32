/**
 * PV energy as the adapter sees it: the trapezoid of successive power readings over the clock's
 * time. The INA260 has no energy register, so this is the only counter there is. A gap longer
 * than `maxGapMs` (an outage, a stopped add-on) is not bridged: guessing what the panel did
 * meanwhile would invent energy. The total never decreases (HA's total_increasing).
 */
export class EnergyIntegrator {
  private totalWh: number;
  private last: { at: number; powerW: number } | null = null;

  constructor(
    initialWh = 0,
    private readonly maxGapMs = 300_000,
  ) {
    if (!Number.isFinite(initialWh) || initialWh < 0)
      throw new RangeError(`initial energy must be ≥ 0 Wh: ${initialWh}`);
    this.totalWh = initialWh;
  }

  /** Adds one power sample (W ≥ 0) taken at `at` ms and returns the total, Wh. */
  add(at: number, powerW: number): number {
    const power = Number.isFinite(powerW) ? Math.max(0, powerW) : 0;
    const last = this.last;
    if (last !== null && at > last.at && at - last.at <= this.maxGapMs) {
      this.totalWh += ((last.powerW + power) / 2) * ((at - last.at) / 3_600_000);
    }
    // A sample from the past (clock set back) restarts the trapezoid instead of subtracting.
    this.last = { at, powerW: power };
    return this.totalWh;
  }

  /** Forget the last sample: the next reading starts a new stretch (after an outage or reconnect). */
  interrupt(): void {
    this.last = null;
  }

  get wh(): number {
    return this.totalWh;
  }
}
