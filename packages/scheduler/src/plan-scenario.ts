import type { Highs } from 'highs';
import { firstLimitViolation } from './dispatch.js';
import { explainInfeasibility, obviousInfeasibility } from './diagnose.js';
import { scenarioErrorFromZod } from './errors.js';
import { greedyDispatch } from './greedy.js';
import { getHighs, loadedHighs } from './highs-runtime.js';
import { optimiseDispatch } from './optimise.js';
import { buildPlan, infeasiblePlan, type Plan } from './plan.js';
import { toProblem, type PlanningProblem } from './problem.js';
import { Scenario } from './scenario.js';
import { selfConsumptionDispatch } from './self-consumption.js';

export interface PlanOptions {
  /** Start of the plan when the scenario has no `start` (rounded down to the interval). Default: now. */
  readonly now?: Date;
  /** Budget for all solver calls; past it the greedy fallback is used. Default 10 s. */
  readonly timeLimitMs?: number;
  /** IANA zone for the clock times in reasons. Default UTC. */
  readonly timeZone?: string;
  /** Second-stage smoothing against flapping (default true). */
  readonly smooth?: boolean;
  /** Optimality share smoothing may spend (default 0.09 %, inside the contract's 0.1 %). */
  readonly smoothingTolerance?: number;
}

const DEFAULT_TIME_LIMIT_MS = 10_000;

/** Validates input against the scenario contract; throws ScenarioError naming the field. */
export function parseScenario(input: unknown): Scenario {
  const parsed = Scenario.safeParse(input);
  if (!parsed.success) throw scenarioErrorFromZod(parsed.error);
  return parsed.data;
}

function fallbackPlan(p: PlanningProblem, why: string, solveMs: number, timeZone: string): Plan {
  const baseline = selfConsumptionDispatch(p);
  const greedy = greedyDispatch(p);
  const greedyProblem = firstLimitViolation(p, greedy);
  if (greedyProblem === null) {
    return buildPlan(p, greedy, baseline, {
      status: 'fallback_greedy',
      solver: 'greedy',
      solveMs,
      reason: `${why}; using the greedy price-threshold plan`,
      timeZone,
    });
  }
  const baselineProblem = firstLimitViolation(p, baseline);
  return buildPlan(p, baseline, baseline, {
    status: 'fallback_self_consumption',
    solver: 'self_consumption',
    solveMs,
    reason:
      `${why}; the greedy plan breaks a limit (${greedyProblem}), so the battery stays in self-consumption` +
      (baselineProblem ? ` (which also breaks a limit: ${baselineProblem})` : ''),
    timeZone,
  });
}

/** Plans one scenario with an already loaded HiGHS runtime. */
export function planWithHighs(highs: Highs, input: unknown, options: PlanOptions = {}): Plan {
  const scenario = parseScenario(input);
  const timeZone = options.timeZone ?? 'UTC';
  const p = toProblem(scenario, (options.now ?? new Date()).getTime());
  const obvious = obviousInfeasibility(p, timeZone);
  if (obvious) return infeasiblePlan(p, obvious, 'none', 0);

  const started = performance.now();
  let result: ReturnType<typeof optimiseDispatch>;
  try {
    result = optimiseDispatch(highs, p, {
      timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
      ...(options.smooth !== undefined ? { smooth: options.smooth } : {}),
      ...(options.smoothingTolerance !== undefined ? { smoothingTolerance: options.smoothingTolerance } : {}),
    });
  } catch (e: unknown) {
    // A Wasm abort must not take the controller down: fall back like any other solver failure.
    result = { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  const solveMs = performance.now() - started;
  switch (result.kind) {
    case 'optimal': {
      const violation = firstLimitViolation(p, result.dispatch);
      if (violation) return fallbackPlan(p, `the solver's plan breaks a limit (${violation})`, solveMs, timeZone);
      return buildPlan(p, result.dispatch, selfConsumptionDispatch(p), {
        status: 'optimal',
        solver: 'highs',
        solveMs,
        reason: null,
        timeZone,
      });
    }
    case 'infeasible':
      return infeasiblePlan(p, explainInfeasibility(highs, p), 'highs', solveMs);
    case 'time_limit':
      return fallbackPlan(p, result.message, solveMs, timeZone);
    case 'error':
      return fallbackPlan(p, `the solver failed: ${result.message}`, solveMs, timeZone);
  }
}

/**
 * What the MPC loop plans with. `loadScheduler` answers on the spot (HiGHS on this thread: tests,
 * `sps plan`); the add-on's `SolverWorkerScheduler` answers later from a worker thread.
 */
export interface Scheduler {
  plan(input: unknown, options?: PlanOptions): Plan | Promise<Plan>;
  /** Releases what it holds (the worker thread); a solve in flight fails. */
  close?(): Promise<void>;
}

/** A scheduler bound to a loaded HiGHS runtime on this thread: `plan` answers synchronously. */
export interface SyncScheduler extends Scheduler {
  plan(input: unknown, options?: PlanOptions): Plan;
}

export async function loadScheduler(): Promise<SyncScheduler> {
  const highs = await getHighs();
  return {
    plan(input, options) {
      // Looked up on every call: the runtime is swapped for a fresh one if its heap grew too large.
      return planWithHighs(loadedHighs() ?? highs, input, options);
    },
  };
}

/**
 * The scenario contract's entry point (`sps plan --scenario FILE`): validates, solves, and returns
 * the plan. Throws ScenarioError (with `.field`) for a scenario that breaks the contract.
 */
export async function planScenario(input: unknown, options: PlanOptions = {}): Promise<Plan> {
  const scenario = parseScenario(input);
  return planWithHighs(await getHighs(), scenario, options);
}
