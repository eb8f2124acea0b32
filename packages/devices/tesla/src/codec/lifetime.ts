import type { EnergyHistory } from './responses.js';

/** Lifetime energy counters in Wh, the project's `total_increasing` readings. */
export interface LifetimeTotals {
  readonly pv_energy: number;
  readonly grid_import_energy: number;
  readonly grid_export_energy: number;
  readonly battery_charge_energy: number;
  readonly battery_discharge_energy: number;
  readonly load_energy: number;
}

const n = (v: number | null | undefined): number => (typeof v === 'number' && v > 0 ? v : 0);

/**
 * `calendar_history?kind=energy&period=lifetime` → totals: the sum over every period it returns.
 * The per-source fields are used rather than `total_*`, which Tesla leaves out of some periods.
 */
export function lifetimeTotals(history: EnergyHistory): LifetimeTotals {
  const totals = {
    pv_energy: 0,
    grid_import_energy: 0,
    grid_export_energy: 0,
    battery_charge_energy: 0,
    battery_discharge_energy: 0,
    load_energy: 0,
  };
  for (const e of history.time_series ?? []) {
    totals.pv_energy += n(e.solar_energy_exported);
    totals.grid_import_energy += n(e.grid_energy_imported);
    totals.grid_export_energy +=
      n(e.grid_energy_exported_from_solar) +
      n(e.grid_energy_exported_from_generator) +
      n(e.grid_energy_exported_from_battery);
    totals.battery_charge_energy +=
      n(e.battery_energy_imported_from_grid) +
      n(e.battery_energy_imported_from_solar) +
      n(e.battery_energy_imported_from_generator);
    totals.battery_discharge_energy += n(e.battery_energy_exported);
    totals.load_energy +=
      n(e.consumer_energy_imported_from_grid) +
      n(e.consumer_energy_imported_from_solar) +
      n(e.consumer_energy_imported_from_battery) +
      n(e.consumer_energy_imported_from_generator);
  }
  return totals;
}

/**
 * A counter never goes down within a run: a lifetime answer that is lower than the last one (a
 * period the API has not finished aggregating) would read as a meter reset in HA's statistics.
 */
export function neverLower(previous: LifetimeTotals | null, next: LifetimeTotals): LifetimeTotals {
  if (previous === null) return next;
  const keys = Object.keys(next) as (keyof LifetimeTotals)[];
  return Object.fromEntries(keys.map((k) => [k, Math.max(previous[k], next[k])])) as unknown as LifetimeTotals;
}
