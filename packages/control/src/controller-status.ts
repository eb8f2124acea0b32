import type { Command, CommandOutcome } from '@sps/core';
import type { Plan, PlanAction } from '@sps/scheduler';
import type { DayCosts } from './daily-costs.js';
import type { DemandResponseStatus } from './dr/demand-response-control.js';
import type { ManualOverride } from './manual-override.js';
import type { PlanView } from './plan-view.js';

export const CONTROLLER_GOALS = ['cost', 'self_consumption', 'off'] as const;
/** `cost`: follow the optimal plan; `self_consumption`: the battery's own mode; `off`: hands off the device. */
export type ControllerGoal = (typeof CONTROLLER_GOALS)[number];

/**
 * - `optimising`: the current plan interval is executed;
 * - `override`: a manual override is in force;
 * - `fallback`: the watchdog handed the battery to its own self-consumption mode (see `fallbackReason`);
 * - `self_consumption`: the goal is self-consumption;
 * - `off`: optimisation disabled or goal off (the controller writes nothing);
 * - `demand_response`: an event's feedback loop (or the ramp after it) drives the battery.
 */
export type ControllerMode = 'optimising' | 'override' | 'fallback' | 'self_consumption' | 'off' | 'demand_response';

/** The plan's action vocabulary, plus OFF when the controller leaves the device alone. */
export type ControllerAction = PlanAction | 'OFF';

export interface ControllerStatus {
  readonly enabled: boolean;
  readonly goal: ControllerGoal;
  readonly mode: ControllerMode;
  readonly current: {
    readonly action: ControllerAction;
    /** Human text, e.g. `charging: 8.1 c/kWh now vs 41.0 c/kWh at 18:30` or `fallback: prices missing: …`. */
    readonly reason: string;
    /** The command in force on the device (after the safety guard), null when none was written. */
    readonly command: Command | null;
    /** When that command was written (UTC ISO). */
    readonly since: string | null;
  };
  /** The next change of action in the plan. */
  readonly next: { readonly action: ControllerAction; readonly at: string; readonly reason: string } | null;
  /** Today (local day in the controller's time zone): predicted and self-consumption baseline cost. */
  readonly today: (DayCosts & { readonly currency: string }) | null;
  /**
   * The plan in force (the HA `forecast` attribute), null when none, as it will run: intervals
   * under a manual override show the override's action (plan-view.ts).
   */
  readonly plan: PlanView | null;
  readonly planAt: string | null;
  readonly override: ManualOverride | null;
  /** Why the watchdog fell back to self-consumption, null while the plan runs. */
  readonly fallbackReason: string | null;
  readonly lastError: { readonly message: string; readonly at: string } | null;
  /** Demand response (mode, event, setpoint, the PI's state); null when the controller has no DR port. */
  readonly demandResponse: DemandResponseStatus | null;
  readonly updatedAt: string;
}

/** A command the controller wrote (after the guard). */
export interface ControllerCommandEvent {
  readonly command: Command;
  readonly outcome: CommandOutcome;
  readonly reason: string;
  readonly at: string;
}

export interface ControllerEvents extends Record<string, unknown> {
  /** The status changed (anything but `updatedAt`). */
  status: ControllerStatus;
  /** A new plan. */
  plan: Plan;
  /**
   * The interval in progress as the newest plan books it: its predicted cost and the
   * self-consumption baseline's (daily-costs.ts), in the plan's currency. Again at every re-plan.
   */
  cost: { readonly start: number; readonly cost: number; readonly baseline: number; readonly currency: string };
  /** A device that follows plans by itself (`followPlan`) took a new plan. */
  followed: { readonly plan: Plan; readonly reason: string; readonly at: string };
  /** A command was written to the device. */
  command: ControllerCommandEvent;
  /** The watchdog fell back (reason) or the plan took over again (null). */
  fallback: { readonly reason: string | null; readonly at: string };
  /**
   * The device stopped answering / went stale / a write failed (healthy false, with the reason), or
   * it is back (healthy true). A fleet plans a battery out while it is unhealthy.
   */
  device: { readonly healthy: boolean; readonly reason: string | null; readonly at: string };
}
