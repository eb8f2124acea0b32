import type { EffectiveLimits } from './safety-limits.js';
import type { ForecastGrid, ForecastPoint, PowerForecastSource, PricePoint, PriceSource } from './controller-ports.js';

/** The battery as the scheduler sees it; powers and reserve also pass through the guard's limits. */
export interface BatteryParameters {
  /** Usable capacity, Wh. Default: the device's reported capacity. */
  readonly capacityWh?: number;
  /** Default 0.95 each. */
  readonly chargeEfficiency?: number;
  readonly dischargeEfficiency?: number;
  /** Default 100. */
  readonly maxSocPct?: number;
  /** Further caps on top of the guard's effective limits, W. */
  readonly maxChargeW?: number;
  readonly maxDischargeW?: number;
  /** Degradation cost per kWh discharged. Default 0. */
  readonly cycleCostPerKwh?: number;
  /**
   * Value of energy left at the end of the horizon, per kWh. Default: the horizon's mean import
   * price × discharge efficiency (what that energy will likely displace), so the plan does not
   * empty the battery at its edge.
   */
  readonly terminalValuePerKwh?: number;
}

export interface GridParameters {
  /** Main fuse / contract import cap, W. */
  readonly maxImportW?: number;
  /** Export cap, W; the guard's export limit applies too (the tighter wins). */
  readonly maxExportW?: number;
  readonly allowGridCharging?: boolean;
  readonly allowBatteryExport?: boolean;
}

export interface PlanningRequest {
  readonly now: number;
  readonly socPct: number;
  readonly currency: string;
  readonly intervalMinutes: number;
  readonly horizonHours: number;
  /** Fewer covered minutes than this ahead = missing inputs. */
  readonly minHorizonMinutes: number;
  readonly prices: PriceSource;
  readonly solar: PowerForecastSource;
  readonly load: PowerForecastSource;
  readonly battery: BatteryParameters;
  readonly grid: GridParameters;
  readonly limits: EffectiveLimits;
  /** The device's own capacity, Wh, when it reports one. */
  readonly deviceCapacityWh: number | undefined;
}

export type PlanningInputs =
  | { readonly ok: true; readonly scenario: Record<string, unknown>; readonly intervals: number }
  | { readonly ok: false; readonly missing: 'prices' | 'forecasts' | 'battery'; readonly reason: string };

const kw = (w: number): number => w / 1000;

/**
 * Prices and forecasts on the plan's grid, cut at the first interval any of them does not cover
 * (never filled in), and the battery from the guard's limits → a scenario for the scheduler.
 */
export async function gatherPlanningInputs(r: PlanningRequest): Promise<PlanningInputs> {
  const stepMs = r.intervalMinutes * 60_000;
  const from = Math.floor(r.now / stepMs) * stepMs;
  const grid: ForecastGrid = { from, to: from + r.horizonHours * 3_600_000, stepMs };
  const n = Math.round((grid.to - grid.from) / stepMs);

  const capacityWh = r.battery.capacityWh ?? r.deviceCapacityWh;
  if (capacityWh === undefined || !(capacityWh > 0)) {
    return {
      ok: false,
      missing: 'battery',
      reason: 'battery capacity unknown (the device reports none and none is configured)',
    };
  }

  const importPrices: number[] = [];
  const exportPrices: number[] = [];
  const prices = [...r.prices.upcoming(r.now)].sort((a, b) => a.start - b.start);
  let p = 0;
  for (let t = 0; t < n; t++) {
    const start = from + t * stepMs;
    while (p < prices.length && (prices[p] as PricePoint).end <= start) p++;
    const price = prices[p];
    if (!price || price.start > start) break;
    importPrices.push(price.import);
    exportPrices.push(price.export);
  }

  let solar: number[];
  let load: number[];
  try {
    const [s, l] = await Promise.all([r.solar.forecast(grid), r.load.forecast(grid)]);
    solar = onGrid(s, grid, n);
    load = onGrid(l, grid, n);
  } catch (err) {
    return {
      ok: false,
      missing: 'forecasts',
      reason: `forecast failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }

  const covered = Math.min(importPrices.length, solar.length, load.length);
  const minIntervals = Math.ceil((r.minHorizonMinutes * 60_000) / stepMs);
  if (covered < Math.max(1, minIntervals)) {
    const short = (name: string, count: number): string =>
      count === 0
        ? `no ${name} for ${new Date(from).toISOString()}`
        : `${name} cover only ${count * r.intervalMinutes} min ahead (${r.minHorizonMinutes} min needed)`;
    if (importPrices.length === covered) return { ok: false, missing: 'prices', reason: short('prices', covered) };
    const which = solar.length === covered ? 'solar forecasts' : 'load forecasts';
    return { ok: false, missing: 'forecasts', reason: short(which, covered) };
  }

  const imp = importPrices.slice(0, covered);
  const chargeEff = r.battery.chargeEfficiency ?? 0.95;
  const dischargeEff = r.battery.dischargeEfficiency ?? 0.95;
  const meanImport = imp.reduce((s, v) => s + v, 0) / imp.length;
  const tighter = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  const maxChargeW = tighter(r.limits.maxChargeW, r.battery.maxChargeW) ?? 0;
  const maxDischargeW = tighter(r.limits.maxDischargeW, r.battery.maxDischargeW) ?? 0;
  const maxExportW = tighter(r.limits.maxExportW, r.grid.maxExportW);
  const soc = Math.min(100, Math.max(0, r.socPct));
  const maxSoc = Math.max(r.battery.maxSocPct ?? 100, r.limits.backupReservePct);
  // Below the reserve already (e.g. after an outage): plan from here, never lower; the plan may charge.
  const minSoc = Math.min(r.limits.backupReservePct, soc);

  const scenario: Record<string, unknown> = {
    interval_minutes: r.intervalMinutes,
    start: new Date(from).toISOString(),
    prices: { import: imp, export: exportPrices.slice(0, covered), currency: r.currency },
    solar_kw: solar.slice(0, covered),
    load_kw: load.slice(0, covered),
    battery: {
      name: 'battery',
      capacity_kwh: capacityWh / 1000,
      soc_pct: soc,
      min_soc_pct: minSoc,
      max_soc_pct: Math.max(maxSoc, soc),
      max_charge_kw: kw(maxChargeW),
      max_discharge_kw: kw(maxDischargeW),
      charge_efficiency: chargeEff,
      discharge_efficiency: dischargeEff,
      cycle_cost_per_kwh: r.battery.cycleCostPerKwh ?? 0,
    },
    grid: {
      max_import_kw: r.grid.maxImportW === undefined ? null : kw(r.grid.maxImportW),
      max_export_kw: maxExportW === undefined ? null : kw(maxExportW),
    },
    terminal_energy_value_per_kwh: r.battery.terminalValuePerKwh ?? Math.max(0, meanImport * dischargeEff),
    allow_grid_charging: r.grid.allowGridCharging ?? true,
    allow_battery_export: r.grid.allowBatteryExport ?? true,
  };
  return { ok: true, scenario, intervals: covered };
}

/** Forecast points by grid slot; the run stops at the first slot without one. */
function onGrid(points: readonly ForecastPoint[], grid: ForecastGrid, n: number): number[] {
  const bySlot = new Map<number, number>();
  for (const pt of points) {
    if (pt.start >= grid.from && pt.start < grid.to && Number.isFinite(pt.kw)) bySlot.set(pt.start, Math.max(0, pt.kw));
  }
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const v = bySlot.get(grid.from + t * grid.stepMs);
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}
