import type { Dispatch, OffGridTerms } from './dispatch.js';
import { formatClock } from './price-format.js';
import type { PlanningProblem } from './problem.js';

const KW = 0.05;
const f2 = (v: number): string => v.toFixed(2);

/**
 * Off-grid reasons, one per interval: what keeps the house powered now, in the order that matters
 * to the owner — the house going dark, the reserve touched, a load switched, the battery's role.
 * The words about loads are what the panel and HA show for a load switching decision.
 */
export function explainOffGrid(
  p: PlanningProblem,
  d: Dispatch,
  stored: readonly (readonly number[])[],
  terms: OffGridTerms,
  timeZone: string,
): string[] {
  const off = p.offGrid!;
  const at = (t: number): string => formatClock(p.startMs + t * p.intervalMinutes * 60_000, timeZone);
  const total = (t: number): number => stored.reduce((s, row) => s + (row[t] ?? 0), 0);
  /** The lowest planned stored energy from t on, and when: what the night will take the battery to. */
  const lowestAfter = (t: number): { kwh: number; t: number } => {
    let best = { kwh: Infinity, t };
    for (let i = t; i < p.n; i++) if (total(i) < best.kwh) best = { kwh: total(i), t: i };
    return best;
  };
  const reasons: string[] = [];
  for (let t = 0; t < p.n; t++) {
    const unserved = d.unservedKw[t]!;
    const short = terms.reserveShortfallKwh[t] ?? 0;
    const running = p.deferrables.flatMap((def, k) => (d.deferrableKw[k]![t]! > 1e-6 ? [def.name] : []));
    const charge = d.chargeKw.reduce((s, row) => s + row[t]!, 0);
    const discharge = d.dischargeKw.reduce((s, row) => s + row[t]!, 0);
    const curtail = d.curtailKw[t]!;
    if (unserved > 1e-6) {
      reasons.push(
        `off-grid: ${f2(unserved)} kW of the house's load cannot be served (battery at its floor, not enough sun)`,
      );
      continue;
    }
    if (short > 1e-6) {
      reasons.push(`off-grid: battery ${f2(short)} kWh below its reserve to keep the house powered`);
      continue;
    }
    if (running.length > 0) {
      const names = running.join(' and ');
      reasons.push(
        curtail > KW || charge > KW || discharge <= KW
          ? `off-grid: ${names} on: PV surplus that would otherwise be curtailed`
          : `off-grid: ${names} on: the battery stays above its reserve through ${at(lowestAfter(t).t + 1)}`,
      );
      continue;
    }
    const waiting = p.deferrables.filter((def) => t >= def.startIndex && t < def.endIndex).map((def) => def.name);
    if (charge > KW) {
      reasons.push(
        curtail > KW
          ? `off-grid: storing ${f2(charge)} kW of PV, ${f2(curtail)} kW curtailed`
          : `off-grid: storing ${f2(charge)} kW of PV` +
              (waiting.length > 0 ? ` (${waiting.join(', ')} off: no surplus beyond what the battery needs)` : ''),
      );
      continue;
    }
    if (discharge > KW) {
      const low = lowestAfter(t);
      reasons.push(
        `off-grid: battery covers ${f2(discharge)} kW; lowest ${f2(low.kwh)} kWh at ${at(low.t + 1)} (reserve ${f2(off.reserveKwh)} kWh)` +
          (waiting.length > 0 ? `; ${waiting.join(', ')} off: the night needs the battery` : ''),
      );
      continue;
    }
    if (curtail > KW) {
      const full = p.batteries.every((b, k) => (stored[k]?.[t] ?? 0) >= b.maxKwh - 1e-3);
      reasons.push(
        full
          ? `off-grid: battery full, ${f2(curtail)} kW of PV curtailed`
          : `off-grid: ${f2(curtail)} kW of PV curtailed (nothing can take it now)`,
      );
      continue;
    }
    reasons.push('off-grid: PV covers the house');
  }
  return reasons;
}
