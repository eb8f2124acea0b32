import type { Highs } from 'highs';
import { solveWithHighs } from './highs-solve.js';
import { buildBatteryLpModel } from './lp-model.js';
import { formatClock } from './price-format.js';
import { dischargeCapKw, privatePvKw, type PlanningProblem } from './problem.js';

const num = (v: number): string => String(Math.round(v * 1000) / 1000);

/** Reasons a scenario cannot be planned that are visible without solving anything. */
export function obviousInfeasibility(p: PlanningProblem, timeZone: string): string | null {
  const at = (t: number): string =>
    `interval ${t} (${formatClock(p.startMs + t * p.intervalMinutes * 60_000, timeZone)})`;
  const plainBatteries = p.batteries.filter((b) => !b.station).length;
  const battField = (k: number): string =>
    p.batteries[k]?.station ? 'station' : plainBatteries > 1 ? `battery[${k}]` : 'battery';
  if (p.ev && p.ev.energyNeededKwh > 0) {
    const ev = p.ev;
    let deliverable = 0;
    for (let t = 0; t < ev.deadlineIndex; t++) {
      const max = ev.maxKw[t] ?? 0;
      if (max > 0 && max >= ev.minKw) deliverable += max * ev.chargeEfficiency * p.hours;
    }
    if (ev.energyNeededKwh > deliverable + 1e-9) {
      return (
        `ev.energy_needed_kwh: ${num(ev.energyNeededKwh)} kWh are needed before interval ${ev.deadlineIndex} ` +
        `(ev.deadline_index) but ev.max_kw × ev.charge_efficiency allows at most ${num(deliverable)} kWh`
      );
    }
  }
  for (const [k, d] of p.deferrables.entries()) {
    let window = 0;
    for (let t = d.startIndex; t < d.endIndex; t++) if (!p.deferrableBlocked[t]) window += 1;
    if (d.runIntervals > window && !p.offGrid) {
      const excluded = window < d.endIndex - d.startIndex ? ' outside deferrable_exclusions' : '';
      return `deferrable_loads[${k}]: "${d.name}" must run ${d.runIntervals} intervals but its window has only ${window}${excluded}`;
    }
  }
  for (const [k, b] of p.batteries.entries()) {
    const h = p.hours;
    if (b.initialKwh + (b.maxChargeKw + privatePvKw(b, 0)) * b.chargeEfficiency * h < b.minKwh - 1e-9) {
      return `${battField(k)}.soc_pct: below min_soc_pct and the battery cannot charge up to it within the first interval`;
    }
    if (b.initialKwh - (dischargeCapKw(b, 0) / b.dischargeEfficiency) * h > b.maxKwh + 1e-9) {
      return `${battField(k)}.soc_pct: above max_soc_pct and the battery cannot discharge down to it within the first interval`;
    }
  }
  const maxDischarge = p.batteries.reduce((s, b) => s + b.maxDischargeKw, 0);
  const maxCharge = p.batteries.reduce((s, b) => s + b.maxChargeKw, 0);
  for (let t = 0; t < p.n; t++) {
    const load = p.loadKw[t] ?? 0;
    const solar = p.solarKw[t] ?? 0;
    if (p.maxImportKw !== null && load > solar + p.maxImportKw + maxDischarge + 1e-9) {
      return `grid.max_import_kw: at ${at(t)} the load of ${num(load)} kW exceeds solar + ${num(p.maxImportKw)} kW import + battery discharge`;
    }
    if (!p.allowCurtailment && p.maxExportKw !== null) {
      let sinks = p.maxExportKw + maxCharge + (p.ev?.maxKw[t] ?? 0);
      for (const d of p.deferrables) if (t >= d.startIndex && t < d.endIndex) sinks += d.powerKw;
      if (solar - load > sinks + 1e-9) {
        return `allow_curtailment: false, but at ${at(t)} ${num(solar - load)} kW of solar surplus exceeds grid.max_export_kw + battery charging`;
      }
    }
  }
  return null;
}

/**
 * After the solver proved infeasibility: names the requirement without which the problem becomes
 * solvable (the EV's energy, a deferrable load), else the limits in general.
 */
export function explainInfeasibility(highs: Highs, p: PlanningProblem): string {
  const feasibleWithout = (q: PlanningProblem): boolean => {
    const off = q.importPrice.map(() => false);
    const model = buildBatteryLpModel(q, {
      chargeModeBinary: q.batteries.map(() => off),
      importModeBinary: off,
      evBinary: off,
      deferrableInteger: q.deferrables.map(() => off),
    });
    const out = solveWithHighs(highs, model.lp, { timeLimitSeconds: 10, mipRelGap: 1e-3, mipAbsGap: 1e-3 });
    return out.kind === 'optimal';
  };
  if (p.ev && p.ev.energyNeededKwh > 0 && feasibleWithout({ ...p, ev: { ...p.ev, energyNeededKwh: 0 } })) {
    return (
      `ev.energy_needed_kwh: ${num(p.ev.energyNeededKwh)} kWh cannot be delivered before interval ` +
      `${p.ev.deadlineIndex} within the grid import cap and the other demands`
    );
  }
  for (const [k, d] of p.deferrables.entries()) {
    const others = p.deferrables.filter((_, i) => i !== k);
    if (feasibleWithout({ ...p, deferrables: others })) {
      return `deferrable_loads[${k}]: "${d.name}" cannot run its ${d.runIntervals} intervals within the grid import cap and the other demands`;
    }
  }
  return 'no plan satisfies every limit (battery SOC and power, grid caps, allow_* settings, EV and deferrable requirements) over the horizon';
}
