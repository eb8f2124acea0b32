import type { Dispatch } from './dispatch.js';
import { formatClock, formatPrice } from './price-format.js';
import { dischargeCapKw, fixedAt, type PlanningProblem } from './problem.js';

export const ACTIONS = ['CHARGE', 'EXPORT', 'IDLE', 'SELF_CONSUMPTION'] as const;
export type PlanAction = (typeof ACTIONS)[number];

/** A label needs this much power to start (kW), and keeps going down to STAY_KW: hysteresis. */
const ENTER_KW = 0.05;
const STAY_KW = 0.02;

interface IntervalFlows {
  readonly charge: number;
  readonly discharge: number;
  /** Household demand minus produced solar (load + EV + deferrables − (solar − curtail)). */
  readonly houseNet: number;
  /** What the battery would do in self-consumption mode from the planned SOC (positive = discharge). */
  readonly selfConsumptionNet: number;
}

function flowsAt(p: PlanningProblem, d: Dispatch, stored: number[][], t: number): IntervalFlows {
  let charge = 0;
  let discharge = 0;
  let room = 0;
  let available = 0;
  let maxC = 0;
  let maxD = 0;
  p.batteries.forEach((b, k) => {
    charge += d.chargeKw[k]![t]!;
    discharge += d.dischargeKw[k]![t]!;
    const e = t > 0 ? stored[k]![t - 1]! : b.initialKwh;
    room += Math.max(0, (b.maxKwh - e) / (b.chargeEfficiency * p.hours));
    available += Math.max(0, ((e - b.minKwh) * b.dischargeEfficiency) / p.hours);
    maxC += b.maxChargeKw;
    maxD += dischargeCapKw(b, t);
  });
  let houseNet = (p.loadKw[t] ?? 0) + d.evKw[t]! - ((p.solarKw[t] ?? 0) - d.curtailKw[t]!);
  for (const row of d.deferrableKw) houseNet += row[t]!;
  const selfConsumptionNet = houseNet > 0 ? Math.min(houseNet, maxD, available) : -Math.min(-houseNet, maxC, room);
  return { charge, discharge, houseNet, selfConsumptionNet };
}

/**
 * CHARGE: the battery takes power from the grid (charges beyond the solar surplus).
 * EXPORT: the battery sends power to the grid (discharges beyond the house's demand).
 * IDLE: the battery holds although self-consumption would move it.
 * SELF_CONSUMPTION: otherwise; the battery follows the house, possibly below its full power
 * (the plan's powers say how much).
 */
export function labelActions(p: PlanningProblem, d: Dispatch, stored: number[][]): PlanAction[] {
  const actions: PlanAction[] = [];
  for (let t = 0; t < p.n; t++) {
    // Every battery fixed by an override: the label is what the override makes it do.
    if (p.batteries.length > 0 && p.batteries.every((_, k) => fixedAt(p, k, t))) {
      const charge = d.chargeKw.reduce((s, row) => s + row[t]!, 0);
      const discharge = d.dischargeKw.reduce((s, row) => s + row[t]!, 0);
      actions.push(charge > ENTER_KW ? 'CHARGE' : discharge > ENTER_KW ? 'EXPORT' : 'IDLE');
      continue;
    }
    const f = flowsAt(p, d, stored, t);
    const previous = actions[t - 1];
    const over = (value: number, label: PlanAction): boolean => value > (previous === label ? STAY_KW : ENTER_KW);
    const gridCharge = f.charge - Math.max(0, -f.houseNet);
    const batteryExport = f.discharge - Math.max(0, f.houseNet);
    const net = f.discharge - f.charge;
    if (over(gridCharge, 'CHARGE')) actions.push('CHARGE');
    else if (over(batteryExport, 'EXPORT')) actions.push('EXPORT');
    else if (Math.abs(net) <= ENTER_KW && Math.abs(f.selfConsumptionNet) > ENTER_KW) actions.push('IDLE');
    else actions.push('SELF_CONSUMPTION');
  }
  return actions;
}

/** Short human reasons: what the interval's price is up against. */
export function explainActions(
  p: PlanningProblem,
  d: Dispatch,
  stored: number[][],
  actions: readonly PlanAction[],
  timeZone: string,
  /** [target]: kWh each energy target is missed by (evaluateDispatch). */
  shortfallKwh: readonly number[] = [],
): string[] {
  const price = (v: number): string => formatPrice(v, p.currency);
  const at = (t: number): string => formatClock(p.startMs + t * p.intervalMinutes * 60_000, timeZone);
  const discharges = (t: number): boolean => d.dischargeKw.some((row) => row[t]! > ENTER_KW);
  /** The dearest later moment the stored energy is used: import avoided, or export earned. */
  const laterUse = (from: number): { price: number; t: number } | null => {
    let best: { price: number; t: number } | null = null;
    for (let t = from + 1; t < p.n; t++) {
      if (!discharges(t)) continue;
      const value = actions[t] === 'EXPORT' ? (p.exportPrice[t] ?? 0) : (p.importPrice[t] ?? 0);
      if (!best || value > best.price) best = { price: value, t };
    }
    return best;
  };
  /** The cheapest later chance to refill. */
  const laterRefill = (from: number): { price: number; t: number } | null => {
    let best: { price: number; t: number } | null = null;
    for (let t = from + 1; t < p.n; t++) {
      const value = p.importPrice[t] ?? 0;
      if (!best || value < best.price) best = { price: value, t };
    }
    return best;
  };
  /** The later interval where stored solar is worth least (lowest feed-in while charging). */
  const laterRefillFromSolar = (from: number): { price: number; t: number } | null => {
    let best: { price: number; t: number } | null = null;
    for (let t = from + 1; t < p.n; t++) {
      if (!d.chargeKw.some((row) => row[t]! > ENTER_KW)) continue;
      const value = p.exportPrice[t] ?? 0;
      if (!best || value < best.price) best = { price: value, t };
    }
    return best;
  };
  /**
   * The first energy target after interval t that the plan's stored energy just meets (or misses):
   * charging before it is for the target, whatever the prices say.
   */
  const bindingTarget = (from: number): string | null => {
    for (const [i, target] of p.energyTargets.entries()) {
      if (target.index <= from || target.minKwh <= 0) continue;
      let planned = 0;
      for (const k of target.batteries) planned += stored[k]?.[target.index - 1] ?? 0;
      if ((shortfallKwh[i] ?? 0) > 1e-6 || planned <= target.minKwh + 0.01) {
        const short = (shortfallKwh[i] ?? 0) > 1e-6 ? `, ${(shortfallKwh[i] ?? 0).toFixed(2)} kWh short` : '';
        return `${target.label}: ${target.minKwh.toFixed(2)} kWh stored by ${at(target.index)}${short}`;
      }
    }
    return null;
  };
  const keepValue = (): string => `${price(p.terminalValuePerKwh)} value of energy kept past the horizon`;

  return actions.map((action, t) => {
    const fixed = fixedReasons(p, d, stored, t);
    if (fixed === null) return reasonFor(action, t);
    // Batteries the optimiser still moves in this interval keep the price reason after the override's.
    return p.batteries.every((_, k) => fixedAt(p, k, t)) ? fixed : `${fixed}; ${reasonFor(action, t)}`;
  });

  function reasonFor(action: PlanAction, t: number): string {
    const ip = p.importPrice[t] ?? 0;
    const ep = p.exportPrice[t] ?? 0;
    switch (action) {
      case 'CHARGE': {
        if (ip < 0) return `charging: paid ${price(-ip)} to import now`;
        const target = bindingTarget(t);
        if (target) return `charging for ${target} (${price(ip)} now)`;
        const use = laterUse(t);
        return use
          ? `charging: ${price(ip)} now vs ${price(use.price)} at ${at(use.t)}`
          : `charging: ${price(ip)} now vs ${keepValue()}`;
      }
      case 'EXPORT': {
        const refill = laterRefill(t);
        return refill
          ? `exporting: ${price(ep)} now vs ${price(refill.price)} to refill at ${at(refill.t)}`
          : `exporting: ${price(ep)} now vs ${keepValue()}`;
      }
      case 'IDLE': {
        const solarSurplus = (p.solarKw[t] ?? 0) - d.curtailKw[t]! > (p.loadKw[t] ?? 0) + d.evKw[t]!;
        if (solarSurplus) {
          const refill = laterRefillFromSolar(t);
          return refill
            ? `holding: solar surplus exported at ${price(ep)} now, battery fills later (${price(refill.price)} at ${at(refill.t)})`
            : `holding: solar surplus exported at ${price(ep)} now`;
        }
        const use = laterUse(t);
        return use
          ? `holding: ${price(ip)} now vs ${price(use.price)} at ${at(use.t)}`
          : `holding: ${price(ip)} now vs ${keepValue()}`;
      }
      default: {
        let charge = 0;
        let discharge = 0;
        p.batteries.forEach((_, k) => {
          charge += d.chargeKw[k]![t]!;
          discharge += d.dischargeKw[k]![t]!;
        });
        if (charge > ENTER_KW) return `self-consumption: storing ${charge.toFixed(2)} kW of solar`;
        if (discharge > ENTER_KW) return `self-consumption: battery covers ${discharge.toFixed(2)} kW of demand`;
        const soc = p.batteries.reduce((s, b, k) => s + (t > 0 ? stored[k]![t - 1]! : b.initialKwh) - b.minKwh, 0);
        if (soc <= 1e-6 && (p.loadKw[t] ?? 0) > (p.solarKw[t] ?? 0)) return 'self-consumption: battery at its minimum';
        return 'self-consumption: nothing to shift now';
      }
    }
  }
}

/** Tolerances of the override reasons: 1 W, 1 Wh. */
const FIXED_TOL_KW = 1e-3;
const FIXED_TOL_KWH = 1e-3;

/**
 * The reasons of the overrides in interval t (null: none), each with why the battery runs below
 * the asked power: clipped to its limit, full, at its floor, at the hold's SOC, or the grid limits.
 */
function fixedReasons(p: PlanningProblem, d: Dispatch, stored: number[][], t: number): string | null {
  const parts: string[] = [];
  p.batteries.forEach((b, k) => {
    const f = fixedAt(p, k, t);
    if (!f) return;
    const notes: string[] = [];
    const kind = f.kind === 'discharge' ? 'discharge' : 'charge';
    if (f.requestedKw > f.limitKw + FIXED_TOL_KW) {
      notes.push(`clipped to ${f.limitKw.toFixed(2)} kW, the battery's ${kind} limit`);
    }
    const actual = (f.kind === 'discharge' ? d.dischargeKw : d.chargeKw)[k]![t]!;
    if (actual < f.limitKw - FIXED_TOL_KW) {
      const e = stored[k]![t]!;
      if (f.upToKwh !== null && e >= f.upToKwh - FIXED_TOL_KWH) notes.push('SOC target reached, holding');
      else if (f.kind !== 'discharge' && e >= b.maxKwh - FIXED_TOL_KWH) notes.push('battery full');
      else if (f.kind === 'discharge' && e <= b.minKwh + FIXED_TOL_KWH) notes.push('battery at its minimum');
      else notes.push(`${kind} limited to ${actual.toFixed(2)} kW by the grid limits`);
    }
    const who = p.batteries.length > 1 ? `${b.name}: ` : '';
    parts.push(`${who}${f.label}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  });
  return parts.length > 0 ? parts.join('; ') : null;
}
