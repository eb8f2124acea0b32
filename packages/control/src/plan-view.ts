import type { Plan, PlanInterval } from '@sps/scheduler';
import { describeOverride, type ManualOverride } from './manual-override.js';

/**
 * One plan interval as the cards and `/api/plan` show it: the scheduler's interval plus the
 * forecasts behind it, its "without optimiser" cost, and whether a manual override forces it.
 */
export type PlanViewInterval = PlanInterval & {
  /** Solar forecast, kW (absent when the interval was not planned from a forecast). */
  readonly pv_kw?: number;
  /** Load forecast, kW. */
  readonly load_kw?: number;
  /** What the interval would cost in the battery's own self-consumption mode. */
  readonly baseline_cost?: number;
  /** True where a manual override decides what the battery does. */
  readonly override?: boolean;
};
export type PlanView = Omit<Plan, 'intervals'> & { intervals: PlanViewInterval[] };

/** Per-interval facts kept from the re-plan (same length and order as the plan's intervals). */
export interface PlanExtras {
  readonly pvKw: readonly number[];
  readonly loadKw: readonly number[];
  readonly baselineCost: readonly number[];
}

/** What the override's projection needs of the battery. */
export interface OverrideProjection {
  readonly now: number;
  /** The measured SOC now (the projection starts from it). */
  readonly socPct: number | undefined;
  readonly capacityWh: number | undefined;
  readonly maxChargeW: number | undefined;
  readonly maxDischargeW: number | undefined;
  readonly minSocPct: number;
  readonly maxSocPct: number;
  readonly chargeEfficiency: number;
  readonly dischargeEfficiency: number;
}

const HOLD_SOC_BAND_PCT = 1;
const round = (v: number, digits = 6): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The plan as it will really run: the scheduler's intervals with their forecasts and baseline
 * cost, and — while a manual override is in force — the intervals under it replaced by what the
 * override makes the battery do (action, power, grid flows and SOC projected from the measured
 * SOC with the battery's efficiencies and SOC bounds). After the override's end the plan's own
 * actions follow; their SOC is shifted by the difference the override made (clamped to the SOC
 * bounds) until the controller's re-plan at the override's end replaces them.
 */
export function planView(
  plan: Plan | null,
  extras: PlanExtras | null,
  override: ManualOverride | null,
  p: OverrideProjection,
): PlanView | null {
  if (!plan) return null;
  const withExtras: PlanViewInterval[] = plan.intervals.map((interval, i) => {
    if (!extras) return interval;
    const pv = extras.pvKw[i];
    const load = extras.loadKw[i];
    const baseline = extras.baselineCost[i];
    return {
      ...interval,
      ...(pv === undefined ? {} : { pv_kw: round(pv) }),
      ...(load === undefined ? {} : { load_kw: round(load) }),
      ...(baseline === undefined ? {} : { baseline_cost: round(baseline) }),
    };
  });
  if (!override) return { ...plan, intervals: withExtras };
  return { ...plan, intervals: overlayOverride(withExtras, plan.interval_minutes, override, p) };
}

function overlayOverride(
  intervals: readonly PlanViewInterval[],
  intervalMinutes: number,
  o: ManualOverride,
  p: OverrideProjection,
): PlanViewInterval[] {
  const stepMs = intervalMinutes * 60_000;
  const hours = intervalMinutes / 60;
  const until = Date.parse(o.until);
  const capacityKwh = p.capacityWh !== undefined && p.capacityWh > 0 ? p.capacityWh / 1000 : undefined;
  const reason = describeOverride(o);
  let soc = p.socPct;
  let shift = 0;
  return intervals.map((interval) => {
    const start = Date.parse(interval.start);
    const end = start + stepMs;
    if (end <= p.now) return interval;
    if (start >= until) {
      if (shift === 0) return interval;
      return { ...interval, soc_pct: round(clamp(interval.soc_pct + shift, p.minSocPct, p.maxSocPct), 3) };
    }
    let chargeKw = 0;
    let dischargeKw = 0;
    const powerKw = (o.power_w ?? (o.kind === 'force_discharge' ? p.maxDischargeW : p.maxChargeW) ?? 0) / 1000;
    if (o.kind === 'force_charge') chargeKw = powerKw;
    else if (o.kind === 'force_discharge') dischargeKw = powerKw;
    else if (o.soc_pct !== undefined && soc !== undefined && soc < o.soc_pct - HOLD_SOC_BAND_PCT) chargeKw = powerKw;
    if (soc !== undefined && capacityKwh !== undefined) {
      // A full (or empty) battery stops: the power is what fits in the interval.
      const room = ((p.maxSocPct - soc) / 100) * capacityKwh;
      chargeKw = Math.max(0, Math.min(chargeKw, room / (p.chargeEfficiency * hours)));
      const left = ((soc - p.minSocPct) / 100) * capacityKwh;
      dischargeKw = Math.max(0, Math.min(dischargeKw, (left * p.dischargeEfficiency) / hours));
      soc += ((chargeKw * p.chargeEfficiency - dischargeKw / p.dischargeEfficiency) * hours * 100) / capacityKwh;
      shift = soc - interval.soc_pct;
    }
    // The house and the sun do the same; only the battery's part of the grid flow changes.
    const net =
      interval.grid_import_kw -
      interval.grid_export_kw -
      interval.battery_charge_kw +
      interval.battery_discharge_kw +
      chargeKw -
      dischargeKw;
    const action: PlanInterval['action'] = chargeKw > 0 ? 'CHARGE' : dischargeKw > 0 ? 'EXPORT' : 'IDLE';
    const socPct = soc === undefined ? interval.soc_pct : round(soc, 3);
    return {
      ...interval,
      action,
      battery_charge_kw: round(chargeKw),
      battery_discharge_kw: round(dischargeKw),
      grid_import_kw: round(Math.max(0, net)),
      grid_export_kw: round(Math.max(0, -net)),
      soc_pct: socPct,
      reason,
      override: true,
      batteries:
        interval.batteries.length === 1 && interval.batteries[0]
          ? [
              {
                ...interval.batteries[0],
                charge_kw: round(chargeKw),
                discharge_kw: round(dischargeKw),
                soc_pct: socPct,
              },
            ]
          : interval.batteries,
    };
  });
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
