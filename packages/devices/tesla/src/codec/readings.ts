import type { ReadingValue } from '@sps/core';
import type { LifetimeTotals } from './lifetime.js';
import type { LiveStatus, SiteInfo } from './responses.js';

export const GRID_CHARGING_OPTIONS = ['grid_charging_allowed', 'grid_charging_blocked'] as const;

/** What the add-on has the Powerwall doing: its own mode, or one of our forced states. */
export const CONTROL_STATES = ['normal', 'charge', 'discharge', 'hold'] as const;
export type ControlState = (typeof CONTROL_STATES)[number];

const num = (v: number | null | undefined): number | null => (typeof v === 'number' ? v : null);
const lower = (v: string | null | undefined): string | null =>
  typeof v === 'string' && v !== '' ? v.toLowerCase() : null;

/**
 * Readings in the project's units and signs. Tesla's live_status already uses them (W;
 * battery_power > 0 discharging, grid_power > 0 importing; device-protocols.md §6.2), so powers
 * pass through; solar is clamped at 0 because inverters report a few negative watts at night.
 */
export function liveReadings(live: LiveStatus): Record<string, ReadingValue | null> {
  const solar = num(live.solar_power);
  return {
    battery_soc: num(live.percentage_charged),
    battery_power: num(live.battery_power),
    pv_power: solar === null ? null : Math.max(0, solar),
    load_power: num(live.load_power),
    grid_power: num(live.grid_power),
    grid_status: lower(live.grid_status),
    island_status: lower(live.island_status),
    storm_mode_active: typeof live.storm_mode_active === 'boolean' ? live.storm_mode_active : null,
  };
}

export function siteReadings(site: SiteInfo): Record<string, ReadingValue | null> {
  const disallow = site.components?.disallow_charge_from_grid_with_solar_installed;
  return {
    backup_reserve: num(site.backup_reserve_percent),
    operation_mode: lower(site.default_real_mode),
    export_rule: lower(site.components?.customer_preferred_export_rule),
    grid_charging: typeof disallow === 'boolean' ? GRID_CHARGING_OPTIONS[disallow ? 1 : 0] : null,
    battery_capacity: num(site.nameplate_energy),
    nameplate_power: num(site.nameplate_power),
  };
}

export function totalsReadings(totals: LifetimeTotals | null): Record<string, number | null> {
  return {
    pv_energy: totals?.pv_energy ?? null,
    grid_import_energy: totals?.grid_import_energy ?? null,
    grid_export_energy: totals?.grid_export_energy ?? null,
    battery_charge_energy: totals?.battery_charge_energy ?? null,
    battery_discharge_energy: totals?.battery_discharge_energy ?? null,
    load_energy: totals?.load_energy ?? null,
  };
}
