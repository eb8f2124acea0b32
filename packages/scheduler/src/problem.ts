import type {
  BatteryOverrideSpec,
  BatterySpec,
  DemandChargeSpec,
  EnergyTargetSpec,
  OffGridSpec,
  Scenario,
  StationSpec,
} from './scenario.js';

/** What makes a battery a power station behind a transfer switch (see StationSpec). */
export interface StationParams {
  /** on_off: grid charge is 0 or maxChargeKw; continuous: anything in between. */
  readonly gridChargeMode: 'on_off' | 'continuous';
  /** Discharge cap per interval: the P2 load (the station cannot export), kW. */
  readonly dischargeCapKw: readonly number[];
  /** PV at P4, available to the station only, kW. */
  readonly pvKw: readonly number[];
}

/** One battery in the units the model uses: kWh of stored energy, kW of power. */
export interface BatteryParams {
  readonly name: string;
  readonly capacityKwh: number;
  readonly initialKwh: number;
  readonly minKwh: number;
  readonly maxKwh: number;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly chargeEfficiency: number;
  readonly dischargeEfficiency: number;
  readonly cycleCostPerKwh: number;
  /** Present for the power station: its charge is grid charging through P1. */
  readonly station?: StationParams;
}

export interface EvParams {
  readonly maxKw: readonly number[];
  readonly minKw: number;
  readonly energyNeededKwh: number;
  readonly chargeEfficiency: number;
  readonly deadlineIndex: number;
}

export interface DeferrableParams {
  readonly name: string;
  readonly powerKw: number;
  readonly startIndex: number;
  readonly endIndex: number;
  /** Whole intervals it must run inside its window (energy or run time rounded up). */
  readonly runIntervals: number;
  /** Once on, on for at least this many intervals (never more than runIntervals); 1 = no minimum. */
  readonly minOnIntervals: number;
  /** Once off after a run inside the window, off for at least this many intervals; 1 = no minimum. */
  readonly minOffIntervals: number;
}

/** A minimum stored energy at the start of interval `index` (see EnergyTargetSpec), kWh. */
export interface EnergyTargetParams {
  readonly index: number;
  readonly minKwh: number;
  /** Indices into `batteries` whose stored energy counts. */
  readonly batteries: readonly number[];
  readonly penaltyPerKwh: number;
  readonly label: string;
}

/** One battery's power fixed in one interval (see BatteryOverrideSpec). */
export interface FixedPower {
  readonly kind: 'charge' | 'discharge' | 'hold';
  /**
   * The power the battery runs at in this interval, kW: the asked power clipped to the battery's
   * limit, and, in a window that starts now, to what its SOC allows (full, at its floor, at the
   * hold's SOC), known from the SOC now. A hold's is its charge power up to `upToKwh` (0 without).
   */
  readonly powerKw: number;
  /** The asked power clipped to the battery's power limit only, kW. */
  readonly limitKw: number;
  /** What was asked, kW (above `limitKw` when clipped to the battery's limit). */
  readonly requestedKw: number;
  /** hold: the stored energy it charges up to first (null: a plain hold). */
  readonly upToKwh: number | null;
  /** Per kWh the battery falls short of `powerKw` (see BatteryOverrideSpec), currency. */
  readonly penaltyPerKwh: number;
  readonly label: string;
}

/** Off-grid planning (scenario `off_grid`): the values of the objective, per kWh. */
export interface OffGridParams {
  /** Stored energy of all batteries together kept at every interval (soft), kWh. */
  readonly reserveKwh: number;
  /** Per kWh below the reserve per interval. */
  readonly reservePenaltyPerKwh: number;
  /** [t]: per kWh of load not served in interval t (the house goes dark); falls with t. */
  readonly unservedPenaltyPerKwh: readonly number[];
  /** Per kWh a deferrable load runs. */
  readonly loadValuePerKwh: number;
  /** Per kWh stored, per hour it stays stored (OFF_GRID_HOLD_VALUE). */
  readonly holdValuePerKwhHour: number;
}

/**
 * Off-grid defaults, in value units per kWh (no currency). The order is what matters:
 * - a deferrable load's run is worth LOAD_VALUE = 1 per kWh: more than curtailed PV (free, the
 *   MPPT throttles), so a load runs wherever PV would otherwise be thrown away;
 * - energy stored at the horizon's end is worth STORED_VALUE = 2 per kWh: more than a load's run
 *   even after the discharge loss (1 / 0.5 at the worst efficiency the options allow), so a load never
 *   runs on stored energy that would otherwise still be there at the end — the pump and the heater
 *   run on the sun, not on the battery;
 * - every kWh below the reserve costs RESERVE_PENALTY = 10 in every interval it stays below: ten
 *   times a load's run, so no load ever runs on energy the night needs, and a 5-minute dip costs
 *   as much as a 5-hour one per interval (no load can "borrow" the reserve for a short while);
 * - a kWh of load not served in the horizon's last interval costs max(1000, 2 × intervals ×
 *   RESERVE_PENALTY): more than keeping that kWh below the reserve for the whole horizon, so the
 *   reserve is spent before the house goes dark (unserved energy only when unavoidable);
 * - every interval earlier adds 2 × RESERVE_PENALTY to that: going dark later keeps the battery lower
 *   for longer (at most RESERVE_PENALTY per kWh and interval), so without the slope the cheapest plan
 *   would cut the house off now to spare the reserve later. With it, when energy must go unserved
 *   the house goes dark as late as possible, and never while the battery is above its floor.
 * The largest coefficient (4 × 576 × 10 = 23 040 for 48 h at 5 min) stays within five orders of the
 * smallest, which HiGHS handles well.
 */
export const OFF_GRID_LOAD_VALUE = 1;
export const OFF_GRID_STORED_VALUE = 2;
export const OFF_GRID_RESERVE_PENALTY = 10;
/**
 * Every kWh stored is worth 0.01 per hour it stays stored: with the rest of the objective alone,
 * a sunny day has many equal optima, among them one that holds the battery at its reserve until
 * the afternoon and curtails the morning's PV (it still fills by the evening). Against forecast
 * error the battery should fill first: this small value makes the plan charge as early as it can.
 * Over 48 h it adds up to 0.48 per kWh, under a load's run (1), so it never keeps a load off
 * surplus PV, and it is nothing against the reserve (10 per interval).
 */
export const OFF_GRID_HOLD_VALUE = 0.01;

/** A validated scenario with defaults applied, ready for the model builder, fallbacks and baseline. */
export interface PlanningProblem {
  readonly n: number;
  readonly intervalMinutes: number;
  /** Interval length in hours. */
  readonly hours: number;
  readonly startMs: number;
  readonly currency: string;
  readonly importPrice: readonly number[];
  readonly exportPrice: readonly number[];
  readonly solarKw: readonly number[];
  readonly loadKw: readonly number[];
  readonly batteries: readonly BatteryParams[];
  /** null = no cap. */
  readonly maxImportKw: number | null;
  readonly maxExportKw: number | null;
  readonly terminalValuePerKwh: number;
  readonly allowGridCharging: boolean;
  readonly allowBatteryExport: boolean;
  readonly allowCurtailment: boolean;
  readonly ev: EvParams | null;
  readonly deferrables: readonly DeferrableParams[];
  readonly demandCharge: { readonly costPerKw: number; readonly peakSoFarKw: number; readonly mask: boolean[] } | null;
  readonly energyTargets: readonly EnergyTargetParams[];
  /** [t]: no deferrable load may run in interval t. */
  readonly deferrableBlocked: readonly boolean[];
  /** [battery][t]: the battery's power fixed by an override (null: the optimiser decides). */
  readonly fixed: readonly (readonly (FixedPower | null)[])[];
  /** null: on the grid (the money objective). */
  readonly offGrid: OffGridParams | null;
}

function battery(spec: BatterySpec, i: number): BatteryParams {
  const cap = spec.capacity_kwh;
  return {
    name: spec.name ?? `battery ${i + 1}`,
    capacityKwh: cap,
    initialKwh: (spec.soc_pct / 100) * cap,
    minKwh: (spec.min_soc_pct / 100) * cap,
    maxKwh: (spec.max_soc_pct / 100) * cap,
    maxChargeKw: spec.max_charge_kw,
    maxDischargeKw: spec.max_discharge_kw,
    chargeEfficiency: spec.charge_efficiency,
    dischargeEfficiency: spec.discharge_efficiency,
    cycleCostPerKwh: spec.cycle_cost_per_kwh,
  };
}

function station(spec: StationSpec, n: number): BatteryParams {
  const cap = spec.capacity_kwh;
  return {
    name: spec.name,
    capacityKwh: cap,
    initialKwh: (spec.soc_pct / 100) * cap,
    minKwh: (spec.min_soc_pct / 100) * cap,
    maxKwh: (spec.max_soc_pct / 100) * cap,
    maxChargeKw: spec.grid_charge_kw,
    maxDischargeKw: spec.max_discharge_kw,
    chargeEfficiency: spec.charge_efficiency,
    dischargeEfficiency: spec.discharge_efficiency,
    cycleCostPerKwh: spec.cycle_cost_per_kwh,
    station: {
      gridChargeMode: spec.grid_charge_mode,
      dischargeCapKw: spec.p2_load_kw.map((v) => Math.min(v, spec.max_discharge_kw)),
      pvKw: spec.pv_kw ?? new Array<number>(n).fill(0),
    },
  };
}

/** Most a battery may discharge in interval t (the station: the P2 load). */
export function dischargeCapKw(b: BatteryParams, t: number): number {
  return b.station ? (b.station.dischargeCapKw[t] ?? 0) : b.maxDischargeKw;
}

/** PV only this battery can take in interval t (the station's P4), kW. */
export function privatePvKw(b: BatteryParams, t: number): number {
  return b.station ? (b.station.pvKw[t] ?? 0) : 0;
}

function demandMask(spec: DemandChargeSpec, n: number): boolean[] {
  const mask = new Array<boolean>(n).fill(false);
  for (const w of spec.windows) for (let t = w.start_index; t < Math.min(n, w.end_index); t++) mask[t] = true;
  return mask;
}

/** Floors a time to the interval grid so plan starts line up with tariff intervals. */
export function floorToInterval(ms: number, intervalMinutes: number): number {
  const step = intervalMinutes * 60_000;
  return Math.floor(ms / step) * step;
}

/**
 * The default shortfall penalty per kWh: a kWh kept out of the battery can at best save its
 * dearest import (or earn its best export) once, divided by the round trip, plus its cycle cost,
 * its terminal value and a demand charge on one interval. A hundred times that (and at least 100
 * per kWh) makes a shortfall never pay while a charge can still prevent it, yet keeps the LP's
 * coefficients within a few orders of magnitude of the prices (HiGHS stays well conditioned).
 */
export function defaultShortfallPenalty(
  s: Pick<PlanningProblem, 'importPrice' | 'exportPrice' | 'terminalValuePerKwh' | 'hours' | 'demandCharge'>,
  batteries: readonly BatteryParams[],
): number {
  let price = 0;
  for (const v of s.importPrice) price = Math.max(price, Math.abs(v));
  for (const v of s.exportPrice) price = Math.max(price, Math.abs(v));
  let worstRoundTrip = 1;
  let cycle = 0;
  for (const b of batteries) {
    worstRoundTrip = Math.min(worstRoundTrip, b.chargeEfficiency * b.dischargeEfficiency);
    cycle = Math.max(cycle, b.cycleCostPerKwh);
  }
  const demand = s.demandCharge ? s.demandCharge.costPerKw / s.hours : 0;
  const perKwh = (2 * price + cycle + Math.abs(s.terminalValuePerKwh) + demand) / worstRoundTrip;
  return Math.max(100, 100 * perKwh);
}

function energyTarget(
  spec: EnergyTargetSpec,
  i: number,
  batteries: readonly BatteryParams[],
  penalty: () => number,
): EnergyTargetParams {
  const chosen = batteries.flatMap((b, k) => (spec.battery === undefined || b.name === spec.battery ? [k] : []));
  const capacity = chosen.reduce((sum, k) => sum + (batteries[k]?.capacityKwh ?? 0), 0);
  return {
    index: spec.index,
    minKwh: spec.min_kwh ?? ((spec.min_soc_pct ?? 0) / 100) * capacity,
    batteries: chosen,
    penaltyPerKwh: spec.shortfall_penalty_per_kwh ?? penalty(),
    label: spec.label ?? `energy_targets[${i}]`,
  };
}

function blockedIntervals(s: Scenario, n: number): boolean[] {
  const blocked = new Array<boolean>(n).fill(false);
  for (const w of s.deferrable_exclusions)
    for (let t = w.start_index; t < Math.min(n, w.end_index); t++) blocked[t] = true;
  return blocked;
}

/**
 * The overrides per battery and interval. The shortfall penalty is the energy targets' default,
 * doubled in the window's first interval and falling to 1× at its end: the battery runs at the
 * fixed power from the start (as the device does), not at the cheapest moments of the window.
 * A window from now starts at the known SOC, so what the SOC bounds allow is worked out here: the
 * plan can then meet the fixed power in full, and a full battery costs no penalty that would
 * widen the optimiser's relative gaps (they are shares of the objective, penalties included).
 */
function fixedPowers(
  specs: readonly BatteryOverrideSpec[],
  batteries: readonly BatteryParams[],
  n: number,
  hours: number,
  penalty: () => number,
): (FixedPower | null)[][] {
  const fixed = batteries.map(() => new Array<FixedPower | null>(n).fill(null));
  if (specs.length === 0) return fixed;
  const base = penalty();
  specs.forEach((o, i) => {
    const k = o.battery === undefined ? 0 : batteries.findIndex((b) => b.name === o.battery);
    const b = batteries[k];
    if (!b) return;
    const label = o.label ?? `battery_overrides[${i}]`;
    const len = o.end_index - o.start_index;
    const upToKwh = o.kind === 'hold' && o.soc_pct !== undefined ? (o.soc_pct / 100) * b.capacityKwh : null;
    // A hold starting at or above its SOC is a plain hold.
    const moves = o.kind !== 'hold' || (upToKwh !== null && b.initialKwh < upToKwh);
    // Only a window from now knows its SOC (null: the model's bounds decide).
    let stored: number | null = o.start_index === 0 ? b.initialKwh : null;
    for (let t = o.start_index; t < Math.min(n, o.end_index); t++) {
      const cap = o.kind === 'discharge' ? dischargeCapKw(b, t) : b.maxChargeKw;
      const requested = moves ? (o.power_kw ?? cap) : 0;
      const limitKw = Math.min(requested, cap);
      let powerKw = limitKw;
      if (stored !== null) {
        if (o.kind === 'discharge') {
          powerKw = Math.max(0, Math.min(limitKw, ((stored - b.minKwh) * b.dischargeEfficiency) / hours));
          stored -= (powerKw / b.dischargeEfficiency) * hours;
        } else {
          const ceiling = Math.min(b.maxKwh, upToKwh ?? Infinity);
          powerKw = Math.max(0, Math.min(limitKw, (ceiling - stored) / (b.chargeEfficiency * hours)));
          stored += powerKw * b.chargeEfficiency * hours;
        }
      }
      fixed[k]![t] = {
        kind: o.kind,
        powerKw,
        limitKw,
        requestedKw: requested,
        upToKwh: moves ? upToKwh : null,
        penaltyPerKwh: base * (1 + (o.end_index - t) / len),
        label,
      };
    }
  });
  return fixed;
}

export function toProblem(s: Scenario, nowMs: number): PlanningProblem {
  const n = s.prices.import.length;
  const hours = s.interval_minutes / 60;
  const specs = s.battery === undefined ? [] : Array.isArray(s.battery) ? s.battery : [s.battery];
  // The station goes last, so battery indices of the scenario's `battery` list stay as they were.
  const batteries = [...specs.map(battery), ...(s.station ? [station(s.station, n)] : [])];
  const demandCharge = s.demand_charge
    ? {
        costPerKw: s.demand_charge.cost_per_kw,
        peakSoFarKw: s.demand_charge.peak_so_far_kw,
        mask: demandMask(s.demand_charge, n),
      }
    : null;
  const penalty = (): number =>
    defaultShortfallPenalty(
      {
        importPrice: s.prices.import,
        exportPrice: s.prices.export,
        terminalValuePerKwh: s.terminal_energy_value_per_kwh,
        hours,
        demandCharge,
      },
      batteries,
    );
  const offGrid = s.off_grid ? offGridParams(s.off_grid, batteries, n) : null;
  return {
    n,
    intervalMinutes: s.interval_minutes,
    hours,
    startMs: s.start !== undefined ? Date.parse(s.start) : floorToInterval(nowMs, s.interval_minutes),
    currency: s.prices.currency,
    importPrice: s.prices.import,
    exportPrice: s.prices.export,
    solarKw: s.solar_kw,
    loadKw: s.load_kw,
    batteries,
    // Off-grid: no grid flow at all, and the MPPT may always throttle the PV.
    maxImportKw: offGrid ? 0 : s.grid.max_import_kw,
    maxExportKw: offGrid ? 0 : s.grid.max_export_kw,
    terminalValuePerKwh: s.off_grid
      ? (s.off_grid.stored_value_per_kwh ?? OFF_GRID_STORED_VALUE)
      : s.terminal_energy_value_per_kwh,
    allowGridCharging: offGrid ? true : s.allow_grid_charging,
    allowBatteryExport: offGrid ? true : s.allow_battery_export,
    allowCurtailment: offGrid ? true : s.allow_curtailment,
    ev: s.ev
      ? {
          maxKw: s.ev.max_kw,
          minKw: s.ev.min_kw,
          energyNeededKwh: s.ev.energy_needed_kwh,
          chargeEfficiency: s.ev.charge_efficiency,
          deadlineIndex: s.ev.deadline_index,
        }
      : null,
    deferrables: s.deferrable_loads.map((d) => {
      // A small epsilon keeps 2.0000000001 intervals from becoming 3 through float noise.
      const intervals = (minutes: number): number => Math.max(1, Math.ceil(minutes / s.interval_minutes - 1e-9));
      const runIntervals = Math.ceil(
        (d.run_minutes !== undefined
          ? d.run_minutes / s.interval_minutes
          : (d.energy_kwh ?? 0) / (d.power_kw * hours)) - 1e-9,
      );
      return {
        name: d.name,
        powerKw: d.power_kw,
        startIndex: d.start_index,
        endIndex: d.end_index,
        runIntervals,
        // A minimum run longer than what is left to run would make the run impossible: the run is the minimum.
        minOnIntervals: Math.max(1, Math.min(runIntervals, intervals(d.min_on_minutes ?? 0))),
        minOffIntervals: intervals(d.min_off_minutes ?? 0),
      };
    }),
    demandCharge,
    energyTargets: s.energy_targets.map((t, i) => energyTarget(t, i, batteries, penalty)),
    deferrableBlocked: blockedIntervals(s, n),
    fixed: fixedPowers(s.battery_overrides, batteries, n, hours, penalty),
    offGrid,
  };
}

function offGridParams(spec: OffGridSpec, batteries: readonly BatteryParams[], n: number): OffGridParams {
  // The reserve is never below a battery's hard floor (min_soc_pct) nor above its ceiling.
  const reserveKwh = batteries.reduce((sum, b) => {
    const wanted = spec.reserve_soc_pct === undefined ? b.minKwh : (spec.reserve_soc_pct / 100) * b.capacityKwh;
    return sum + Math.min(b.maxKwh, Math.max(b.minKwh, wanted));
  }, 0);
  const reservePenaltyPerKwh = spec.reserve_penalty_per_kwh ?? OFF_GRID_RESERVE_PENALTY;
  const last = spec.unserved_penalty_per_kwh ?? Math.max(1000, 2 * n * reservePenaltyPerKwh);
  return {
    reserveKwh,
    reservePenaltyPerKwh,
    unservedPenaltyPerKwh: Array.from({ length: n }, (_, t) => last + 2 * reservePenaltyPerKwh * (n - 1 - t)),
    loadValuePerKwh: spec.load_value_per_kwh ?? OFF_GRID_LOAD_VALUE,
    holdValuePerKwhHour: OFF_GRID_HOLD_VALUE,
  };
}

/** Solar left after the household load: what allow_grid_charging / allow_battery_export measure against. */
export function solarSurplusKw(p: PlanningProblem, t: number): number {
  return Math.max(0, (p.solarKw[t] ?? 0) - (p.loadKw[t] ?? 0));
}

/** Kind of the fixed power of battery k in interval t, or null. */
export function fixedAt(p: PlanningProblem, k: number, t: number): FixedPower | null {
  return p.fixed[k]?.[t] ?? null;
}
