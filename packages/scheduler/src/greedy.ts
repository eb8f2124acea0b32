import { emptyDispatch, storedEnergy, targetShortfalls, type Dispatch } from './dispatch.js';
import type { PlanningProblem } from './problem.js';
import { earliestDeferrables, settleInterval } from './self-consumption.js';

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** EV energy in the cheapest plugged-in intervals before the deadline. */
function cheapestEvCharging(p: PlanningProblem, d: Dispatch): void {
  if (!p.ev) return;
  const ev = p.ev;
  const slots = [];
  for (let t = 0; t < ev.deadlineIndex; t++) {
    const max = ev.maxKw[t] ?? 0;
    if (max > 0 && max >= ev.minKw) slots.push(t);
  }
  slots.sort((a, b) => (p.importPrice[a] ?? 0) - (p.importPrice[b] ?? 0));
  let remaining = ev.energyNeededKwh;
  for (const t of slots) {
    if (remaining <= 1e-9) break;
    const kw = Math.min(ev.maxKw[t] ?? 0, Math.max(ev.minKw, remaining / (ev.chargeEfficiency * p.hours)));
    d.evKw[t] = kw;
    remaining -= kw * ev.chargeEfficiency * p.hours;
  }
}

/** Deferrable loads in the cheapest intervals of their windows. */
function cheapestDeferrables(p: PlanningProblem, d: Dispatch): void {
  // Off-grid a fallback is no place to guess where the surplus is: the loads stay off (their run is "up to").
  if (p.offGrid) return;
  p.deferrables.forEach((def, k) => {
    const slots = [];
    for (let t = def.startIndex; t < def.endIndex; t++) slots.push(t);
    slots.sort((a, b) => (p.importPrice[a] ?? 0) - (p.importPrice[b] ?? 0));
    // An excluded interval (demand-response event) is no slot; if too few are left, the check reports it.
    for (const t of slots.filter((s) => !p.deferrableBlocked[s]).slice(0, def.runIntervals)) {
      d.deferrableKw[k]![t] = def.powerKw;
    }
  });
}

/**
 * The fallback when the solver fails or times out: price thresholds instead of optimisation.
 * Grid-charge in the cheapest quarter of intervals when the round trip pays against the dearest
 * quarter, export in the dearest quarter, self-consumption otherwise; EV and deferrable loads in
 * their cheapest intervals. The caller checks the result against every limit before using it.
 */
export function greedyDispatch(p: PlanningProblem): Dispatch {
  const forced = new Array<Forced>(p.n).fill(null);
  let d = greedyPass(p, forced);
  if (p.energyTargets.length === 0) return d;
  // Energy targets: first stop discharging before a missed target (keeping energy is cheaper than
  // buying it), then grid-charge in its cheapest earlier intervals, one at a time, until it is met
  // or nothing before it can change any more.
  const hopeless = new Set<number>();
  for (let round = 0; round < 2 * p.n + 2; round++) {
    const short = targetShortfalls(p, storedEnergy(p, d));
    const i = short.findIndex((kwh, k) => kwh > 1e-6 && !hopeless.has(k));
    if (i < 0) break;
    const target = p.energyTargets[i]!;
    let changed = false;
    for (let t = 0; t < target.index; t++) {
      if (forced[t] === null && target.batteries.some((k) => d.dischargeKw[k]![t]! > 1e-9)) {
        forced[t] = 'no_discharge';
        changed = true;
      }
    }
    if (!changed && p.allowGridCharging) {
      let cheapest = -1;
      for (let t = 0; t < target.index; t++) {
        if (forced[t] === 'charge') continue;
        if (cheapest < 0 || (p.importPrice[t] ?? 0) < (p.importPrice[cheapest] ?? 0)) cheapest = t;
      }
      if (cheapest >= 0) {
        forced[cheapest] = 'charge';
        changed = true;
      }
    }
    if (!changed) hopeless.add(i);
    else d = greedyPass(p, forced);
  }
  return d;
}

/** What an energy target imposes on an interval of the greedy plan. */
type Forced = 'charge' | 'no_discharge' | null;

function greedyPass(p: PlanningProblem, forced: readonly Forced[]): Dispatch {
  const d = emptyDispatch(p);
  cheapestEvCharging(p, d);
  cheapestDeferrables(p, d);
  if (p.deferrables.length > 0 && d.deferrableKw.every((row) => row.every((v) => v === 0))) earliestDeferrables(p, d);
  const low = quantile(p.importPrice, 0.25);
  const high = quantile(p.importPrice, 0.75);
  const stored = p.batteries.map((b) => b.initialKwh);
  const roundTrip = p.batteries.length > 0 ? p.batteries[0]!.chargeEfficiency * p.batteries[0]!.dischargeEfficiency : 1;
  const cycle = p.batteries[0]?.cycleCostPerKwh ?? 0;
  for (let t = 0; t < p.n; t++) {
    const ip = p.importPrice[t] ?? 0;
    const ep = p.exportPrice[t] ?? 0;
    let target: number | null = null;
    if (p.allowGridCharging && ip <= low && ip / roundTrip + cycle < high) {
      target = -p.batteries.reduce((s, b) => s + b.maxChargeKw, 0);
    } else if (p.allowBatteryExport && ep >= high && ep > low / roundTrip + cycle) {
      target = p.batteries.reduce((s, b) => s + (b.station ? (b.station.dischargeCapKw[t] ?? 0) : b.maxDischargeKw), 0);
    }
    let houseNow = (p.loadKw[t] ?? 0) + d.evKw[t]! - (p.solarKw[t] ?? 0);
    for (const row of d.deferrableKw) houseNow += row[t]!;
    if (forced[t] === 'charge') target = -p.batteries.reduce((s, b) => s + b.maxChargeKw, 0);
    else if (forced[t] === 'no_discharge') target = Math.min(target ?? 0, Math.min(0, houseNow));
    if (target !== null) {
      // Keep inside the grid caps: never import or export more than allowed to move the battery.
      if (target < 0 && p.maxImportKw !== null) target = Math.max(target, -(p.maxImportKw - houseNow));
      if (target > 0 && p.maxExportKw !== null) target = Math.min(target, p.maxExportKw + houseNow);
      target = target < 0 ? Math.min(0, target) : Math.max(0, target);
    }
    settleInterval(p, d, t, stored, target);
  }
  return d;
}
