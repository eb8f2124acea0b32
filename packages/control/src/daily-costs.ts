import { parseScenario, selfConsumptionDispatch, toProblem, type Plan } from '@sps/scheduler';

/** Predicted and self-consumption-baseline cost of one plan interval, in the plan's currency. */
export interface IntervalCost {
  readonly start: number;
  readonly cost: number;
  readonly baseline: number;
}

export interface DayCosts {
  /** Local date (YYYY-MM-DD) in the controller's time zone. */
  readonly date: string;
  readonly predictedCost: number;
  readonly baselineCost: number;
  readonly savings: number;
}

/**
 * Per-interval cost of a plan and of the self-consumption baseline on the same inputs, so "today"
 * can be summed (the plan only carries horizon totals). Same formula as the scenario contract:
 * (import price · import − export price · export + cycle cost · discharge) · hours.
 */
export function intervalCosts(plan: Plan, scenario: unknown, nowMs: number): IntervalCost[] {
  const problem = toProblem(parseScenario(scenario), nowMs);
  const baseline = selfConsumptionDispatch(problem);
  const h = plan.interval_minutes / 60;
  return plan.intervals.map((i, t) => {
    const cycleCost = problem.batteries.reduce(
      (s, b, k) => s + b.cycleCostPerKwh * (baseline.dischargeKw[k]?.[t] ?? 0),
      0,
    );
    const planCycle = problem.batteries.reduce(
      (s, b, k) => s + b.cycleCostPerKwh * (i.batteries[k]?.discharge_kw ?? 0),
      0,
    );
    return {
      start: Date.parse(i.start),
      cost: (i.import_price * i.grid_import_kw - i.export_price * i.grid_export_kw + planCycle) * h,
      baseline:
        ((problem.importPrice[t] ?? 0) * (baseline.gridImportKw[t] ?? 0) -
          (problem.exportPrice[t] ?? 0) * (baseline.gridExportKw[t] ?? 0) +
          cycleCost) *
        h,
    };
  });
}

/**
 * Today's predicted cost, baseline and savings. Intervals that have begun are booked with the cost
 * the newest plan made in them expected (a forecast, not a meter reading); the rest of the day comes
 * from the plan in force. Resets at local midnight.
 */
export class DailyCostLedger {
  private readonly dateOf: (ms: number) => string;
  private booked = new Map<number, IntervalCost>();
  private ahead: IntervalCost[] = [];

  constructor(timeZone: string) {
    const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    this.dateOf = (ms) => format.format(ms);
  }

  /** A new plan: its first interval is the current one. */
  record(now: number, costs: readonly IntervalCost[]): void {
    const today = this.dateOf(now);
    for (const start of [...this.booked.keys()]) if (this.dateOf(start) !== today) this.booked.delete(start);
    const [current, ...rest] = costs;
    if (current) this.booked.set(current.start, current);
    this.ahead = rest;
  }

  /** Forget the plan ahead (no plan in force); what has been booked stays. */
  clearAhead(): void {
    this.ahead = [];
  }

  today(now: number): DayCosts | null {
    const today = this.dateOf(now);
    let cost = 0;
    let baseline = 0;
    let any = false;
    for (const c of this.booked.values()) {
      if (this.dateOf(c.start) !== today) continue;
      cost += c.cost;
      baseline += c.baseline;
      any = true;
    }
    for (const c of this.ahead) {
      if (this.booked.has(c.start) || this.dateOf(c.start) !== today) continue;
      cost += c.cost;
      baseline += c.baseline;
      any = true;
    }
    if (!any) return null;
    const round = (v: number): number => Math.round(v * 10_000) / 10_000;
    return { date: today, predictedCost: round(cost), baselineCost: round(baseline), savings: round(baseline - cost) };
  }
}
