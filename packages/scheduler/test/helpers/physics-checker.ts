/**
 * An independent check of a plan against the scenario contract, written from the text and
 * sharing no code with the model builder: power balance and every bound to 1 W, the SOC
 * trajectory re-simulated from the planned powers, the allow_* rules, the EV and deferrable
 * requirements, no simultaneous charge+discharge or import+export, and cost/objective recomputed.
 */
import { Scenario, type Plan } from '../../src/index';

const W = 1e-3; // 1 W in kW
const KWH = 1e-4;

export function checkPlanPhysics(input: unknown, plan: Plan): string[] {
  const s = Scenario.parse(input);
  const problems: string[] = [];
  const fail = (m: string): void => void problems.push(m);
  const n = s.prices.import.length;
  const h = s.interval_minutes / 60;
  const batteries = s.battery === undefined ? [] : Array.isArray(s.battery) ? s.battery : [s.battery];
  const st = s.station;
  if (plan.intervals.length !== n) return [`expected ${n} intervals, got ${plan.intervals.length}`];
  const stored = batteries.map((b) => (b.soc_pct / 100) * b.capacity_kwh);
  // The power station is listed after the batteries, with its own rules (P1 on/off, P2 cap, P4 PV).
  if (st) stored.push((st.soc_pct / 100) * st.capacity_kwh);
  const initial = stored.reduce((a, b) => a + b, 0);
  let cost = 0;
  let evDelivered = 0;
  let peak = s.demand_charge?.peak_so_far_kw ?? 0;
  plan.intervals.forEach((iv, t) => {
    const solar = s.solar_kw[t]!;
    const load = s.load_kw[t]!;
    const surplus = Math.max(0, solar - load);
    const deferrable = iv.deferrable_kw;
    // solar − curtail + import + discharge = load + ev + deferrable + export + charge
    const lhs = solar - iv.curtail_kw + iv.grid_import_kw + iv.battery_discharge_kw;
    const rhs = load + iv.ev_kw + deferrable + iv.grid_export_kw + iv.battery_charge_kw;
    if (Math.abs(lhs - rhs) > W) fail(`t=${t}: balance off by ${(lhs - rhs).toFixed(6)} kW`);
    for (const [name, v] of Object.entries({
      import: iv.grid_import_kw,
      export: iv.grid_export_kw,
      curtail: iv.curtail_kw,
      ev: iv.ev_kw,
    })) {
      if (v < -W) fail(`t=${t}: ${name} negative`);
    }
    if (iv.grid_import_kw > W && iv.grid_export_kw > W) fail(`t=${t}: import and export at once`);
    if (s.grid.max_import_kw !== null && iv.grid_import_kw > s.grid.max_import_kw + W) fail(`t=${t}: import cap`);
    if (s.grid.max_export_kw !== null && iv.grid_export_kw > s.grid.max_export_kw + W) fail(`t=${t}: export cap`);
    if (iv.curtail_kw > (s.allow_curtailment ? solar : 0) + W) fail(`t=${t}: curtailment`);
    if (!s.allow_grid_charging && iv.battery_charge_kw + iv.curtail_kw > surplus + W) fail(`t=${t}: grid charging`);
    if (!s.allow_battery_export && iv.grid_export_kw + iv.curtail_kw > surplus + W) fail(`t=${t}: battery export`);
    let chargeSum = 0;
    let dischargeSum = 0;
    batteries.forEach((b, k) => {
      const bi = iv.batteries[k]!;
      chargeSum += bi.charge_kw;
      dischargeSum += bi.discharge_kw;
      if (bi.charge_kw < -W || bi.charge_kw > b.max_charge_kw + W) fail(`t=${t}: battery ${k} charge bound`);
      if (bi.discharge_kw < -W || bi.discharge_kw > b.max_discharge_kw + W)
        fail(`t=${t}: battery ${k} discharge bound`);
      if (bi.charge_kw > W && bi.discharge_kw > W) fail(`t=${t}: battery ${k} charges and discharges at once`);
      stored[k] = stored[k]! + (bi.charge_kw * b.charge_efficiency - bi.discharge_kw / b.discharge_efficiency) * h;
      const min = (b.min_soc_pct / 100) * b.capacity_kwh;
      const max = (b.max_soc_pct / 100) * b.capacity_kwh;
      if (stored[k]! < min - KWH || stored[k]! > max + KWH) fail(`t=${t}: battery ${k} SOC out of bounds`);
      if (Math.abs((100 * stored[k]!) / b.capacity_kwh - bi.soc_pct) > 1e-3)
        fail(`t=${t}: battery ${k} soc_pct mismatch`);
      cost += b.cycle_cost_per_kwh * bi.discharge_kw * h;
    });
    if (st) {
      const k = batteries.length;
      const bi = iv.batteries[k];
      if (!bi || bi.name !== st.name) fail(`t=${t}: station missing from batteries`);
      else {
        chargeSum += bi.charge_kw;
        dischargeSum += bi.discharge_kw;
        const pv = bi.pv_kw ?? NaN;
        if (bi.charge_kw < -W || bi.charge_kw > st.grid_charge_kw + W) fail(`t=${t}: station charge bound`);
        if (st.grid_charge_mode === 'on_off' && bi.charge_kw > W && Math.abs(bi.charge_kw - st.grid_charge_kw) > W)
          fail(`t=${t}: station grid charging ${bi.charge_kw} kW is neither 0 nor ${st.grid_charge_kw}`);
        const cap = Math.min(st.max_discharge_kw, st.p2_load_kw[t]!);
        if (bi.discharge_kw < -W || bi.discharge_kw > cap + W) fail(`t=${t}: station discharge above the P2 load`);
        if (!(pv >= -W && pv <= (st.pv_kw?.[t] ?? 0) + W)) fail(`t=${t}: station PV ${pv} out of range`);
        if (bi.charge_kw > W && bi.discharge_kw > W) fail(`t=${t}: station charges and discharges at once`);
        stored[k] =
          stored[k]! + ((bi.charge_kw + pv) * st.charge_efficiency - bi.discharge_kw / st.discharge_efficiency) * h;
        const min = (st.min_soc_pct / 100) * st.capacity_kwh;
        const max = (st.max_soc_pct / 100) * st.capacity_kwh;
        if (stored[k]! < min - KWH || stored[k]! > max + KWH) fail(`t=${t}: station SOC out of bounds`);
        if (Math.abs((100 * stored[k]!) / st.capacity_kwh - bi.soc_pct) > 1e-3)
          fail(`t=${t}: station soc_pct mismatch`);
        cost += st.cycle_cost_per_kwh * bi.discharge_kw * h;
      }
    }
    if (Math.abs(chargeSum - iv.battery_charge_kw) > W || Math.abs(dischargeSum - iv.battery_discharge_kw) > W) {
      fail(`t=${t}: battery totals`);
    }
    const totalCap = batteries.reduce((a, b) => a + b.capacity_kwh, 0) + (st?.capacity_kwh ?? 0);
    const totalStored = stored.reduce((a, b) => a + b, 0);
    if (Math.abs((100 * totalStored) / totalCap - iv.soc_pct) > 1e-3) fail(`t=${t}: soc_pct mismatch`);
    if (s.ev) {
      const max = s.ev.max_kw[t]!;
      if (iv.ev_kw > max + W) fail(`t=${t}: EV above max_kw`);
      if (iv.ev_kw > W && iv.ev_kw < s.ev.min_kw - W) fail(`t=${t}: EV below min_kw`);
      if (t < s.ev.deadline_index) evDelivered += iv.ev_kw * s.ev.charge_efficiency * h;
    } else if (Math.abs(iv.ev_kw) > W) fail(`t=${t}: EV power without EV`);
    if (s.deferrable_loads.length === 0 && Math.abs(deferrable) > W) fail(`t=${t}: deferrable power without loads`);
    cost += (s.prices.import[t]! * iv.grid_import_kw - s.prices.export[t]! * iv.grid_export_kw) * h;
    if (s.demand_charge?.windows.some((w) => t >= w.start_index && t < w.end_index))
      peak = Math.max(peak, iv.grid_import_kw);
  });
  if (s.ev && evDelivered < s.ev.energy_needed_kwh - KWH)
    fail(`EV gets ${evDelivered} kWh < ${s.ev.energy_needed_kwh}`);
  if (s.deferrable_loads.length > 0) {
    // Total deferrable energy must equal Σ power × required intervals.
    const needed = s.deferrable_loads.reduce((a, d) => {
      const runs = Math.ceil(
        (d.run_minutes !== undefined ? d.run_minutes / s.interval_minutes : d.energy_kwh! / (d.power_kw * h)) - 1e-9,
      );
      return a + runs * d.power_kw * h;
    }, 0);
    const got = plan.intervals.reduce((a, iv) => a + iv.deferrable_kw * h, 0);
    if (Math.abs(needed - got) > KWH) fail(`deferrable energy ${got} vs ${needed}`);
  }
  if (s.demand_charge) cost += s.demand_charge.cost_per_kw * peak;
  const objective = cost - s.terminal_energy_value_per_kwh * (stored.reduce((a, b) => a + b, 0) - initial);
  if (plan.cost === null || Math.abs(plan.cost - cost) > 1e-4) fail(`cost ${plan.cost} vs recomputed ${cost}`);
  if (plan.objective === null || Math.abs(plan.objective - objective) > 1e-4) {
    fail(`objective ${plan.objective} vs recomputed ${objective}`);
  }
  return problems;
}
