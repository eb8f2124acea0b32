import { z } from 'zod';
import { ACTIONS, explainActions, labelActions, type PlanAction } from './actions.js';
import { evaluateDispatch, type Dispatch, type OffGridTerms } from './dispatch.js';
import { explainOffGrid } from './off-grid-reasons.js';
import { fixedAt, type PlanningProblem } from './problem.js';

export const PLAN_STATUSES = ['optimal', 'fallback_greedy', 'fallback_self_consumption', 'infeasible'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export const PlanInterval = z.object({
  /** UTC start of the interval. */
  start: z.string(),
  action: z.enum(ACTIONS),
  battery_charge_kw: z.number(),
  battery_discharge_kw: z.number(),
  grid_import_kw: z.number(),
  grid_export_kw: z.number(),
  curtail_kw: z.number(),
  ev_kw: z.number(),
  /** Sum of the deferrable loads running in this interval. */
  deferrable_kw: z.number(),
  /** Each deferrable load in scenario order, its power when planned on, else 0 (present when there are loads). */
  deferrables: z.array(z.object({ name: z.string(), kw: z.number() })).optional(),
  /** Off-grid only: load the plan cannot serve (the house goes dark for that share), kW. */
  unserved_kw: z.number().optional(),
  /** State of charge at the END of the interval (all batteries together). */
  soc_pct: z.number(),
  import_price: z.number(),
  export_price: z.number(),
  reason: z.string(),
  /** Per battery, in scenario order. */
  batteries: z.array(
    z.object({
      name: z.string(),
      charge_kw: z.number(),
      discharge_kw: z.number(),
      soc_pct: z.number(),
      /** The power station only: PV it takes at P4 (its charge_kw is grid charging through P1). */
      pv_kw: z.number().optional(),
      /** True where the scenario's battery_overrides fix this battery's power (a manual override). */
      override: z.boolean().optional(),
    }),
  ),
  /** True where an override fixes a battery's power in this interval (see `batteries[].override`). */
  override: z.boolean().optional(),
});
export type PlanInterval = z.infer<typeof PlanInterval>;

export const Plan = z.object({
  status: z.enum(PLAN_STATUSES),
  /** 'highs', 'greedy', 'self_consumption', or 'none' when infeasible before any solve. */
  solver: z.string(),
  solve_ms: z.number(),
  currency: z.string(),
  interval_minutes: z.number(),
  /** cost − terminal value × (stored energy at the end − stored energy now). */
  objective: z.number().nullable(),
  /** Σ (import price·import − export price·export + cycle cost·discharge)·h (+ demand charge). */
  cost: z.number().nullable(),
  demand_charge_cost: z.number().nullable(),
  baseline_objective: z.number().nullable(),
  baseline_cost: z.number().nullable(),
  /** baseline_objective − objective. */
  savings: z.number().nullable(),
  /** Why the plan is not optimal, or why there is none. */
  reason: z.string().nullable(),
  intervals: z.array(PlanInterval),
  /** The scenario's energy targets and how the plan meets them (present when there are any). */
  energy_targets: z
    .array(
      z.object({
        label: z.string(),
        index: z.number(),
        /** The moment the energy must be stored: the start of interval `index` (UTC). */
        at: z.string(),
        min_kwh: z.number(),
        planned_kwh: z.number(),
        /** > 0: the target cannot be met (not enough time, power or capacity before `at`). */
        shortfall_kwh: z.number(),
      }),
    )
    .optional(),
  /** Off-grid plans (scenario `off_grid`): how the house fares over the horizon. */
  off_grid: z
    .object({
      reserve_kwh: z.number(),
      /** The lowest planned stored energy (all batteries together) and when (UTC). */
      min_stored_kwh: z.number(),
      min_stored_at: z.string(),
      /** The deepest dip below the reserve, kWh (0 when the reserve holds). */
      max_reserve_shortfall_kwh: z.number(),
      unserved_kwh: z.number(),
      /** The first interval with unserved load (the house would go dark), UTC; null when none. */
      first_unserved_at: z.string().nullable(),
      curtailed_kwh: z.number(),
      deferrable_kwh: z.number(),
    })
    .optional(),
});
export type Plan = z.infer<typeof Plan>;

/** Rounding to 1 mW keeps JSON short while every balance stays far inside the 1 W contract. */
const kw = (v: number): number => Math.round(v * 1e6) / 1e6;
const pct = (v: number): number => Math.round(v * 1e6) / 1e6;
const money = (v: number): number => Math.round(v * 1e6) / 1e6;

export interface PlanMeta {
  readonly status: PlanStatus;
  readonly solver: string;
  readonly solveMs: number;
  readonly reason: string | null;
  readonly timeZone: string;
}

export function buildPlan(p: PlanningProblem, d: Dispatch, baseline: Dispatch, meta: PlanMeta): Plan {
  const value = evaluateDispatch(p, d);
  const base = evaluateDispatch(p, baseline);
  // Off-grid the battery is never forced (no grid to charge from or export to): its own mode throughout.
  const actions: PlanAction[] = value.offGrid
    ? new Array<PlanAction>(p.n).fill('SELF_CONSUMPTION')
    : labelActions(p, d, value.storedKwh);
  const reasons = value.offGrid
    ? explainOffGrid(p, d, value.storedKwh, value.offGrid, meta.timeZone)
    : explainActions(p, d, value.storedKwh, actions, meta.timeZone, value.shortfallKwh);
  const totalCapacity = p.batteries.reduce((s, b) => s + b.capacityKwh, 0);
  const intervals: PlanInterval[] = [];
  for (let t = 0; t < p.n; t++) {
    let charge = 0;
    let discharge = 0;
    let stored = 0;
    const batteries = p.batteries.map((b, k) => {
      const c = d.chargeKw[k]![t]!;
      const dis = d.dischargeKw[k]![t]!;
      const e = value.storedKwh[k]![t]!;
      charge += c;
      discharge += dis;
      stored += e;
      return {
        name: b.name,
        charge_kw: kw(c),
        discharge_kw: kw(dis),
        soc_pct: pct((100 * e) / b.capacityKwh),
        ...(b.station ? { pv_kw: kw(d.stationPvKw[k]![t]!) } : {}),
        ...(fixedAt(p, k, t) ? { override: true } : {}),
      };
    });
    intervals.push({
      start: new Date(p.startMs + t * p.intervalMinutes * 60_000).toISOString(),
      action: actions[t]!,
      battery_charge_kw: kw(charge),
      battery_discharge_kw: kw(discharge),
      grid_import_kw: kw(d.gridImportKw[t]!),
      grid_export_kw: kw(d.gridExportKw[t]!),
      curtail_kw: kw(d.curtailKw[t]!),
      ev_kw: kw(d.evKw[t]!),
      deferrable_kw: kw(d.deferrableKw.reduce((s, row) => s + row[t]!, 0)),
      ...(p.deferrables.length > 0
        ? { deferrables: p.deferrables.map((def, k) => ({ name: def.name, kw: kw(d.deferrableKw[k]![t]!) })) }
        : {}),
      ...(p.offGrid ? { unserved_kw: kw(d.unservedKw[t]!) } : {}),
      soc_pct: pct((100 * stored) / totalCapacity),
      import_price: p.importPrice[t] ?? 0,
      export_price: p.exportPrice[t] ?? 0,
      reason: reasons[t]!,
      batteries,
      ...(batteries.some((b) => b.override) ? { override: true } : {}),
    });
  }
  return {
    status: meta.status,
    solver: meta.solver,
    solve_ms: Math.round(meta.solveMs * 10) / 10,
    currency: p.currency,
    interval_minutes: p.intervalMinutes,
    objective: money(value.objective),
    cost: money(value.cost),
    demand_charge_cost: money(value.demandChargeCost),
    baseline_objective: money(base.objective),
    baseline_cost: money(base.cost),
    savings: money(base.objective - value.objective),
    reason: meta.reason,
    intervals,
    ...(p.energyTargets.length > 0 ? { energy_targets: targetReport(p, value.shortfallKwh) } : {}),
    ...(value.offGrid ? { off_grid: offGridReport(p, d, value.storedKwh, value.offGrid) } : {}),
  };
}

function offGridReport(
  p: PlanningProblem,
  d: Dispatch,
  storedKwh: readonly (readonly number[])[],
  terms: OffGridTerms,
): NonNullable<Plan['off_grid']> {
  const startOf = (t: number): string => new Date(p.startMs + t * p.intervalMinutes * 60_000).toISOString();
  let minKwh = Infinity;
  let minT = 0;
  for (let t = 0; t < p.n; t++) {
    const e = storedKwh.reduce((s, row) => s + (row[t] ?? 0), 0);
    if (e < minKwh) {
      minKwh = e;
      minT = t;
    }
  }
  const firstDark = d.unservedKw.findIndex((v) => v > 1e-6);
  return {
    reserve_kwh: kw(p.offGrid!.reserveKwh),
    min_stored_kwh: kw(minKwh),
    // The END of the interval: stored energy is planned at interval ends.
    min_stored_at: startOf(minT + 1),
    max_reserve_shortfall_kwh: kw(Math.max(0, ...terms.reserveShortfallKwh)),
    unserved_kwh: kw(terms.unservedKwh),
    first_unserved_at: firstDark >= 0 ? startOf(firstDark) : null,
    curtailed_kwh: kw(terms.curtailedKwh),
    deferrable_kwh: kw(terms.deferrableKwh),
  };
}

function targetReport(p: PlanningProblem, shortfallKwh: readonly number[]): NonNullable<Plan['energy_targets']> {
  return p.energyTargets.map((target, i) => {
    const shortfall = shortfallKwh[i] ?? 0;
    return {
      label: target.label,
      index: target.index,
      at: new Date(p.startMs + target.index * p.intervalMinutes * 60_000).toISOString(),
      min_kwh: kw(target.minKwh),
      planned_kwh: kw(target.minKwh - shortfall),
      shortfall_kwh: kw(shortfall),
    };
  });
}

export function infeasiblePlan(p: PlanningProblem, reason: string, solver: string, solveMs: number): Plan {
  return {
    status: 'infeasible',
    solver,
    solve_ms: Math.round(solveMs * 10) / 10,
    currency: p.currency,
    interval_minutes: p.intervalMinutes,
    objective: null,
    cost: null,
    demand_charge_cost: null,
    baseline_objective: null,
    baseline_cost: null,
    savings: null,
    reason,
    intervals: [],
  };
}
