import type { Clock } from '@sps/core';

/** The two switches the composite drives. */
export type StationSwitch = 'grid_charging' | 'ac_output';

export const SWITCH_LABELS: Readonly<Record<StationSwitch, string>> = {
  grid_charging: 'P1 grid charging',
  ac_output: 'P3 AC output',
};

/**
 * Minimum on/off times. A transfer switch and the relays wear (and the loads see a blink) on every
 * change, so a switch that changed less than `minOnOffMs` ago is not changed again. The guard only
 * remembers changes the composite made: a switch whose history is unknown (after a restart, or
 * changed by hand) may change at once.
 */
export class MinOnOffTimer {
  private readonly lastChange = new Map<StationSwitch, number>();

  constructor(
    private readonly clock: Clock,
    readonly minOnOffMs: number,
  ) {}

  /** Milliseconds until `which` may change again; 0 when it may change now. */
  waitMs(which: StationSwitch): number {
    const last = this.lastChange.get(which);
    if (last === undefined) return 0;
    return Math.max(0, last + this.minOnOffMs - this.clock.now());
  }

  /** Why `which` may not change now, or null. */
  blockReason(which: StationSwitch, nowOn: boolean): string | null {
    const wait = this.waitMs(which);
    if (wait === 0) return null;
    const since = this.clock.now() - (this.lastChange.get(which) ?? 0);
    return (
      `${SWITCH_LABELS[which]} was switched ${nowOn ? 'on' : 'off'} ${seconds(since)} ago; ` +
      `the minimum on/off time is ${seconds(this.minOnOffMs)}, try again in ${seconds(wait)}`
    );
  }

  recordChange(which: StationSwitch): void {
    this.lastChange.set(which, this.clock.now());
  }
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}
