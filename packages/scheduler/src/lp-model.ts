import { LpBuilder, type SparseLp } from './lp-builder.js';
import { dischargeCapKw, fixedAt, privatePvKw, solarSurplusKw, type PlanningProblem } from './problem.js';

const INF = Infinity;

/** Where each decision lives in the column vector (-1 = not in the model). */
export interface LpVariables {
  readonly gridImport: number[];
  readonly gridExport: number[];
  readonly curtail: number[];
  readonly ev: number[];
  readonly evOn: number[];
  /** [battery][t] */
  readonly charge: number[][];
  readonly discharge: number[][];
  readonly stored: number[][];
  /** [battery][t]: PV the power station takes at P4 (-1 for other batteries); it never reaches the house bus. */
  readonly stationPv: number[][];
  /** 1 = this interval may only charge; binaries added where simultaneous charge+discharge could pay. */
  readonly chargeMode: number[][];
  /** 1 = this interval may only import; binaries added where export pays more than import. */
  readonly importMode: number[];
  /** [deferrable][t], -1 outside the window. */
  readonly deferrableOn: number[][];
  readonly peak: number;
  /** [target]: kWh the energy target is missed by (penalised in the objective). */
  readonly shortfall: number[];
  /** [t]: off-grid only, load not served, kW (-1 on the grid). */
  readonly unserved: number[];
  /** [t]: off-grid only, kWh of all batteries together below the reserve at the end of t (-1 on the grid). */
  readonly reserveShortfall: number[];
}

export interface ModelOptions {
  /** [battery][t]: add the charge/discharge exclusivity binary. */
  readonly chargeModeBinary: readonly (readonly boolean[])[];
  /** [t]: add the import/export exclusivity binary. */
  readonly importModeBinary: readonly boolean[];
  /** [t]: model "EV draws 0 or at least min_kw" with a binary (otherwise 0…max, a relaxation). */
  readonly evBinary: readonly boolean[];
  /** [deferrable][t]: the on/off variable is integer (otherwise relaxed to 0…1). */
  readonly deferrableInteger: readonly (readonly boolean[])[];
  /**
   * Overrides the bounds of columns (by index) and makes them continuous: how on/off decisions
   * taken elsewhere (a rounding, or stage 1 for stage 2) are imposed, so the model stays an LP.
   */
  readonly colBounds?: ReadonlyMap<number, readonly [number, number]>;
  /**
   * [deferrable]: intervals per switching block (default 1). A block shares one on/off column, so
   * the relay switches only at block boundaries (blocks start at the load's window start; the last
   * one may be shorter). A restriction of the exact model: optimise.ts only uses it when it pays.
   */
  readonly deferrableBlocks?: readonly number[];
}

export interface BatteryLpModel {
  readonly lp: SparseLp;
  readonly vars: LpVariables;
}

/** An upper bound on import in interval t: everything that can consume power at once. */
function importBound(p: PlanningProblem, t: number): number {
  let m = (p.loadKw[t] ?? 0) + (p.ev?.maxKw[t] ?? 0);
  for (const b of p.batteries) m += b.maxChargeKw;
  for (const d of p.deferrables) if (t >= d.startIndex && t < d.endIndex) m += d.powerKw;
  return p.maxImportKw === null ? m : Math.min(m, p.maxImportKw);
}

/** An upper bound on export in interval t: all solar plus every battery at full discharge. */
function exportBound(p: PlanningProblem, t: number): number {
  let m = p.solarKw[t] ?? 0;
  for (const b of p.batteries) m += b.maxDischargeKw;
  return p.maxExportKw === null ? m : Math.min(m, p.maxExportKw);
}

/**
 * The whole-horizon model of the scenario contract. Units: kW for powers, kWh for stored energy;
 * the objective is in currency and equals the contract's `objective` (cost − terminal value of the
 * stored-energy change) plus the demand charge.
 */
export function buildBatteryLpModel(p: PlanningProblem, options: ModelOptions): BatteryLpModel {
  const lp = new LpBuilder();
  const { n, hours: h } = p;
  const col = (name: string, lo: number, hi: number, cost: number, integer = false): number => {
    const fixed = options.colBounds?.get(lp.numCols);
    const idx = fixed ? lp.addCol(name, fixed[0], fixed[1], cost, false) : lp.addCol(name, lo, hi, cost, integer);
    return idx;
  };

  const vars: LpVariables = {
    gridImport: [],
    gridExport: [],
    curtail: [],
    ev: [],
    evOn: [],
    charge: p.batteries.map(() => []),
    discharge: p.batteries.map(() => []),
    stored: p.batteries.map(() => []),
    stationPv: p.batteries.map(() => []),
    chargeMode: p.batteries.map(() => []),
    importMode: [],
    deferrableOn: p.deferrables.map(() => []),
    peak: -1,
    shortfall: [],
    unserved: [],
    reserveShortfall: [],
  };
  const off = p.offGrid;

  let offset = 0;
  for (const b of p.batteries) offset += p.terminalValuePerKwh * b.initialKwh;

  for (let t = 0; t < n; t++) {
    const imp = col(`imp_${t}`, 0, importBound(p, t), (p.importPrice[t] ?? 0) * h);
    const exp = col(`exp_${t}`, 0, exportBound(p, t), -(p.exportPrice[t] ?? 0) * h);
    const cur = col(`cur_${t}`, 0, p.allowCurtailment ? (p.solarKw[t] ?? 0) : 0, 0);
    vars.gridImport.push(imp);
    vars.gridExport.push(exp);
    vars.curtail.push(cur);

    // Energy balance: solar − curtail + import + Σdischarge = load + ev + deferrables + export + Σcharge.
    const bCols: number[] = [cur, imp, exp];
    const bCoefs: number[] = [-1, 1, -1];

    p.batteries.forEach((b, k) => {
      // An override fixes the battery's power: the other direction is 0, its own direction is
      // bounded by the fixed power and rewarded by the shortfall penalty (a constant offset makes
      // the objective Σ penalty × (fixed − actual), see BatteryOverrideSpec).
      const fixed = fixedAt(p, k, t);
      const fixedCharge = fixed !== null && fixed.kind !== 'discharge';
      const fixedDischarge = fixed !== null && fixed.kind === 'discharge';
      const cMax = fixed ? (fixedCharge ? fixed.powerKw : 0) : b.maxChargeKw;
      const c = col(`c${k}_${t}`, 0, cMax, fixedCharge ? -fixed.penaltyPerKwh * h : 0);
      // A station's discharge only ever carries the P2 load (it cannot export).
      const dMax = fixed ? (fixedDischarge ? fixed.powerKw : 0) : dischargeCapKw(b, t);
      const d = col(`d${k}_${t}`, 0, dMax, b.cycleCostPerKwh * h - (fixedDischarge ? fixed.penaltyPerKwh * h : 0));
      if (fixed) offset += fixed.penaltyPerKwh * h * fixed.powerKw;
      // Off-grid, stored energy is also worth a little for every hour it stays stored (OFF_GRID_HOLD_VALUE).
      const hold = off ? -off.holdValuePerKwhHour * h : 0;
      const e = col(`e${k}_${t}`, b.minKwh, b.maxKwh, (t === n - 1 ? -p.terminalValuePerKwh : 0) + hold);
      vars.charge[k]!.push(c);
      vars.discharge[k]!.push(d);
      vars.stored[k]!.push(e);
      bCols.push(d, c);
      bCoefs.push(1, -1);
      // e_t − e_{t−1} − ηc·h·c + h/ηd·d = 0 (e_{−1} is the constant initial energy).
      const prev = t > 0 ? vars.stored[k]![t - 1]! : -1;
      const eCols = prev >= 0 ? [e, prev, c, d] : [e, c, d];
      const eCoefs =
        prev >= 0
          ? [1, -1, -b.chargeEfficiency * h, h / b.dischargeEfficiency]
          : [1, -b.chargeEfficiency * h, h / b.dischargeEfficiency];
      if (b.station) {
        // The station's own PV (P4) charges it through the same charger and may be left unused.
        const pv = col(`pv${k}_${t}`, 0, privatePvKw(b, t), 0);
        vars.stationPv[k]!.push(pv);
        eCols.push(pv);
        eCoefs.push(-b.chargeEfficiency * h);
      } else vars.stationPv[k]!.push(-1);
      const rhs = prev >= 0 ? 0 : b.initialKwh;
      lp.addRow(rhs, rhs, eCols, eCoefs);
      // A hold up to a SOC charges no further than that SOC.
      if (fixed?.upToKwh !== null && fixed?.upToKwh !== undefined) lp.addRow(-INF, fixed.upToKwh, [e], [1]);

      // A station whose P1 relay is on/off charges at exactly its grid-charging power or not at all
      // (under an override it charges while it has room: the average power may be less).
      const onOff = b.station?.gridChargeMode === 'on_off' && !fixed;
      if ((options.chargeModeBinary[k]?.[t] && !fixed) || onOff) {
        const z = col(`zc${k}_${t}`, 0, 1, 0, true);
        vars.chargeMode[k]!.push(z);
        lp.addRow(onOff ? 0 : -INF, 0, [c, z], [1, -b.maxChargeKw]);
        lp.addRow(-INF, dMax, [d, z], [1, dMax]);
      } else vars.chargeMode[k]!.push(-1);
    });

    if (p.ev) {
      const max = p.ev.maxKw[t] ?? 0;
      const usable = max > 0 && max >= p.ev.minKw;
      const ev = col(`ev_${t}`, 0, usable ? max : 0, 0);
      vars.ev.push(ev);
      bCols.push(ev);
      bCoefs.push(-1);
      if (usable && p.ev.minKw > 0 && options.evBinary[t]) {
        const on = col(`evon_${t}`, 0, 1, 0, true);
        vars.evOn.push(on);
        lp.addRow(-INF, 0, [ev, on], [1, -max]);
        lp.addRow(0, INF, [ev, on], [1, -p.ev.minKw]);
      } else vars.evOn.push(-1);
    }

    p.deferrables.forEach((d, k) => {
      if (t >= d.startIndex && t < d.endIndex) {
        const block = Math.max(1, options.deferrableBlocks?.[k] ?? 1);
        const shared = (t - d.startIndex) % block !== 0 ? vars.deferrableOn[k]![t - 1] : undefined;
        if (shared !== undefined && shared >= 0) {
          // Inside a block: the block's column, excluded as a whole if any interval of it is excluded.
          if (p.deferrableBlocked[t]) lp.setUpper(shared, 0);
          vars.deferrableOn[k]!.push(shared);
          bCols.push(shared);
          bCoefs.push(-d.powerKw);
          return;
        }
        // An excluded interval (a demand-response event) keeps the column, fixed off.
        // Off-grid, a run is worth something (it is no longer a must): see OFF_GRID_LOAD_VALUE.
        const on = col(
          `def${k}_${t}`,
          0,
          p.deferrableBlocked[t] ? 0 : 1,
          off ? -off.loadValuePerKwh * d.powerKw * h : 0,
          options.deferrableInteger[k]?.[t] ?? false,
        );
        vars.deferrableOn[k]!.push(on);
        bCols.push(on);
        bCoefs.push(-d.powerKw);
      } else vars.deferrableOn[k]!.push(-1);
    });

    if (off) {
      // Load the batteries cannot carry: the house goes dark for that share (priced so it is the last resort).
      const u = col(`uns_${t}`, 0, (p.loadKw[t] ?? 0) + (p.ev?.maxKw[t] ?? 0), (off.unservedPenaltyPerKwh[t] ?? 0) * h);
      vars.unserved.push(u);
      bCols.push(u);
      bCoefs.push(1);
      // Σ stored at the end of t + shortfall ≥ reserve (soft, per interval).
      const floor = p.batteries.reduce((sum, b) => sum + b.minKwh, 0);
      const r = col(`res_${t}`, 0, Math.max(0, off.reserveKwh - floor), off.reservePenaltyPerKwh);
      vars.reserveShortfall.push(r);
      const es = p.batteries.map((_, k) => vars.stored[k]![t]!);
      lp.addRow(off.reserveKwh, INF, [...es, r], [...es.map(() => 1), 1]);
    } else {
      vars.unserved.push(-1);
      vars.reserveShortfall.push(-1);
    }

    const net = (p.loadKw[t] ?? 0) - (p.solarKw[t] ?? 0);
    lp.addRow(net, net, bCols, bCoefs);

    if (options.importModeBinary[t]) {
      const w = col(`zi_${t}`, 0, 1, 0, true);
      vars.importMode.push(w);
      lp.addRow(-INF, 0, [imp, w], [1, -importBound(p, t)]);
      lp.addRow(-INF, exportBound(p, t), [exp, w], [1, exportBound(p, t)]);
    } else vars.importMode.push(-1);

    // allow_grid_charging = false: charge + curtail ≤ max(0, solar − load); same shape for export.
    // A fixed power is what the person asked for: these rules leave it out.
    if (!p.allowGridCharging) {
      const cs = p.batteries.flatMap((_, k) => (fixedAt(p, k, t) ? [] : [vars.charge[k]![t]!]));
      lp.addRow(-INF, solarSurplusKw(p, t), [...cs, cur], [...cs.map(() => 1), 1]);
    }
    if (!p.allowBatteryExport) {
      const ds = p.batteries.flatMap((_, k) =>
        fixedAt(p, k, t)?.kind === 'discharge' ? [vars.discharge[k]![t]!] : [],
      );
      lp.addRow(-INF, solarSurplusKw(p, t), [exp, cur, ...ds], [1, 1, ...ds.map(() => -1)]);
    }
  }

  if (p.ev && p.ev.energyNeededKwh > 0) {
    const cols = vars.ev.slice(0, p.ev.deadlineIndex);
    lp.addRow(
      p.ev.energyNeededKwh,
      INF,
      cols,
      cols.map(() => p.ev!.chargeEfficiency * h),
    );
  }

  p.deferrables.forEach((d, k) => {
    const cols = vars.deferrableOn[k]!.filter((c) => c >= 0);
    // Off-grid the run time is what the load may run, not what it must: a dark day runs it less.
    lp.addRow(
      off ? 0 : d.runIntervals,
      d.runIntervals,
      cols,
      cols.map(() => 1),
    );
    minOnOffRows(lp, vars.deferrableOn[k]!, d.minOnIntervals, d.minOffIntervals);
  });

  // Σ stored at the start of `index` + shortfall ≥ min; index 0 is the energy stored now (a constant).
  for (const [i, target] of p.energyTargets.entries()) {
    const s = col(`short${i}`, 0, INF, target.penaltyPerKwh);
    vars.shortfall.push(s);
    if (target.index === 0) {
      const now = target.batteries.reduce((sum, k) => sum + (p.batteries[k]?.initialKwh ?? 0), 0);
      lp.addRow(target.minKwh - now, INF, [s], [1]);
    } else {
      const cols = target.batteries.map((k) => vars.stored[k]![target.index - 1]!);
      lp.addRow(target.minKwh, INF, [...cols, s], [...cols.map(() => 1), 1]);
    }
  }

  let peak = -1;
  if (p.demandCharge) {
    peak = col('peak', p.demandCharge.peakSoFarKw, INF, p.demandCharge.costPerKw);
    for (let t = 0; t < n; t++) {
      if (p.demandCharge.mask[t]) lp.addRow(0, INF, [peak, vars.gridImport[t]!], [1, -1]);
    }
  }

  lp.offset = offset;

  return { lp: lp.build(), vars: { ...vars, peak } };
}

/**
 * Minimum on and off times of a deferrable load as rows on its on/off columns (`on[t]`, -1 outside
 * the window, which counts as off): a start at t (on[t] − on[t−1] = 1) keeps it on through
 * t + minOn − 1, so on[t] − on[t−1] − on[t+k] ≤ 0 for k < minOn; a stop at t keeps it off through
 * t + minOff − 1, so on[t−1] − on[t] + on[t+k] ≤ 1. A run may not start where it cannot last its
 * minimum before the window closes. Before the plan's first interval the load counts as off.
 */
function minOnOffRows(lp: LpBuilder, on: readonly number[], minOn: number, minOff: number): void {
  const col = (t: number): number => (t >= 0 && t < on.length ? (on[t] ?? -1) : -1);
  for (let t = 0; t < on.length; t++) {
    const here = col(t);
    if (here < 0) continue;
    const before = col(t - 1);
    for (let k = 1; k < minOn; k++) {
      const later = col(t + k);
      const cols = [here, ...(before >= 0 ? [before] : []), ...(later >= 0 ? [later] : [])];
      const coefs = [1, ...(before >= 0 ? [-1] : []), ...(later >= 0 ? [-1] : [])];
      lp.addRow(-INF, 0, cols, coefs);
    }
    if (before < 0) continue;
    for (let k = 1; k < minOff; k++) {
      const later = col(t + k);
      if (later < 0) break;
      lp.addRow(-INF, 1, [before, here, later], [1, -1, 1]);
    }
  }
}
