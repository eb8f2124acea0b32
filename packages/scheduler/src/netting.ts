import { solarSurplusKw, type PlanningProblem } from './problem.js';
import type { Dispatch } from './dispatch.js';

const EPS = 1e-7;

export interface NettingResult {
  /** Intervals where a battery still charges and discharges at once: netting them out would cost money. */
  readonly unresolvedChargeDischarge: { battery: number; t: number }[];
  readonly unresolvedImportExport: number[];
}

/**
 * The LP without exclusivity binaries may charge and discharge one battery (or import and export)
 * in the same interval where that is free, i.e. at a tie. Netting such flows never raises the
 * objective when it can be done as below, so the netted dispatch is still optimal; where it cannot
 * (the simultaneous flow is how the LP earns money, e.g. burning energy at a negative price), the
 * interval is reported and the caller adds a binary there and solves again.
 * Mutates `d` in place.
 */
export function netSimultaneousFlows(p: PlanningProblem, d: Dispatch): NettingResult {
  const unresolvedChargeDischarge: { battery: number; t: number }[] = [];
  const unresolvedImportExport: number[] = [];
  for (let t = 0; t < p.n; t++) {
    p.batteries.forEach((b, k) => {
      const c = d.chargeKw[k]![t]!;
      const dis = d.dischargeKw[k]![t]!;
      if (c <= EPS || dis <= EPS) return;
      // An on/off station is exclusive by its binary; shaving its charge would break the fixed power.
      if (b.station?.gridChargeMode === 'on_off') return;
      // Remove y kW of discharge and x kW of charge that leave stored energy unchanged: x·ηc = y/ηd.
      const eta = b.chargeEfficiency * b.dischargeEfficiency;
      const y = Math.min(dis, c * eta);
      const x = y / eta;
      let surplus = x - y; // power the bus now has spare
      let imp = d.gridImportKw[t]!;
      let exp = d.gridExportKw[t]!;
      let cur = d.curtailKw[t]!;
      if (surplus > 0 && (p.importPrice[t] ?? 0) >= 0) {
        const r = Math.min(imp, surplus);
        imp -= r;
        surplus -= r;
      }
      const exportSlack = (): number => {
        let s = p.maxExportKw === null ? Infinity : p.maxExportKw - exp;
        if (!p.allowBatteryExport) s = Math.min(s, solarSurplusKw(p, t) - exp - cur);
        return Math.max(0, s);
      };
      if (surplus > 0 && (p.exportPrice[t] ?? 0) >= 0 && imp <= EPS) {
        const r = Math.min(exportSlack(), surplus);
        exp += r;
        surplus -= r;
      }
      if (surplus > 0 && p.allowCurtailment) {
        let room = (p.solarKw[t] ?? 0) - cur;
        if (!p.allowBatteryExport) room = Math.min(room, solarSurplusKw(p, t) - exp - cur);
        const r = Math.max(0, Math.min(room, surplus));
        cur += r;
        surplus -= r;
      }
      if (surplus > EPS) {
        unresolvedChargeDischarge.push({ battery: k, t });
        return;
      }
      d.chargeKw[k]![t] = c - x;
      d.dischargeKw[k]![t] = dis - y;
      d.gridImportKw[t] = imp;
      d.gridExportKw[t] = exp;
      d.curtailKw[t] = cur;
    });
    const imp = d.gridImportKw[t]!;
    const exp = d.gridExportKw[t]!;
    if (imp > EPS && exp > EPS) {
      // Netting lowers import and export alike: it saves (import − export price) per kWh and lowers any peak.
      if ((p.exportPrice[t] ?? 0) <= (p.importPrice[t] ?? 0)) {
        const m = Math.min(imp, exp);
        d.gridImportKw[t] = imp - m;
        d.gridExportKw[t] = exp - m;
      } else unresolvedImportExport.push(t);
    }
  }
  return { unresolvedChargeDischarge, unresolvedImportExport };
}
