/**
 * An independent off-grid reference, written from the brief: every on/off pattern of ONE deferrable
 * load is enumerated (brute force over the integer decisions), and for each pattern the rest is a
 * small LP in javascript-lp-solver with stored energy as cumulative sums (no state variables, no
 * exclusivity binaries: burning energy never pays off-grid, where every kWh has a positive value).
 * One battery; only for small horizons (2^n patterns).
 */
import solver, { type Model } from 'javascript-lp-solver';
import { OFF_GRID_HOLD_VALUE, Scenario } from '../../src/index';

const HOLD = OFF_GRID_HOLD_VALUE;

export interface OffGridReference {
  /** The penalised objective: −stored value × Δstored + cycle cost + unserved + reserve − load value. */
  readonly objective: number;
  readonly pattern: readonly boolean[];
}

export function offGridReference(input: unknown): OffGridReference {
  const s = Scenario.parse(input);
  const n = s.prices.import.length;
  const h = s.interval_minutes / 60;
  const b = s.battery as Exclude<Scenario['battery'], unknown[] | undefined>;
  const og = s.off_grid!;
  const def = s.deferrable_loads[0]!;
  const runs = Math.ceil(def.run_minutes! / s.interval_minutes - 1e-9);
  const e0 = (b.soc_pct / 100) * b.capacity_kwh;
  const floor = (b.min_soc_pct / 100) * b.capacity_kwh;
  const ceiling = (b.max_soc_pct / 100) * b.capacity_kwh;
  const reserve = Math.max(floor, ((og.reserve_soc_pct ?? b.min_soc_pct) / 100) * b.capacity_kwh);
  const R = og.reserve_penalty_per_kwh!;
  const uLast = og.unserved_penalty_per_kwh!;
  const T = og.stored_value_per_kwh!;
  const L = og.load_value_per_kwh!;

  let best: OffGridReference | null = null;
  for (let mask = 0; mask < 1 << n; mask++) {
    const on = Array.from({ length: n }, (_, t) => ((mask >> t) & 1) === 1);
    if (on.some((v, t) => v && (t < def.start_index || t >= def.end_index))) continue;
    if (on.filter(Boolean).length > runs) continue;
    const constraints: Model['constraints'] = {};
    const variables: Model['variables'] = {};
    const v = (name: string): Record<string, number> => (variables[name] ??= {});
    for (let t = 0; t < n; t++) {
      const demand = s.load_kw[t]! + (on[t] ? def.power_kw : 0);
      // solar − cur + d + u − c = demand
      constraints[`bal${t}`] = { equal: demand - s.solar_kw[t]! };
      v(`d${t}`)[`bal${t}`] = 1;
      v(`u${t}`)[`bal${t}`] = 1;
      v(`c${t}`)[`bal${t}`] = -1;
      v(`cur${t}`)[`bal${t}`] = -1;
      constraints[`curmax${t}`] = { max: s.solar_kw[t]! };
      v(`cur${t}`)[`curmax${t}`] = 1;
      constraints[`umax${t}`] = { max: s.load_kw[t]! };
      v(`u${t}`)[`umax${t}`] = 1;
      constraints[`cmax${t}`] = { max: b.max_charge_kw };
      v(`c${t}`)[`cmax${t}`] = 1;
      constraints[`dmax${t}`] = { max: b.max_discharge_kw };
      v(`d${t}`)[`dmax${t}`] = 1;
      // Stored at the end of t as a cumulative sum: e0 + Σ_{s≤t} (ηc·c_s − d_s/ηd)·h.
      constraints[`emin${t}`] = { min: floor - e0 };
      constraints[`emax${t}`] = { max: ceiling - e0 };
      constraints[`res${t}`] = { min: reserve - e0 };
      for (let k = 0; k <= t; k++) {
        for (const row of [`emin${t}`, `emax${t}`, `res${t}`]) {
          v(`c${k}`)[row] = b.charge_efficiency * h;
          v(`d${k}`)[row] = -h / b.discharge_efficiency;
        }
      }
      v(`r${t}`)[`res${t}`] = 1;
      v(`r${t}`).cost = R;
      v(`u${t}`).cost = (uLast + 2 * R * (n - 1 - t)) * h;
      // Stored value at the end: −T·Δstored = −T·Σ(ηc·c − d/ηd)·h; plus the cycle cost; plus the hold
      // value −H·h·Σ_t stored_t, where a flow at k stays stored for the n − k interval ends from k on.
      const heldFor = (n - t) * HOLD * h;
      v(`c${t}`).cost = -(T + heldFor) * b.charge_efficiency * h;
      v(`d${t}`).cost = ((T + heldFor) / b.discharge_efficiency + b.cycle_cost_per_kwh) * h;
      v(`cur${t}`).cost = 0;
    }
    const model: Model = { optimize: 'cost', opType: 'min', constraints, variables };
    const out = solver.Solve(model) as { feasible: boolean; result: number };
    if (!out.feasible) continue;
    const value = out.result - HOLD * h * n * e0 - L * def.power_kw * h * on.filter(Boolean).length;
    if (!best || value < best.objective) best = { objective: value, pattern: on };
  }
  if (!best) throw new Error('no feasible pattern (the off-grid model is always feasible)');
  return best;
}
