import type { Plan, PlanOptions, Scheduler } from '@sps/scheduler';

/** What the station planner needs to know about the station now. */
export interface StationPlanningFacts {
  /** The station's fixed grid-charging power through P1, W (the composite's maxChargeW). */
  chargePowerW(): number | undefined;
  /** The load behind the transfer switch now (P2), W; undefined when unknown. */
  p2LoadW(): number | undefined;
}

/** A label needs this much station power (kW): the scheduler's own threshold for its labels. */
const ACTION_KW = 0.05;

type Scenario = Record<string, unknown>;

const numbers = (value: unknown): number[] =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'number' ? v : 0)) : [];
const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

/**
 * The controller builds a scenario for one `battery`; for the power station this turns it into
 * the scheduler's `station` asset (issue 6 §5) before solving, and labels the plan by what the
 * station must do:
 * - `station.grid_charge_kw` = the fixed grid-charging power (P1 on/off: `on_off` mode), or no grid
 *   charging when the user's max charge power is below it (the station cannot charge slower);
 * - `max_discharge_kw` = the battery's (the guard's limits: inverter rating / P2 cap / user limit);
 * - `p2_load_kw` = the load measured at P2 now, held flat and never above `load_kw` (the scheduler
 *   requires that); without a P2 reading, `load_kw` capped at the station's discharge power;
 * - `pv_kw` = 0: there is no forecast for the P4 panel, so the plan does not count on it (the
 *   station takes its PV in every mode anyway — under-planned, never over a limit);
 * - no export (the station cannot export by construction).
 *
 * Actions: station charge > 0 → CHARGE (→ force_charge), discharge > 0 → EXPORT (the controller's
 * label for a forced discharge → force_discharge: the loads move onto the station), else
 * SELF_CONSUMPTION (→ restore_normal). The scheduler itself labels a discharge that only covers
 * the house as SELF_CONSUMPTION, which would switch the station off exactly when it should carry P2.
 */
export function stationScheduler(inner: Scheduler, facts: StationPlanningFacts): Scheduler {
  return {
    async plan(input: unknown, options?: PlanOptions): Promise<Plan> {
      return relabel(await inner.plan(toStationScenario(input as Scenario, facts), options));
    },
  };
}

export function toStationScenario(scenario: Scenario, facts: StationPlanningFacts): Scenario {
  const { battery, ...rest } = scenario;
  if (typeof battery !== 'object' || battery === null || Array.isArray(battery)) return scenario;
  const b = battery as Record<string, unknown>;
  const load = numbers(rest.load_kw);
  const maxDischargeKw = num(b.max_discharge_kw, 0);
  const chargeKw = (facts.chargePowerW() ?? 0) / 1000;
  const p2Now = facts.p2LoadW();
  const p2 = load.map((l) => Math.max(0, Math.min(l, p2Now === undefined ? maxDischargeKw : p2Now / 1000)));
  // The guard's max charge power below the fixed charging power: the station may not grid-charge at all.
  const canGridCharge = chargeKw > 0 && num(b.max_charge_kw, 0) + 1e-9 >= chargeKw;
  return {
    ...rest,
    station: {
      name: 'station',
      capacity_kwh: b.capacity_kwh,
      soc_pct: b.soc_pct,
      min_soc_pct: b.min_soc_pct,
      max_soc_pct: b.max_soc_pct,
      grid_charge_kw: canGridCharge ? chargeKw : 0,
      grid_charge_mode: 'on_off',
      max_discharge_kw: maxDischargeKw,
      p2_load_kw: p2,
      pv_kw: load.map(() => 0),
      charge_efficiency: b.charge_efficiency,
      discharge_efficiency: b.discharge_efficiency,
      cycle_cost_per_kwh: b.cycle_cost_per_kwh,
    },
    allow_battery_export: false,
  };
}

/** The station's actions in a plan (its own, or its view of a joint plan): see stationScheduler. */
export function relabel(plan: Plan): Plan {
  return {
    ...plan,
    intervals: plan.intervals.map((interval) => {
      const station = interval.batteries.find((b) => b.name === 'station') ?? interval.batteries[0];
      if (!station) return interval;
      const moving = station.charge_kw > ACTION_KW ? 'CHARGE' : station.discharge_kw > ACTION_KW ? 'EXPORT' : undefined;
      // A manual override that holds the station is a hold, not its own mode; its reason stays the override's.
      if (station.override) return { ...interval, action: moving ?? 'IDLE' };
      const action = moving ?? 'SELF_CONSUMPTION';
      if (action === interval.action) return interval;
      const why =
        action === 'EXPORT'
          ? `the station carries the loads behind the transfer switch (${interval.reason})`
          : interval.reason;
      return { ...interval, action, reason: why };
    }),
  };
}
