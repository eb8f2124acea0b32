import type { PriceSource } from '@sps/control';
import type { Plan, PlanOptions, Scheduler } from '@sps/scheduler';

type Scenario = Record<string, unknown>;

/** ISO 4217's "no currency": an off-grid plan has no tariff and its figures are value units. */
export const OFF_GRID_CURRENCY = 'XXX';

/** What the off-grid planner needs from the options. */
export interface OffGridFacts {
  /** The battery's hard floor (BMS cut-off side), %: the plan never goes below it. */
  readonly floorSocPct: number;
  /**
   * The battery's reserve now (the guard's backup reserve), %. Without it the scenario's
   * `min_soc_pct` is taken, which the controller lowers to the SOC when the battery is already below.
   */
  readonly reservePct?: () => number | undefined;
}

/**
 * `optimizer.grid: none` (issue 13 §6). The controller builds its scenario as on the grid, with the
 * safety guard's backup reserve as the battery's `min_soc_pct`; off-grid that reserve becomes the
 * scheduler's soft `off_grid.reserve_soc_pct` (kept at every interval when the forecasts are right,
 * spent before the house goes dark) and the hard floor drops to `floorSocPct`. The scheduler's off-grid
 * objective labels every interval SELF_CONSUMPTION, so the controller never sends force_charge or
 * force_discharge: the inverter (the Studer) runs the battery in its own mode, and the plan drives
 * the deferrable loads.
 */
export function offGridScheduler(inner: Scheduler, facts: OffGridFacts): Scheduler {
  return {
    plan(input: unknown, options?: PlanOptions): Plan | Promise<Plan> {
      return inner.plan(toOffGridScenario(input as Scenario, facts), options);
    },
  };
}

export function toOffGridScenario(scenario: Scenario, facts: OffGridFacts): Scenario {
  const { battery, terminal_energy_value_per_kwh: _terminal, ...rest } = scenario;
  if (typeof battery !== 'object' || battery === null || Array.isArray(battery)) return scenario;
  const b = battery as Record<string, unknown>;
  // The controller's min_soc_pct is the reserve, or the SOC when below it already (the plan may not start
  // under its floor): the floor is never above it.
  const minSoc = typeof b['min_soc_pct'] === 'number' ? b['min_soc_pct'] : facts.floorSocPct;
  const reserve = facts.reservePct?.() ?? minSoc;
  return {
    ...rest,
    battery: { ...b, min_soc_pct: Math.min(minSoc, facts.floorSocPct) },
    // Nothing to import from or export to: the scheduler forces both to 0 whatever these say.
    grid: { max_import_kw: 0, max_export_kw: 0 },
    off_grid: { reserve_soc_pct: reserve },
  };
}

/**
 * The price source off-grid: no tariff is needed, so the controller gets an all-zero series that
 * always covers the horizon (its "no price covers now" fallback never fires for want of a tariff).
 */
export function offGridPrices(
  horizonMs = 49 * 3_600_000,
  stepMs = 30 * 60_000,
): PriceSource & {
  on(event: 'series', listener: () => void): () => void;
} {
  return {
    coverage: () => ({ fallback: false }),
    upcoming(now: number) {
      const from = Math.floor(now / stepMs) * stepMs;
      return Array.from({ length: Math.ceil(horizonMs / stepMs) }, (_, i) => ({
        start: from + i * stepMs,
        end: from + (i + 1) * stepMs,
        import: 0,
        export: 0,
      }));
    },
    on: () => () => undefined,
  };
}
