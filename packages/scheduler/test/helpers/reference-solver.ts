/**
 * An independent formulation of the scenario contract for javascript-lp-solver, written from the
 * issue's text: stored energy as cumulative sums (no state variables), exclusivity binaries in
 * EVERY interval (charge/discharge per battery, import/export) and an on/off binary for every EV
 * interval. Only for small horizons: it is an exact but slow branch and bound.
 */
import solver, { type Model } from 'javascript-lp-solver';
import { Scenario } from '../../src/index';

export interface ReferenceResult {
  readonly feasible: boolean;
  readonly objective: number;
}

export function referenceOptimum(input: unknown): ReferenceResult {
  const s = Scenario.parse(input);
  const n = s.prices.import.length;
  const h = s.interval_minutes / 60;
  const batteries = s.battery === undefined ? [] : Array.isArray(s.battery) ? s.battery : [s.battery];
  const constraints: Model['constraints'] = {};
  const variables: Model['variables'] = {};
  const binaries: Record<string, 1> = {};
  const v = (name: string): Record<string, number> => (variables[name] ??= {});
  const bigImport = 1e3;
  const bigExport = 1e3;

  for (let t = 0; t < n; t++) {
    const bal = `bal${t}`;
    constraints[bal] = { equal: s.load_kw[t]! - s.solar_kw[t]! };
    v(`imp${t}`)[bal] = 1;
    v(`imp${t}`).cost = s.prices.import[t]! * h;
    v(`exp${t}`)[bal] = -1;
    v(`exp${t}`).cost = -s.prices.export[t]! * h;
    v(`cur${t}`)[bal] = -1;
    v(`cur${t}`)[`curmax${t}`] = 1;
    constraints[`curmax${t}`] = { max: s.allow_curtailment ? s.solar_kw[t]! : 0 };
    if (s.grid.max_import_kw !== null) {
      constraints[`impmax${t}`] = { max: s.grid.max_import_kw };
      v(`imp${t}`)[`impmax${t}`] = 1;
    }
    if (s.grid.max_export_kw !== null) {
      constraints[`expmax${t}`] = { max: s.grid.max_export_kw };
      v(`exp${t}`)[`expmax${t}`] = 1;
    }
    // import ≤ M·w, export ≤ M·(1 − w)
    constraints[`iw${t}`] = { max: 0 };
    constraints[`ew${t}`] = { max: bigExport };
    v(`imp${t}`)[`iw${t}`] = 1;
    v(`exp${t}`)[`ew${t}`] = 1;
    v(`w${t}`)[`iw${t}`] = -bigImport;
    v(`w${t}`)[`ew${t}`] = bigExport;
    binaries[`w${t}`] = 1;
    const surplus = Math.max(0, s.solar_kw[t]! - s.load_kw[t]!);
    if (!s.allow_grid_charging) {
      constraints[`nogc${t}`] = { max: surplus };
      v(`cur${t}`)[`nogc${t}`] = 1;
    }
    if (!s.allow_battery_export) {
      constraints[`nobe${t}`] = { max: surplus };
      v(`cur${t}`)[`nobe${t}`] = 1;
      v(`exp${t}`)[`nobe${t}`] = 1;
    }
    batteries.forEach((b, k) => {
      const c = `c${k}_${t}`;
      const d = `d${k}_${t}`;
      const z = `z${k}_${t}`;
      v(c)[bal] = -1;
      v(d)[bal] = 1;
      v(d).cost = b.cycle_cost_per_kwh * h;
      constraints[`cz${k}_${t}`] = { max: 0 };
      constraints[`dz${k}_${t}`] = { max: b.max_discharge_kw };
      v(c)[`cz${k}_${t}`] = 1;
      v(z)[`cz${k}_${t}`] = -b.max_charge_kw;
      v(d)[`dz${k}_${t}`] = 1;
      v(z)[`dz${k}_${t}`] = b.max_discharge_kw;
      binaries[z] = 1;
      if (!s.allow_grid_charging) v(c)[`nogc${t}`] = 1;
      // Stored energy after interval u ≥ t includes this interval's flows.
      const e0 = (b.soc_pct / 100) * b.capacity_kwh;
      for (let u = t; u < n; u++) {
        const row = `soc${k}_${u}`;
        constraints[row] ??= {
          min: (b.min_soc_pct / 100) * b.capacity_kwh - e0,
          max: (b.max_soc_pct / 100) * b.capacity_kwh - e0,
        };
        v(c)[row] = b.charge_efficiency * h;
        v(d)[row] = -h / b.discharge_efficiency;
      }
      // Terminal value of the change of stored energy.
      v(c).cost = (v(c).cost ?? 0) - s.terminal_energy_value_per_kwh * b.charge_efficiency * h;
      v(d).cost = (v(d).cost ?? 0) + (s.terminal_energy_value_per_kwh * h) / b.discharge_efficiency;
      constraints[`cmax${k}_${t}`] = { max: b.max_charge_kw };
      v(c)[`cmax${k}_${t}`] = 1;
    });
    const st = s.station;
    if (st) {
      // The station: grid charge g through P1 (0 or P when on/off), discharge q into the P2 load
      // only, PV p at P4 that never reaches the bus; one binary y per interval: charging or not.
      const g = `sg${t}`;
      const q = `sq${t}`;
      const pv = `sp${t}`;
      const y = `sy${t}`;
      v(g)[bal] = -1;
      v(q)[bal] = 1;
      v(q).cost = st.cycle_cost_per_kwh * h;
      constraints[`sgy${t}`] = st.grid_charge_mode === 'on_off' ? { equal: 0 } : { max: 0 };
      v(g)[`sgy${t}`] = 1;
      v(y)[`sgy${t}`] = -st.grid_charge_kw;
      const cap = Math.min(st.max_discharge_kw, st.p2_load_kw[t]!);
      constraints[`sqy${t}`] = { max: cap };
      v(q)[`sqy${t}`] = 1;
      v(y)[`sqy${t}`] = cap;
      binaries[y] = 1;
      constraints[`spmax${t}`] = { max: st.pv_kw?.[t] ?? 0 };
      v(pv)[`spmax${t}`] = 1;
      if (!s.allow_grid_charging) v(g)[`nogc${t}`] = 1;
      const e0 = (st.soc_pct / 100) * st.capacity_kwh;
      for (let u = t; u < n; u++) {
        const row = `ssoc${u}`;
        constraints[row] ??= {
          min: (st.min_soc_pct / 100) * st.capacity_kwh - e0,
          max: (st.max_soc_pct / 100) * st.capacity_kwh - e0,
        };
        v(g)[row] = st.charge_efficiency * h;
        v(pv)[row] = st.charge_efficiency * h;
        v(q)[row] = -h / st.discharge_efficiency;
      }
      const tv = s.terminal_energy_value_per_kwh;
      v(g).cost = (v(g).cost ?? 0) - tv * st.charge_efficiency * h;
      v(pv).cost = (v(pv).cost ?? 0) - tv * st.charge_efficiency * h;
      v(q).cost = (v(q).cost ?? 0) + (tv * h) / st.discharge_efficiency;
    }
    if (s.ev) {
      const ev = `ev${t}`;
      const on = `evon${t}`;
      v(ev)[bal] = -1;
      constraints[`evhi${t}`] = { max: 0 };
      constraints[`evlo${t}`] = { min: 0 };
      v(ev)[`evhi${t}`] = 1;
      v(on)[`evhi${t}`] = -s.ev.max_kw[t]!;
      v(ev)[`evlo${t}`] = 1;
      v(on)[`evlo${t}`] = -s.ev.min_kw;
      binaries[on] = 1;
      if (t < s.ev.deadline_index) {
        constraints.evneed = { min: s.ev.energy_needed_kwh };
        v(ev).evneed = s.ev.charge_efficiency * h;
      }
    }
  }
  if (s.ev && s.ev.energy_needed_kwh > 0 && !constraints.evneed) return { feasible: false, objective: NaN };
  s.deferrable_loads.forEach((d, k) => {
    const runs = Math.ceil(
      (d.run_minutes !== undefined ? d.run_minutes / s.interval_minutes : d.energy_kwh! / (d.power_kw * h)) - 1e-9,
    );
    constraints[`def${k}`] = { equal: runs };
    for (let t = d.start_index; t < d.end_index; t++) {
      const on = `def${k}_${t}`;
      v(on)[`def${k}`] = 1;
      v(on)[`bal${t}`] = -d.power_kw;
      binaries[on] = 1;
    }
  });
  if (s.demand_charge) {
    v('peak').cost = s.demand_charge.cost_per_kw;
    constraints.peakfloor = { min: s.demand_charge.peak_so_far_kw };
    v('peak').peakfloor = 1;
    for (let t = 0; t < n; t++) {
      if (!s.demand_charge.windows.some((w) => t >= w.start_index && t < w.end_index)) continue;
      constraints[`pk${t}`] = { min: 0 };
      v('peak')[`pk${t}`] = 1;
      v(`imp${t}`)[`pk${t}`] = -1;
    }
  }
  // The contract's objective: cost − terminal value × Δstored; the Δstored terms are in the costs above.
  const result = solver.Solve({ optimize: 'cost', opType: 'min', constraints, variables, binaries }) as {
    feasible: boolean;
    result: number;
  };
  return { feasible: result.feasible, objective: result.result };
}
