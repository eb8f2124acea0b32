import type { Plan } from './plan.js';

const pad = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
const kw = (v: number): string => v.toFixed(2);

/** The plan as a fixed-width text table for terminals (`sps plan` without --json). */
export function formatPlanTable(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`status: ${plan.status}   solver: ${plan.solver}   solve: ${plan.solve_ms} ms`);
  if (plan.reason) lines.push(`reason: ${plan.reason}`);
  if (plan.objective !== null) {
    const c = plan.currency;
    lines.push(
      `cost: ${plan.cost?.toFixed(4)} ${c}   objective: ${plan.objective.toFixed(4)} ${c}   ` +
        `baseline: ${plan.baseline_objective?.toFixed(4)} ${c}   savings: ${plan.savings?.toFixed(4)} ${c}`,
    );
  }
  const og = plan.off_grid;
  if (og) {
    lines.push(
      `off-grid: reserve ${kw(og.reserve_kwh)} kWh   lowest ${kw(og.min_stored_kwh)} kWh at ${og.min_stored_at}   ` +
        `unserved ${kw(og.unserved_kwh)} kWh${og.first_unserved_at ? ` from ${og.first_unserved_at}` : ''}   ` +
        `loads ${kw(og.deferrable_kwh)} kWh   curtailed ${kw(og.curtailed_kwh)} kWh`,
    );
  }
  if (plan.intervals.length === 0) return lines.join('\n') + '\n';
  const header = ['start', 'action', 'chg kW', 'dis kW', 'imp kW', 'exp kW', 'curt kW', 'ev kW', 'soc %', 'reason'];
  const widths = [20, 16, 7, 7, 7, 7, 7, 6, 6, 0];
  lines.push(header.map((h, i) => (widths[i] ? pad(h, widths[i]!) : h)).join(' '));
  for (const iv of plan.intervals) {
    const cells = [
      iv.start.replace(':00.000Z', 'Z'),
      iv.action,
      kw(iv.battery_charge_kw),
      kw(iv.battery_discharge_kw),
      kw(iv.grid_import_kw),
      kw(iv.grid_export_kw),
      kw(iv.curtail_kw),
      kw(iv.ev_kw),
      iv.soc_pct.toFixed(1),
      iv.reason,
    ];
    lines.push(cells.map((c, i) => (widths[i] ? pad(c, widths[i]!) : c)).join(' '));
  }
  return lines.join('\n') + '\n';
}
