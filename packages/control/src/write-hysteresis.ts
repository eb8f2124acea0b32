import type { ControlTarget } from './control-target.js';

/**
 * Inverter settings live in flash with a limited number of write cycles, and an MPC loop that
 * re-plans every 5 minutes on noisy forecasts would otherwise rewrite them all day. A new target
 * is written only when it really differs from the one in force.
 */
export interface HysteresisOptions {
  /** Power changes smaller than max(this, share × current power) are ignored, W. Default 200 W. */
  readonly minPowerChangeW?: number;
  /** Default 0.1 (10 %). */
  readonly minPowerChangeShare?: number;
  /** A new action replaces the one in force only after it has been in force this long, ms. Default 5 min. */
  readonly minActionHoldMs?: number;
}

/** The target the device was last set to, and since when (UTC ms). */
export interface AppliedTarget {
  readonly target: ControlTarget;
  readonly since: number;
}

export type HysteresisDecision =
  { readonly write: true; readonly why: string } | { readonly write: false; readonly why: string };

export const DEFAULT_HYSTERESIS: Required<HysteresisOptions> = {
  minPowerChangeW: 200,
  minPowerChangeShare: 0.1,
  minActionHoldMs: 5 * 60_000,
};

/**
 * Whether to write `next` given what is in force. `urgent` (safety: watchdog, override, guard
 * refusal, goal change) skips the minimum hold time but never makes an identical target a write.
 */
export function decideWrite(
  applied: AppliedTarget | undefined,
  next: ControlTarget,
  now: number,
  urgent: boolean,
  options: HysteresisOptions = {},
  /**
   * The power of this plan interval was already settled (written or judged close enough) earlier
   * in the interval. Re-plans inside an interval see it partly done and ask for a different power
   * for "the rest", which would otherwise rewrite the setpoint every few minutes; so the power
   * stays until the next interval (unless urgent).
   */
  powerSettled = false,
): HysteresisDecision {
  const o = { ...DEFAULT_HYSTERESIS, ...options };
  if (!applied) return { write: true, why: 'nothing written yet' };
  const current = applied.target;
  if (current.kind === next.kind) {
    if (current.kind === 'hold' || current.kind === 'self_consumption') return { write: false, why: 'unchanged' };
    if (!urgent && powerSettled) {
      return { write: false, why: 'power fixed for the rest of this plan interval' };
    }
    const currentW = current.powerW;
    const nextW = (next as { powerW: number }).powerW;
    const threshold = Math.max(o.minPowerChangeW, o.minPowerChangeShare * currentW);
    const change = Math.abs(nextW - currentW);
    if (change < threshold) {
      return { write: false, why: `power change ${change} W is below ${Math.round(threshold)} W` };
    }
    return { write: true, why: `power change ${change} W` };
  }
  const heldMs = now - applied.since;
  if (!urgent && heldMs < o.minActionHoldMs) {
    return {
      write: false,
      why: `keeping ${current.kind} for at least ${Math.round(o.minActionHoldMs / 60_000)} min (held ${Math.round(heldMs / 1000)} s)`,
    };
  }
  return { write: true, why: `action ${current.kind} → ${next.kind}` };
}
