import type { Plan, PlanAction, PlanInterval } from '@sps/scheduler';

/** A battery's flow counts from this much power (kW): the scheduler's own threshold for its labels. */
const ACTION_KW = 0.05;

/**
 * One battery's view of a joint plan: the interval's battery powers and SOC become this battery's
 * alone (the grid, prices, loads and reason stay the site's), so the battery's policy (a
 * `Controller`) executes it exactly as it executes a plan of its own. Undefined when the plan does
 * not hold the battery (it was planned out).
 *
 * The action is the battery's share of the site's action:
 * - the site CHARGEs, EXPORTs or holds (IDLE): every battery is forced to its own planned power —
 *   CHARGE at its charge, EXPORT (a forced discharge) at its discharge, else IDLE (hold) — so one
 *   battery in self-consumption never discharges into another's grid charge;
 * - the site is in SELF_CONSUMPTION: a battery the plan keeps still while another one moves holds
 *   (IDLE: its energy is kept for later); the others follow the house in their own mode;
 * - a battery a manual override fixes (`override`): CHARGE, EXPORT or IDLE by its own powers.
 */
export function memberPlan(plan: Plan, name: string): Plan | undefined {
  if (!plan.intervals.every((i) => i.batteries.some((b) => b.name === name))) return undefined;
  // Off-grid no battery is ever forced (not even to hold): each stays in its own mode.
  const offGrid = plan.off_grid !== undefined;
  return { ...plan, intervals: plan.intervals.map((i) => memberInterval(i, name, offGrid)) };
}

function memberInterval(interval: PlanInterval, name: string, offGrid: boolean): PlanInterval {
  const own = interval.batteries.find((b) => b.name === name)!;
  const { override: _site, ...rest } = interval;
  return {
    ...rest,
    action: offGrid ? 'SELF_CONSUMPTION' : memberAction(interval, name),
    battery_charge_kw: own.charge_kw,
    battery_discharge_kw: own.discharge_kw,
    soc_pct: own.soc_pct,
    batteries: [own],
    // Only this battery's own override marks its view (another battery's does not fix this one).
    ...(own.override ? { override: true } : {}),
  };
}

export function memberAction(interval: PlanInterval, name: string): PlanAction {
  const own = interval.batteries.find((b) => b.name === name);
  if (!own) return 'SELF_CONSUMPTION';
  const moves = (b: { charge_kw: number; discharge_kw: number }): boolean =>
    b.charge_kw > ACTION_KW || b.discharge_kw > ACTION_KW;
  // A battery an override fixes does what the override makes it do, whatever the site's label.
  if (interval.action === 'SELF_CONSUMPTION' && !own.override) {
    const othersMove = interval.batteries.some((b) => b.name !== name && moves(b));
    return !moves(own) && othersMove ? 'IDLE' : 'SELF_CONSUMPTION';
  }
  if (own.charge_kw > ACTION_KW) return 'CHARGE';
  if (own.discharge_kw > ACTION_KW) return 'EXPORT';
  return 'IDLE';
}
