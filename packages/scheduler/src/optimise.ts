import type { Highs } from 'highs';
import { BLOCK_ATTEMPTS, deferrableBlocks, roundLoadsInOrder } from './block-rounding.js';
import { emptyDispatch, evaluateDispatch, penalisedObjective, type Dispatch } from './dispatch.js';
import { HighsSession, type LpOutcome, type LpSolveOptions } from './highs-session.js';
import { buildBatteryLpModel, type BatteryLpModel, type LpVariables } from './lp-model.js';
import { netSimultaneousFlows } from './netting.js';
import { searchOnOff, type OnOffDecision } from './onoff-search.js';
import type { PlanningProblem } from './problem.js';
import { smoothInPlace } from './smoothing.js';

/**
 * Optimality budget. The contract allows 0.1 % of max(1, |optimum|). The on/off decisions may
 * use MIP_GAP of it; plan smoothing may then spend whatever is left up to SMOOTHING_TOLERANCE
 * above the proved lower bound (so smoothing gets the most room when the LP needs no integers).
 */
export const MIP_GAP = 4e-4;
export const SMOOTHING_TOLERANCE = 9e-4;
/**
 * A searched rounding (onoff-search.ts) is accepted within this share of the relaxation's bound:
 * inside the contract's 0.1 %, and smoothing then has what is left up to SMOOTHING_TOLERANCE.
 */
export const SEARCH_GAP = 8e-4;
/** Off-grid roundings tried before the search: the relaxation's run, then shorter ones. */
const OFF_GRID_RUN_SHARES = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.6, 0.5, 0.25] as const;
/** Warm LP re-solves the on/off search may spend on branching before HiGHS' MIP takes over. */
const SEARCH_NODES = 60;
const FRACTION_TOLERANCE = 1e-6;
const MAX_PASSES = 8;

export type OptimiseResult =
  | {
      readonly kind: 'optimal';
      readonly dispatch: Dispatch;
      /** The contract objective plus any energy target's shortfall penalty (what the LP minimises). */
      readonly objective: number;
      /** A proved lower bound on the true optimum. */
      readonly lowerBound: number;
      readonly solves: number;
      /** How the on/off decisions were settled. */
      readonly method: Method;
      readonly smoothed: boolean;
    }
  | { readonly kind: 'infeasible' }
  | { readonly kind: 'time_limit'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

export interface OptimiseOptions {
  /** Wall-clock budget for all solves together. */
  readonly timeLimitMs: number;
  /** Run the second, smoothing stage (default true). */
  readonly smooth?: boolean;
  /**
   * How far above the proved lower bound (share of max(1, |bound|)) smoothing may go. Default
   * SMOOTHING_TOLERANCE keeps the plan within the contract's 0.1 %; a controller that values
   * calm plans more than the last 0.1 % may pass more.
   */
  readonly smoothingTolerance?: number;
}

type Bounds = Map<number, readonly [number, number]>;

/**
 * lp: the relaxation needed no rounding; blocks: deferrable loads rounded on switching blocks
 * (block-rounding.ts) and the EV searched; search: the warm on/off search on the exact relaxation;
 * rounding: a MIP's rounding; mip: HiGHS' branch and bound.
 */
type Method = 'lp' | 'blocks' | 'rounding' | 'search' | 'mip';

/**
 * Off-grid, a rounding of the loads' on/off decisions is accepted within the value of one interval
 * of the largest load's run, and at least a quarter of an hour of it (its load value × power ×
 * max(interval, 15 min)), of the relaxation's bound. The
 * objective there is in value units whose only job is the order unserved ≫ reserve > stored > load
 * runs; the loads' equal value in every interval of their windows makes the MIP highly symmetric
 * (the seed house's 48 h at 30 min took HiGHS 14 s to prove a 0.04 % gap; at 5 min with minimum on
 * times 13.6 s of CPU), and one interval of a load's run is far below what the forecasts can promise.
 * HiGHS' absolute MIP gap is widened to it too. 0 on the grid (the 0.1 % contract holds).
 */
function offGridSlack(p: PlanningProblem): number {
  if (!p.offGrid) return 0;
  let kw = 0;
  for (const d of p.deferrables) kw = Math.max(kw, d.powerKw);
  return p.offGrid.loadValuePerKwh * kw * Math.max(p.hours, 0.25);
}

/** Which on/off and exclusivity decisions carry integers in the current pass. */
interface IntegerSets {
  readonly cd: boolean[][];
  readonly ie: boolean[];
  readonly ev: boolean[];
  readonly def: boolean[][];
}

/** Before any solve: exclusivity binaries only where the price data makes simultaneous flows pay. */
function initialSets(p: PlanningProblem): IntegerSets {
  return {
    // Burning energy in round-trip losses earns money only when importing is paid for.
    // A station whose P1 relay is on/off needs its binary everywhere (0 or the fixed charging power).
    cd: p.batteries.map((b) =>
      p.importPrice.map((price) => (price < 0 && !p.offGrid) || b.station?.gridChargeMode === 'on_off'),
    ),
    // Importing and exporting at once earns money only when export pays more than import costs.
    ie: p.importPrice.map((price, t) => !p.offGrid && (p.exportPrice[t] ?? 0) > price),
    ev: new Array<boolean>(p.n).fill(false),
    def: p.deferrables.map(() => new Array<boolean>(p.n).fill(false)),
  };
}

function markAllOnOff(p: PlanningProblem, sets: IntegerSets): void {
  sets.ev.fill(true);
  p.deferrables.forEach((d, k) => {
    for (let t = d.startIndex; t < d.endIndex; t++) sets.def[k]![t] = true;
  });
}

function extractDispatch(p: PlanningProblem, v: LpVariables, x: Float64Array): Dispatch {
  const d = emptyDispatch(p);
  const val = (i: number): number => (i >= 0 ? Math.max(0, x[i] ?? 0) : 0);
  for (let t = 0; t < p.n; t++) {
    d.gridImportKw[t] = val(v.gridImport[t]!);
    d.gridExportKw[t] = val(v.gridExport[t]!);
    d.curtailKw[t] = val(v.curtail[t]!);
    d.evKw[t] = p.ev ? val(v.ev[t]!) : 0;
    d.unservedKw[t] = val(v.unserved[t]!);
    p.batteries.forEach((_, k) => {
      d.chargeKw[k]![t] = val(v.charge[k]![t]!);
      d.dischargeKw[k]![t] = val(v.discharge[k]![t]!);
      d.stationPvKw[k]![t] = val(v.stationPv[k]![t]!);
    });
    p.deferrables.forEach((def, k) => {
      d.deferrableKw[k]![t] = Math.round(val(v.deferrableOn[k]![t]!)) * def.powerKw;
    });
  }
  return d;
}

/** EV intervals drawing more than 0 but less than min_kw, and deferrable loads half on. */
function onOffGaps(p: PlanningProblem, v: LpVariables, x: Float64Array): { ev: number[]; def: number[][] } {
  const ev: number[] = [];
  if (p.ev && p.ev.minKw > 0) {
    v.ev.forEach((c, t) => {
      const kw = x[c] ?? 0;
      if (kw > FRACTION_TOLERANCE && kw < p.ev!.minKw - FRACTION_TOLERANCE) ev.push(t);
    });
  }
  const def = v.deferrableOn.map((row) =>
    row.flatMap((c, t) => {
      const on = c >= 0 ? (x[c] ?? 0) : 0;
      return on > FRACTION_TOLERANCE && on < 1 - FRACTION_TOLERANCE ? [t] : [];
    }),
  );
  return { ev, def };
}

/**
 * The on/off decisions of a solution as fixed bounds: integers and deferrable switches fixed, each
 * EV interval either off (0) or on (min_kw…max). `evRoundUp` decides EV intervals below min_kw.
 */
function decisionsOf(
  p: PlanningProblem,
  m: BatteryLpModel,
  x: Float64Array,
  evRoundUp: boolean,
  /** Off-grid: the share of the relaxation's run to round to (1 = all of it). */
  runShare = 1,
): Bounds {
  const bounds: Bounds = new Map();
  m.lp.integrality.forEach((flag, i) => {
    if (flag !== 0) bounds.set(i, [Math.round(x[i] ?? 0), Math.round(x[i] ?? 0)]);
  });
  p.deferrables.forEach((d, k) => {
    // The run_intervals most-on intervals, cheaper first on ties.
    const all = m.vars.deferrableOn[k]!.map((c, t) => ({ c, t })).filter(({ c }) => c >= 0);
    // Intervals a demand-response event excludes stay off whatever the relaxation's ties say.
    for (const { c, t } of all) if (p.deferrableBlocked[t]) bounds.set(c, [0, 0]);
    const cols = all.filter(({ t }) => !p.deferrableBlocked[t]);
    if (p.offGrid && (d.minOnIntervals > 1 || d.minOffIntervals > 1)) {
      const on = blockRounding(cols, x, d, runShare);
      cols.forEach(({ c }, i) => bounds.set(c, on[i] ? [1, 1] : [0, 0]));
      return;
    }
    cols.sort((a, b) => (x[b.c] ?? 0) - (x[a.c] ?? 0) || (p.importPrice[a.t] ?? 0) - (p.importPrice[b.t] ?? 0));
    // Off-grid the run is "up to": as many intervals as the relaxation ran, rounded.
    const runs = p.offGrid
      ? Math.min(d.runIntervals, Math.round(runShare * cols.reduce((s, { c }) => s + (x[c] ?? 0), 0)))
      : d.runIntervals;
    cols.forEach(({ c }, rank) => bounds.set(c, rank < runs ? [1, 1] : [0, 0]));
  });
  if (p.ev && p.ev.minKw > 0) {
    const ev = p.ev;
    m.vars.ev.forEach((c, t) => {
      const max = ev.maxKw[t] ?? 0;
      if (max < ev.minKw) return;
      const kw = x[c] ?? 0;
      const on = kw >= ev.minKw - FRACTION_TOLERANCE || (evRoundUp && kw > FRACTION_TOLERANCE);
      bounds.set(c, on ? [ev.minKw, max] : [0, 0]);
    });
  }
  return bounds;
}

/**
 * Off-grid: a load's run rounded from the relaxation in blocks of at least its minimum on time,
 * placed where the relaxation ran it most (`cols` in time order, possibly with gaps where an
 * exclusion blocks it). As many intervals as the relaxation ran (rounded, at most the run); a block
 * closer than the minimum off time to another is merged with it while the run allows. A rounding
 * that still breaks a rule is simply infeasible: the caller then lets HiGHS branch.
 */
function blockRounding(
  cols: readonly { c: number; t: number }[],
  x: Float64Array,
  d: PlanningProblem['deferrables'][number],
  runShare: number,
): boolean[] {
  const m = cols.length;
  const on = new Array<boolean>(m).fill(false);
  const value = (i: number): number => x[cols[i]!.c] ?? 0;
  const total = runShare * cols.reduce((sum, _, i) => sum + value(i), 0);
  let runs = Math.min(d.runIntervals, m, Math.round(total));
  // A run shorter than the minimum on time is no run: all of the minimum, or nothing.
  if (runs > 0 && runs < d.minOnIntervals) runs = total >= d.minOnIntervals / 2 ? Math.min(m, d.minOnIntervals) : 0;
  const contiguous = (i: number): boolean => i > 0 && cols[i]!.t === cols[i - 1]!.t + 1;
  let count = 0;
  const set = (i: number): void => {
    if (!on[i]) {
      on[i] = true;
      count += 1;
    }
  };
  while (count < runs) {
    const left = runs - count;
    // The best unchosen interval next to a block: extending keeps the minimum on time.
    let extend = -1;
    for (let i = 0; i < m; i++) {
      if (on[i]) continue;
      const touches = (i > 0 && on[i - 1] && contiguous(i)) || (i + 1 < m && on[i + 1] && contiguous(i + 1));
      if (touches && (extend < 0 || value(i) > value(extend))) extend = i;
    }
    // A new block of the minimum length where the relaxation ran most.
    const length = Math.min(d.minOnIntervals, left);
    let start = -1;
    let startValue = -Infinity;
    if (length >= d.minOnIntervals) {
      for (let i = 0; i + length <= m; i++) {
        let ok = true;
        let v = 0;
        for (let k = i; k < i + length; k++) {
          if (on[k] || (k > i && !contiguous(k))) ok = false;
          v += value(k);
        }
        if (ok && v > startValue) {
          start = i;
          startValue = v;
        }
      }
    }
    if (start >= 0 && (extend < 0 || startValue / length > value(extend) + 1e-9)) {
      for (let k = start; k < start + length; k++) set(k);
    } else if (extend >= 0) set(extend);
    else break;
    // A pause shorter than the minimum off time between two blocks is filled while the run allows.
    for (let i = 0; i < m && count < runs; i++) {
      if (!on[i] || i + 1 >= m || on[i + 1]) continue;
      let j = i + 1;
      while (j < m && !on[j]) j++;
      if (j < m && j - i - 1 < d.minOffIntervals && j - i - 1 <= runs - count) for (let k = i + 1; k < j; k++) set(k);
    }
  }
  return on;
}

/** The relaxation's on/off decisions (EV intervals that can reach min_kw, deferrable intervals). */
function onOffDecisions(p: PlanningProblem, m: BatteryLpModel, withDeferrables = true): OnOffDecision[] {
  const free = (c: number): readonly [number, number] => [m.lp.colLower[c] ?? 0, m.lp.colUpper[c] ?? 0];
  const decisions: OnOffDecision[] = [];
  if (p.ev && p.ev.minKw > 0) {
    const min = p.ev.minKw;
    m.vars.ev.forEach((c, t) => {
      const max = p.ev!.maxKw[t] ?? 0;
      if (max < min) return;
      const share = (x: Float64Array): number => {
        const kw = x[c] ?? 0;
        return kw <= FRACTION_TOLERANCE ? 0 : kw >= min - FRACTION_TOLERANCE ? 1 : kw / min;
      };
      decisions.push({ col: c, off: [0, 0], on: [min, max], free: free(c), share });
    });
  }
  for (const row of withDeferrables ? m.vars.deferrableOn : []) {
    for (const [t, c] of row.entries()) {
      if (c < 0 || p.deferrableBlocked[t]) continue;
      const share = (x: Float64Array): number => {
        const on = x[c] ?? 0;
        return on <= FRACTION_TOLERANCE ? 0 : on >= 1 - FRACTION_TOLERANCE ? 1 : on;
      };
      decisions.push({ col: c, off: [0, 0], on: [1, 1], free: free(c), share });
    }
  }
  return decisions;
}

interface Candidate {
  readonly model: BatteryLpModel;
  /** The live HiGHS model that produced it (stage 2 re-solves it warm). */
  readonly session: HighsSession;
  readonly out: Extract<LpOutcome, { kind: 'optimal' }>;
  readonly dispatch: Dispatch;
  readonly objective: number;
}

/**
 * Stage 1: the contract optimum. On/off decisions (EV minimum power, deferrable loads) start
 * relaxed; when the relaxation gets them wrong, its rounding is tried first and accepted if it is
 * provably within MIP_GAP of the relaxation's bound; only otherwise does HiGHS branch on them.
 * Charge/discharge and import/export exclusivity get binaries only where a solution needed them
 * (see README, "Simultaneous flows").
 * Stage 2: among plans within SMOOTHING_TOLERANCE of that optimum and with the same on/off
 * decisions, the one whose battery power changes least, so price noise does not make plans flap.
 */
export function optimiseDispatch(highs: Highs, p: PlanningProblem, options: OptimiseOptions): OptimiseResult {
  // Every native model of this plan, disposed at the end (the Wasm heap is not garbage collected).
  const sessions: HighsSession[] = [];
  try {
    return optimiseWith(highs, p, options, sessions);
  } finally {
    for (const s of sessions) s.dispose();
  }
}

function optimiseWith(
  highs: Highs,
  p: PlanningProblem,
  options: OptimiseOptions,
  sessions: HighsSession[],
): OptimiseResult {
  const deadline = performance.now() + options.timeLimitMs;
  const open = (lp: BatteryLpModel['lp']): HighsSession => {
    const session = new HighsSession(highs, lp);
    sessions.push(session);
    return session;
  };
  const solveOptions = (): LpSolveOptions => ({
    timeLimitSeconds: Math.max(0.001, (deadline - performance.now()) / 1000),
    mipRelGap: MIP_GAP,
    // Off-grid HiGHS may stop within one interval of a load's run too (offGridSlack).
    mipAbsGap: Math.max(MIP_GAP, offGridSlack(p)),
  });
  const sets = initialSets(p);
  let solves = 0;
  let lowerBound = -Infinity;
  let fullMip = false;

  /** Solves the model with on/off decisions fixed; a clean candidate or null. */
  const solveRounded = (colBounds: Bounds): Candidate | null => {
    const model = buildBatteryLpModel(p, {
      chargeModeBinary: sets.cd,
      importModeBinary: sets.ie,
      evBinary: sets.ev,
      deferrableInteger: sets.def,
      colBounds,
    });
    const session = open(model.lp);
    const out = session.solve(solveOptions());
    solves += 1;
    if (out.kind !== 'optimal') return null;
    const dispatch = extractDispatch(p, model.vars, out.x);
    const netting = netSimultaneousFlows(p, dispatch);
    if (netting.unresolvedChargeDischarge.length > 0 || netting.unresolvedImportExport.length > 0) return null;
    return { model, session, out, dispatch, objective: penalisedObjective(p, dispatch) };
  };

  /**
   * The deferrable loads on switching blocks (block-rounding.ts): a relaxation of the blocked model,
   * its loads rounded one by one, then the EV's on/off search, all warm on one live model. A
   * restriction of the exact model, so it is kept only when provably near-optimal: within `limit`
   * (SEARCH_GAP above the exact relaxation's bound). Otherwise null and the exact search follows.
   */
  const solveInBlocks = (limit: number, blocks: readonly number[]): Candidate | null => {
    const model = buildBatteryLpModel(p, {
      chargeModeBinary: sets.cd,
      importModeBinary: sets.ie,
      evBinary: sets.ev,
      deferrableInteger: sets.def,
      deferrableBlocks: blocks,
    });
    const session = open(model.lp);
    try {
      const relaxed = session.solve(solveOptions());
      if (relaxed.kind !== 'optimal' || relaxed.objective > limit) return null;
      const rounded = roundLoadsInOrder(session, p, model.vars, model.lp.colUpper, relaxed, solveOptions);
      if (!rounded || rounded.objective > limit) return null;
      const found = searchOnOff(session, onOffDecisions(p, model, false), rounded, {
        limit,
        nodeLimit: SEARCH_NODES,
        solveOptions,
      });
      if (!found) return null;
      const dispatch = extractDispatch(p, model.vars, found.x);
      const netting = netSimultaneousFlows(p, dispatch);
      const objective = penalisedObjective(p, dispatch);
      const clean = netting.unresolvedChargeDischarge.length === 0 && netting.unresolvedImportExport.length === 0;
      return clean && objective <= limit ? { model, session, out: found, dispatch, objective } : null;
    } finally {
      solves += session.solves;
    }
  };

  let best: Candidate | null = null;
  let method: Method = 'lp';
  for (let pass = 0; pass < MAX_PASSES && !best; pass++) {
    // Solutions that keep needing exclusivity binaries get them everywhere, so the loop ends.
    if (pass === MAX_PASSES - 2) {
      sets.ie.fill(true);
      for (const row of sets.cd) row.fill(true);
    }
    const model = buildBatteryLpModel(p, {
      chargeModeBinary: sets.cd,
      importModeBinary: sets.ie,
      evBinary: sets.ev,
      deferrableInteger: sets.def,
    });
    const session = open(model.lp);
    const out = session.solve(solveOptions());
    solves += 1;
    if (out.kind === 'infeasible') return { kind: 'infeasible' };
    if (out.kind === 'time_limit')
      return { kind: 'time_limit', message: `HiGHS reached its time limit (${options.timeLimitMs} ms)` };
    if (out.kind === 'error') return out;
    // A MIP's objective is its incumbent; the bound lies up to the gap below it.
    const hasIntegers = model.lp.integrality.some((v) => v !== 0);
    const slack = hasIntegers ? Math.max(MIP_GAP * Math.max(1, Math.abs(out.objective)), offGridSlack(p)) : 0;
    lowerBound = Math.max(lowerBound, out.objective - slack);

    const dispatch = extractDispatch(p, model.vars, out.x);
    const netting = netSimultaneousFlows(p, dispatch);
    if (netting.unresolvedChargeDischarge.length > 0 || netting.unresolvedImportExport.length > 0) {
      for (const { battery, t } of netting.unresolvedChargeDischarge) sets.cd[battery]![t] = true;
      for (const t of netting.unresolvedImportExport) sets.ie[t] = true;
      continue;
    }
    const gaps = onOffGaps(p, model.vars, out.x);
    if (gaps.ev.length === 0 && gaps.def.every((g) => g.length === 0)) {
      best = { model, session, out, dispatch, objective: penalisedObjective(p, dispatch) };
      method = fullMip ? 'mip' : 'lp';
      break;
    }
    // A pure LP relaxation: search its roundings warm on the live model (onoff-search.ts) and keep
    // one that is provably near-optimal: within SEARCH_GAP of the relaxation's lower bound. Cheapest
    // first: the search's dive alone (a few warm re-solves; enough for most EV plans and loads with
    // minimum on/off times), then the loads on switching blocks (block-rounding.ts; what settles
    // issue 12's benchmark), then the dive again with the search's branch and bound.
    if (!hasIntegers) {
      const limit = lowerBound + Math.max(SEARCH_GAP * Math.max(1, Math.abs(lowerBound)), offGridSlack(p));
      // Off-grid, the loads' runs rounded into blocks that keep their minimum on/off times are tried
      // first: one LP, where the search below (interval by interval) mostly breaks a minimum on time.
      // A shorter run is tried when the full one would dip into the reserve (a relaxation spreads a
      // load thinly over the surplus; in blocks at full power some of it goes through the battery).
      if (p.offGrid) {
        for (const share of OFF_GRID_RUN_SHARES) {
          const rounded = solveRounded(decisionsOf(p, model, out.x, false, share));
          if (rounded && rounded.objective <= limit) {
            best = rounded;
            method = 'rounding';
            break;
          }
        }
        if (best) break;
      }
      const decisions = onOffDecisions(p, model);
      const search = (nodeLimit: number): Candidate | null => {
        // Every decision free again (an earlier search leaves the session fixed where it ended).
        session.changeBounds(new Map(decisions.map((d) => [d.col, d.free])));
        const before = session.solves;
        const found = searchOnOff(session, decisions, out, { limit, nodeLimit, solveOptions });
        solves += session.solves - before;
        if (!found) return null;
        const searched = extractDispatch(p, model.vars, found.x);
        const clean = netSimultaneousFlows(p, searched);
        const objective = penalisedObjective(p, searched);
        return clean.unresolvedChargeDischarge.length === 0 &&
          clean.unresolvedImportExport.length === 0 &&
          objective <= limit
          ? { model, session, out: found, dispatch: searched, objective }
          : null;
      };
      best = search(0);
      if (best) {
        method = 'search';
        break;
      }
      const tried: string[] = [];
      for (const minutes of gaps.def.some((g) => g.length > 0) ? BLOCK_ATTEMPTS : []) {
        const blocks = deferrableBlocks(p, minutes);
        if (!blocks || tried.includes(blocks.join())) continue;
        tried.push(blocks.join());
        best = solveInBlocks(limit, blocks);
        if (best) break;
      }
      if (best) {
        method = 'blocks';
        break;
      }
      best = search(SEARCH_NODES);
      if (best) {
        method = 'search';
        break;
      }
    } else {
      // Round the relaxation (EV intervals below min_kw off, then on) and keep a rounding that is
      // provably near-optimal: its objective is within MIP_GAP of the relaxation's lower bound.
      for (const roundUp of [false, true]) {
        const r = solveRounded(decisionsOf(p, model, out.x, roundUp));
        if (r && (!best || r.objective < best.objective)) best = r;
      }
    }
    if (best && best.objective <= lowerBound + Math.max(MIP_GAP * Math.max(1, Math.abs(lowerBound)), offGridSlack(p))) {
      method = 'rounding';
      break;
    }
    best = null;
    markAllOnOff(p, sets);
    fullMip = true;
  }
  if (!best) return { kind: 'error', message: 'the exclusivity and on/off decisions did not settle' };

  const stageOne = best;
  const result = (c: Candidate, smoothed: boolean): OptimiseResult => ({
    kind: 'optimal',
    dispatch: c.dispatch,
    objective: c.objective,
    lowerBound: Math.min(lowerBound, stageOne.objective),
    solves,
    method,
    smoothed,
  });
  // Off-grid the battery is never forced (every action is its own mode), so a calm power profile buys
  // nothing, while the tolerance (a share of an objective made of large penalties) could move when the
  // house goes dark: no smoothing.
  if (options.smooth === false || p.offGrid) return result(stageOne, false);

  const bound = Math.min(lowerBound, stageOne.out.objective);
  const tolerance = options.smoothingTolerance ?? SMOOTHING_TOLERANCE;
  // The share is of the plan's money (the contract objective), not of the penalties: an override or
  // energy target that cannot be met in full must not widen what smoothing may spend.
  const scale = Math.max(1, Math.abs(evaluateDispatch(p, stageOne.dispatch).objective));
  const cap = Math.max(stageOne.out.objective, bound + tolerance * scale);
  // Stage 2 needs an LP basis: a stage-1 MIP is re-solved once as the LP with its decisions fixed.
  let base: Candidate | null = stageOne;
  if (stageOne.session.hasIntegers) {
    const fixedModel = buildBatteryLpModel(p, {
      chargeModeBinary: sets.cd,
      importModeBinary: sets.ie,
      evBinary: sets.ev,
      deferrableInteger: sets.def,
      colBounds: decisionsOf(p, stageOne.model, stageOne.out.x, false),
    });
    const session = open(fixedModel.lp);
    const out = session.solve(solveOptions());
    solves += 1;
    base = out.kind === 'optimal' ? { ...stageOne, model: fixedModel, session, out } : null;
  }
  if (!base) return result(stageOne, false);
  // A relaxation that already respected the on/off rules keeps its decisions during smoothing.
  // (A searched rounding is already fixed in place.)
  if (!stageOne.session.hasIntegers && method === 'lp') {
    stageOne.session.changeBounds(decisionsOf(p, stageOne.model, stageOne.out.x, false));
  }
  const smoothFrom = base;
  const smoothed = smoothInPlace(
    smoothFrom.session,
    p,
    smoothFrom.model.vars,
    smoothFrom.model.lp,
    smoothFrom.out,
    cap,
    solveOptions,
    (x) => {
      solves += 1;
      const smooth = extractDispatch(p, smoothFrom.model.vars, x);
      const netting = netSimultaneousFlows(p, smooth);
      const objective = penalisedObjective(p, smooth);
      const clean = netting.unresolvedChargeDischarge.length === 0 && netting.unresolvedImportExport.length === 0;
      return clean && objective <= cap + 1e-6 ? { ...smoothFrom, dispatch: smooth, objective } : null;
    },
  );
  // Smoothing is a refinement: if it fails, the stage-1 optimum stands.
  return smoothed ? result(smoothed, true) : result(stageOne, false);
}
