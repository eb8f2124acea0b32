import type { Clock } from '@sps/core';
import type { EvChargerSpec } from './ev-planning.js';

/** The charger as the EV policy sees it; the add-on backs it with the `ha-ev-charger` device. */
export interface EvChargerPort {
  /** The newest readings: plugged (undefined without a plug sensor), switch on, current limit as power (W). */
  state(): { readonly plugged?: boolean; readonly charging: boolean; readonly limitW?: number } | undefined;
  /** set_relay through the SafetyGuard. */
  setCharging(on: boolean): Promise<void>;
  /** set_charge_limit through the SafetyGuard (the charger rounds down to whole amps). */
  setLimit(powerW: number): Promise<void>;
}

export interface EvPolicyOptions {
  readonly spec: EvChargerSpec;
  readonly charger: EvChargerPort;
  readonly clock: Clock;
  /** Least time between two switches of the charger (contactor and car), ms. Default 10 min. */
  readonly minOnOffMs?: number;
  readonly onEvent?: (event: EvPolicyEvent) => void;
}

export type EvPolicyEvent =
  | { readonly kind: 'switched'; readonly on: boolean; readonly reason: string }
  | { readonly kind: 'limit'; readonly powerW: number }
  | { readonly kind: 'failed'; readonly error: string };

export interface EvPolicyStatus {
  /** The plan's power for now, kW; null without a plan. */
  readonly plannedKw: number | null;
  readonly charging: boolean | null;
  readonly limitW: number | null;
  readonly lastError: string | null;
}

/**
 * Switches the EV charger and sets its current each interval to the plan (issue 12 item 5):
 * - planned power at or above half the charger's minimum → on, at the planned power rounded down
 *   to the charger's step and kept within its range; below → off;
 * - writes only what differs from the readings (no chatter), and switches at most once per
 *   `minOnOffMs` (a car's charging session does not like being started every five minutes);
 * - without a usable plan, and at stop, the charger is handed back to what a charger does on its
 *   own — charge at its full current — but only when the policy had taken it over;
 * - unplugged: nothing is written.
 */
export class EvPolicy {
  private lastSwitchAt: number | undefined;
  private tookOver = false;
  private plannedKw: number | null = null;
  private lastError: string | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly o: EvPolicyOptions) {}

  /** `plannedKw`: the plan's EV power for the present interval; null when there is no usable plan. */
  apply(plannedKw: number | null): Promise<void> {
    const run = this.busy.then(() => this.applyNow(plannedKw));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Hands the charger back (full current, on) when the policy had taken it over. Never throws. */
  handBack(): Promise<void> {
    return this.apply(null);
  }

  status(): EvPolicyStatus {
    const s = this.o.charger.state();
    return {
      plannedKw: this.plannedKw,
      charging: s?.charging ?? null,
      limitW: s?.limitW ?? null,
      lastError: this.lastError,
    };
  }

  private async applyNow(plannedKw: number | null): Promise<void> {
    this.plannedKw = plannedKw;
    const s = this.o.charger.state();
    if (!s || s.plugged === false) return;
    const { spec } = this.o;
    let on: boolean;
    let limitW: number;
    let reason: string;
    if (plannedKw === null) {
      if (!this.tookOver) return;
      on = true;
      limitW = spec.maxPowerW;
      reason = 'no plan: the charger charges on its own';
    } else {
      on = plannedKw * 1000 >= spec.minPowerW / 2;
      const stepped = Math.floor((plannedKw * 1000) / spec.stepW + 1e-6) * spec.stepW;
      limitW = Math.min(spec.maxPowerW, Math.max(spec.minPowerW, stepped));
      reason = on ? `the plan charges at ${plannedKw.toFixed(2)} kW now` : 'the plan charges later';
    }
    const now = this.o.clock.now();
    try {
      if (on && (s.limitW === undefined || Math.abs(s.limitW - limitW) >= spec.stepW / 2)) {
        await this.o.charger.setLimit(limitW);
        this.o.onEvent?.({ kind: 'limit', powerW: limitW });
        if (plannedKw !== null) this.tookOver = true;
      }
      const mayChange =
        plannedKw === null ||
        this.lastSwitchAt === undefined ||
        now - this.lastSwitchAt >= (this.o.minOnOffMs ?? 600_000);
      if (on !== s.charging && mayChange) {
        await this.o.charger.setCharging(on);
        this.lastSwitchAt = now;
        this.o.onEvent?.({ kind: 'switched', on, reason });
        if (plannedKw !== null) this.tookOver = true;
      }
      if (plannedKw === null) this.tookOver = false;
      this.lastError = null;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.o.onEvent?.({ kind: 'failed', error: this.lastError });
    }
  }
}
