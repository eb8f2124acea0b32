import { emptyDispatch, type Dispatch } from './dispatch.js';
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
  p.deferrables.forEach((def, k) => {
    const slots = [];
    for (let t = def.startIndex; t < def.endIndex; t++) slots.push(t);
    slots.sort((a, b) => (p.importPrice[a] ?? 0) - (p.importPrice[b] ?? 0));
    for (const t of slots.slice(0, def.runIntervals)) d.deferrableKw[k]![t] = def.powerKw;
  });
}

/**
 * The fallback when the solver fails or times out: price thresholds instead of optimisation.
 * Grid-charge in the cheapest quarter of intervals when the round trip pays against the dearest
 * quarter, export in the dearest quarter, self-consumption otherwise; EV and deferrable loads in
 * their cheapest intervals. The caller checks the result against every limit before using it.
 */
export function greedyDispatch(p: PlanningProblem): Dispatch {
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
    if (target !== null) {
      // Keep inside the grid caps: never import or export more than allowed to move the battery.
      let houseNet = (p.loadKw[t] ?? 0) + d.evKw[t]! - (p.solarKw[t] ?? 0);
      for (const row of d.deferrableKw) houseNet += row[t]!;
      if (target < 0 && p.maxImportKw !== null) target = Math.max(target, -(p.maxImportKw - houseNet));
      if (target > 0 && p.maxExportKw !== null) target = Math.min(target, p.maxExportKw + houseNet);
      target = target < 0 ? Math.min(0, target) : Math.max(0, target);
    }
    settleInterval(p, d, t, stored, target);
  }
  return d;
}
