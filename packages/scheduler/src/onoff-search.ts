import type { HighsSession, LpOutcome, LpSolveOptions } from './highs-session.js';

type Bounds = readonly [number, number];

/** One on/off decision of the relaxation (an EV interval, a deferrable load's interval) as column bounds. */
export interface OnOffDecision {
  readonly col: number;
  readonly off: Bounds;
  readonly on: Bounds;
  /** The relaxation's own bounds (both states allowed). */
  readonly free: Bounds;
  /** 0 = off, 1 = on, in between = undecided (how far towards on). */
  share(x: Float64Array): number;
}

export interface OnOffSearchOptions {
  /** Only solutions with an LP objective at or below this are of use (the acceptance limit). */
  readonly limit: number;
  /** LP re-solves allowed for the branch-and-bound part (0: the dive alone, abandoned once above `limit`). */
  readonly nodeLimit: number;
  readonly solveOptions: () => LpSolveOptions;
}

type Optimal = Extract<LpOutcome, { kind: 'optimal' }>;

const isUndecided = (v: number): boolean => v > 0 && v < 1;
/** Distance from the nearest decided state: 0 = as good as decided. */
const doubt = (v: number): number => Math.min(v, 1 - v);
const nearest = (d: OnOffDecision, v: number): Bounds => (v >= 0.5 ? d.on : d.off);

/**
 * A primal heuristic for the on/off decisions, run on the live relaxation so every step is a warm
 * dual simplex re-solve (a few ms) instead of a HiGHS MIP (whose root alone costs ~0.5 s on the
 * 48 h × 5 min EV plan, measured: with a near-optimal start it finishes in ~65 ms, so the time goes
 * into finding the incumbent).
 * 1. Dive: fix the most decided half of the undecided decisions to their nearest state, re-solve,
 *    repeat until none is undecided.
 * 2. If the dive is above `limit`: free the decisions where the dive and the relaxation disagree
 *    (the rest stay as both had them, as in RINS) and search them depth-first, nearest state first,
 *    pruning every node whose LP bound is above `limit` or the incumbent.
 * Returns the best decided solution found at or below `limit`, with the session's bounds fixed to it
 * and its last solve being that solution (so smoothing can continue from its basis), or null.
 */
export function searchOnOff(
  session: HighsSession,
  decisions: readonly OnOffDecision[],
  relaxed: Optimal,
  options: OnOffSearchOptions,
): Optimal | null {
  let current = relaxed;
  for (;;) {
    const undecided = decisions.filter((d) => isUndecided(d.share(current.x)));
    if (undecided.length === 0) break;
    const x = current.x;
    undecided.sort((a, b) => doubt(a.share(x)) - doubt(b.share(x)));
    const fix = new Map<number, Bounds>();
    for (const d of undecided.slice(0, Math.ceil(undecided.length / 2))) fix.set(d.col, nearest(d, d.share(x)));
    session.changeBounds(fix);
    const out = session.solve(options.solveOptions());
    if (out.kind !== 'optimal') return null;
    current = out;
    // Each dive step only fixes more, so its objective never falls again: with no branching
    // allowed, a dive already above the limit cannot end inside it.
    if (options.nodeLimit === 0 && current.objective > options.limit) return null;
  }
  const dive = current;
  let best: Optimal | null = dive.objective <= options.limit ? dive : null;
  const stateOf = (x: Float64Array): Map<OnOffDecision, number> => new Map(decisions.map((d) => [d, d.share(x)]));
  const diveState = stateOf(dive.x);

  if (!best) {
    const relaxedState = stateOf(relaxed.x);
    const free: OnOffDecision[] = [];
    const fix = new Map<number, Bounds>();
    for (const d of decisions) {
      const a = relaxedState.get(d)!;
      if (a === diveState.get(d) && !isUndecided(a)) fix.set(d.col, nearest(d, a));
      else {
        free.push(d);
        fix.set(d.col, d.free);
      }
    }
    session.changeBounds(fix);
    let nodes = 0;
    const branch = (): void => {
      if (nodes >= options.nodeLimit || best) return;
      const out = session.solve(options.solveOptions());
      nodes += 1;
      if (out.kind !== 'optimal' || out.objective > options.limit) return;
      const open = free.filter((d) => isUndecided(d.share(out.x)));
      if (open.length === 0) {
        best = out;
        return;
      }
      const pick = open.reduce((a, b) => (doubt(b.share(out.x)) < doubt(a.share(out.x)) ? b : a));
      const first = pick.share(out.x) >= 0.5 ? pick.on : pick.off;
      for (const bounds of [first, first === pick.on ? pick.off : pick.on]) {
        session.changeBounds(new Map([[pick.col, bounds]]));
        branch();
        if (best) return;
      }
      session.changeBounds(new Map([[pick.col, pick.free]]));
    };
    branch();
  }
  const found: Optimal | null = best;
  if (!found) return null;
  // Leave the session fixed at the solution found, re-solved (warm), as the caller's stage-1 model.
  const final = stateOf(found.x);
  session.changeBounds(new Map(decisions.map((d) => [d.col, nearest(d, final.get(d)!)])));
  const out = session.solve(options.solveOptions());
  return out.kind === 'optimal' ? out : null;
}
