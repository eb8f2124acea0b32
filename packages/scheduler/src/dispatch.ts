import { dischargeCapKw, fixedAt, privatePvKw, solarSurplusKw, type PlanningProblem } from './problem.js';

/** Powers in every interval, kW (averages over the interval); the common shape of every plan source. */
export interface Dispatch {
  readonly gridImportKw: number[];
  readonly gridExportKw: number[];
  readonly curtailKw: number[];
  readonly evKw: number[];
  /** [battery][t] */
  readonly chargeKw: number[][];
  readonly dischargeKw: number[][];
  /** [battery][t]: PV the power station takes at P4 (always 0 for other batteries). */
  readonly stationPvKw: number[][];
  /** [deferrable][t] */
  readonly deferrableKw: number[][];
  /** Off-grid: load the batteries and the PV cannot carry (the house goes dark), kW; always 0 on the grid. */
  readonly unservedKw: number[];
}

export function emptyDispatch(p: PlanningProblem): Dispatch {
  const zeros = (): number[] => new Array<number>(p.n).fill(0);
  return {
    gridImportKw: zeros(),
    gridExportKw: zeros(),
    curtailKw: zeros(),
    evKw: zeros(),
    chargeKw: p.batteries.map(zeros),
    dischargeKw: p.batteries.map(zeros),
    stationPvKw: p.batteries.map(zeros),
    deferrableKw: p.deferrables.map(zeros),
    unservedKw: zeros(),
  };
}

/** Stored energy (kWh) at the end of every interval, [battery][t], from the contract's dynamics. */
export function storedEnergy(p: PlanningProblem, d: Dispatch): number[][] {
  return p.batteries.map((b, k) => {
    let e = b.initialKwh;
    return d.chargeKw[k]!.map((c, t) => {
      const pv = d.stationPvKw[k]![t]!;
      e += ((c + pv) * b.chargeEfficiency - d.dischargeKw[k]![t]! / b.dischargeEfficiency) * p.hours;
      return e;
    });
  });
}

export interface DispatchValue {
  /** Σ (import price·import − export price·export + cycle cost·discharge)·h, plus any demand charge. */
  readonly cost: number;
  readonly demandChargeCost: number;
  /** cost − terminal value·(stored energy at the end − stored energy now). */
  readonly objective: number;
  readonly storedKwh: number[][];
  /** [target]: kWh each energy target is missed by (0 when met). */
  readonly shortfallKwh: number[];
  /** Σ shortfall × its penalty: not part of `objective` or `cost` (no money changes hands). */
  readonly shortfallPenalty: number;
  /** Off-grid: what the objective adds besides money (see offGridTerms); null on the grid. */
  readonly offGrid: OffGridTerms | null;
}

/** The off-grid parts of the objective, per the scenario's `off_grid` values. */
export interface OffGridTerms {
  readonly unservedKwh: number;
  /** [t]: kWh of all batteries together below the reserve at the end of t. */
  readonly reserveShortfallKwh: number[];
  /** Σ of reserveShortfallKwh (what the per-interval penalty is on). */
  readonly reserveShortfallSum: number;
  /** Energy the deferrable loads ran, kWh. */
  readonly deferrableKwh: number;
  readonly curtailedKwh: number;
  /** unserved × penalty + Σ reserve shortfall × penalty − deferrable energy × load value − Σ stored·h × hold value. */
  readonly penalty: number;
}

/** The off-grid terms of a dispatch, from its stored energy per battery and interval. */
export function offGridTerms(
  p: PlanningProblem,
  d: Dispatch,
  storedKwh: readonly (readonly number[])[],
): OffGridTerms | null {
  const off = p.offGrid;
  if (!off) return null;
  let unserved = 0;
  let unservedCost = 0;
  let deferrable = 0;
  let curtailed = 0;
  const reserve: number[] = [];
  let held = 0;
  for (let t = 0; t < p.n; t++) {
    unserved += d.unservedKw[t]! * p.hours;
    unservedCost += d.unservedKw[t]! * p.hours * (off.unservedPenaltyPerKwh[t] ?? 0);
    curtailed += d.curtailKw[t]! * p.hours;
    for (const row of d.deferrableKw) deferrable += row[t]! * p.hours;
    let stored = 0;
    for (const row of storedKwh) stored += row[t] ?? 0;
    held += stored * p.hours;
    reserve.push(Math.max(0, off.reserveKwh - stored));
  }
  const reserveSum = reserve.reduce((a, b) => a + b, 0);
  return {
    unservedKwh: unserved,
    reserveShortfallKwh: reserve,
    reserveShortfallSum: reserveSum,
    deferrableKwh: deferrable,
    curtailedKwh: curtailed,
    penalty:
      unservedCost +
      reserveSum * off.reservePenaltyPerKwh -
      deferrable * off.loadValuePerKwh -
      held * off.holdValuePerKwhHour,
  };
}

/** kWh each of the problem's energy targets is missed by, from the stored energy per interval. */
export function targetShortfalls(p: PlanningProblem, storedKwh: readonly (readonly number[])[]): number[] {
  return p.energyTargets.map((target) => {
    let stored = 0;
    for (const k of target.batteries) {
      stored += target.index === 0 ? (p.batteries[k]?.initialKwh ?? 0) : (storedKwh[k]?.[target.index - 1] ?? 0);
    }
    return Math.max(0, target.minKwh - stored);
  });
}

/** kW battery k runs below its fixed power in interval t (0 where nothing is fixed). */
export function fixedShortfallKw(p: PlanningProblem, d: Dispatch, k: number, t: number): number {
  const fixed = fixedAt(p, k, t);
  if (!fixed) return 0;
  const actual = fixed.kind === 'discharge' ? d.dischargeKw[k]![t]! : d.chargeKw[k]![t]!;
  return Math.max(0, fixed.powerKw - actual);
}

/**
 * What the optimiser minimises: the contract objective plus the energy targets' shortfall penalty,
 * the overrides' (the power a fixed interval could not run at, see BatteryOverrideSpec) and
 * off-grid's terms.
 */
export function penalisedObjective(p: PlanningProblem, d: Dispatch): number {
  const value = evaluateDispatch(p, d);
  let fixedPenalty = 0;
  p.fixed.forEach((row, k) =>
    row.forEach((f, t) => {
      if (f) fixedPenalty += f.penaltyPerKwh * p.hours * fixedShortfallKw(p, d, k, t);
    }),
  );
  return value.objective + value.shortfallPenalty + fixedPenalty + (value.offGrid?.penalty ?? 0);
}

export function evaluateDispatch(p: PlanningProblem, d: Dispatch): DispatchValue {
  let cost = 0;
  let peak = p.demandCharge?.peakSoFarKw ?? 0;
  for (let t = 0; t < p.n; t++) {
    cost += ((p.importPrice[t] ?? 0) * d.gridImportKw[t]! - (p.exportPrice[t] ?? 0) * d.gridExportKw[t]!) * p.hours;
    p.batteries.forEach((b, k) => (cost += b.cycleCostPerKwh * d.dischargeKw[k]![t]! * p.hours));
    if (p.demandCharge?.mask[t]) peak = Math.max(peak, d.gridImportKw[t]!);
  }
  const demandChargeCost = p.demandCharge ? p.demandCharge.costPerKw * peak : 0;
  cost += demandChargeCost;
  const storedKwh = storedEnergy(p, d);
  let delta = 0;
  p.batteries.forEach((b, k) => (delta += (storedKwh[k]![p.n - 1] ?? b.initialKwh) - b.initialKwh));
  const shortfallKwh = targetShortfalls(p, storedKwh);
  const shortfallPenalty = shortfallKwh.reduce(
    (sum, kwh, i) => sum + kwh * (p.energyTargets[i]?.penaltyPerKwh ?? 0),
    0,
  );
  return {
    cost,
    demandChargeCost,
    objective: cost - p.terminalValuePerKwh * delta,
    storedKwh,
    shortfallKwh,
    shortfallPenalty,
    offGrid: offGridTerms(p, d, storedKwh),
  };
}

/** Tolerance for the model's own checks: 1 W in kW, with room for solver round-off. */
export const POWER_TOLERANCE_KW = 1e-3;
const ENERGY_TOLERANCE_KWH = 1e-4;

/**
 * Every limit of the contract, checked on a finished dispatch; returns the first broken one in
 * words, or null. Fallback plans go through this before they are offered.
 */
export function firstLimitViolation(p: PlanningProblem, d: Dispatch): string | null {
  const tol = POWER_TOLERANCE_KW;
  const stored = storedEnergy(p, d);
  for (let t = 0; t < p.n; t++) {
    const at = `interval ${t}`;
    let supply = (p.solarKw[t] ?? 0) - d.curtailKw[t]! + d.gridImportKw[t]! + d.unservedKw[t]!;
    const uns = d.unservedKw[t]!;
    if (uns < -tol || (!p.offGrid && uns > tol)) return `${at}: unserved load ${uns.toFixed(3)} kW on the grid`;
    if (p.offGrid && uns > (p.loadKw[t] ?? 0) + (p.ev?.maxKw[t] ?? 0) + tol)
      return `${at}: unserved load ${uns.toFixed(3)} kW above the load`;
    let demand = (p.loadKw[t] ?? 0) + d.evKw[t]! + d.gridExportKw[t]!;
    let charge = 0;
    for (let k = 0; k < p.batteries.length; k++) {
      const b = p.batteries[k]!;
      const c = d.chargeKw[k]![t]!;
      const dis = d.dischargeKw[k]![t]!;
      supply += dis;
      demand += c;
      charge += c;
      if (c < -tol || c > b.maxChargeKw + tol)
        return `${at}: ${b.name} charge ${c.toFixed(3)} kW outside [0, ${b.maxChargeKw}]`;
      const dMax = dischargeCapKw(b, t);
      if (dis < -tol || dis > dMax + tol) return `${at}: ${b.name} discharge ${dis.toFixed(3)} kW outside [0, ${dMax}]`;
      const pv = d.stationPvKw[k]![t]!;
      if (pv < -tol || pv > privatePvKw(b, t) + tol) return `${at}: ${b.name} PV ${pv.toFixed(3)} kW out of range`;
      if (b.station?.gridChargeMode === 'on_off' && c > tol && Math.abs(c - b.maxChargeKw) > tol)
        return `${at}: ${b.name} grid charging ${c.toFixed(3)} kW is neither 0 nor ${b.maxChargeKw}`;
      if (c > tol && dis > tol) return `${at}: ${b.name} charges and discharges at once`;
      const e = stored[k]![t]!;
      if (e < b.minKwh - ENERGY_TOLERANCE_KWH || e > b.maxKwh + ENERGY_TOLERANCE_KWH)
        return `${at}: ${b.name} stored energy ${e.toFixed(3)} kWh outside [${b.minKwh}, ${b.maxKwh}]`;
    }
    d.deferrableKw.forEach((row) => (demand += row[t]!));
    if (Math.abs(supply - demand) > tol) return `${at}: power balance off by ${(supply - demand).toFixed(4)} kW`;
    const imp = d.gridImportKw[t]!;
    const exp = d.gridExportKw[t]!;
    if (imp < -tol || exp < -tol) return `${at}: negative grid flow`;
    if (imp > tol && exp > tol) return `${at}: imports and exports at once`;
    if (p.maxImportKw !== null && imp > p.maxImportKw + tol)
      return `${at}: import ${imp.toFixed(3)} kW above grid.max_import_kw`;
    if (p.maxExportKw !== null && exp > p.maxExportKw + tol)
      return `${at}: export ${exp.toFixed(3)} kW above grid.max_export_kw`;
    const cur = d.curtailKw[t]!;
    if (cur < -tol || cur > (p.allowCurtailment ? (p.solarKw[t] ?? 0) : 0) + tol)
      return `${at}: curtailment out of range`;
    // A fixed power (an override) is exempt from both rules, as in the model.
    let freeCharge = charge;
    let fixedDischarge = 0;
    p.batteries.forEach((_, k) => {
      const f = fixedAt(p, k, t);
      if (f) freeCharge -= d.chargeKw[k]![t]!;
      if (f?.kind === 'discharge') fixedDischarge += d.dischargeKw[k]![t]!;
    });
    if (!p.allowGridCharging && freeCharge + cur > solarSurplusKw(p, t) + tol) return `${at}: charges from the grid`;
    if (!p.allowBatteryExport && exp + cur > solarSurplusKw(p, t) + fixedDischarge + tol)
      return `${at}: exports from the battery`;
    if (p.ev) {
      const ev = d.evKw[t]!;
      const max = p.ev.maxKw[t] ?? 0;
      if (ev < -tol || ev > max + tol) return `${at}: EV power ${ev.toFixed(3)} kW outside [0, ${max}]`;
      if (ev > tol && ev < p.ev.minKw - tol) return `${at}: EV power ${ev.toFixed(3)} kW below ev.min_kw`;
    } else if (Math.abs(d.evKw[t]!) > tol) return `${at}: EV power without an EV`;
  }
  if (p.ev) {
    let delivered = 0;
    for (let t = 0; t < p.ev.deadlineIndex; t++) delivered += d.evKw[t]! * p.ev.chargeEfficiency * p.hours;
    if (delivered < p.ev.energyNeededKwh - ENERGY_TOLERANCE_KWH)
      return `ev.energy_needed_kwh: only ${delivered.toFixed(3)} kWh delivered by interval ${p.ev.deadlineIndex}`;
  }
  for (let k = 0; k < p.deferrables.length; k++) {
    const def = p.deferrables[k]!;
    let runs = 0;
    for (let t = 0; t < p.n; t++) {
      const v = d.deferrableKw[k]![t]!;
      const inside = t >= def.startIndex && t < def.endIndex;
      if (Math.abs(v) <= tol) continue;
      if (!inside || Math.abs(v - def.powerKw) > tol) return `deferrable_loads[${k}]: wrong power at interval ${t}`;
      if (p.deferrableBlocked[t])
        return `deferrable_loads[${k}]: runs at interval ${t}, which deferrable_exclusions excludes`;
      runs += 1;
    }
    // Off-grid the run time is an upper bound (a dark day runs the load less, or not at all).
    if (p.offGrid ? runs > def.runIntervals : runs !== def.runIntervals)
      return `deferrable_loads[${k}]: runs ${runs} intervals, needs ${def.runIntervals}`;
  }
  return null;
}
