// The scenario contract and the public entry points (`sps plan`, the controller's MPC loop).
export * from './scenario.js';
export * from './errors.js';
export * from './plan.js';
export * from './plan-scenario.js';
export { SolverWorkerScheduler, loadSolverScheduler, solverWorkerFile } from './worker-scheduler.js';
export { formatPlanTable } from './format-table.js';
export type { PlanAction } from './actions.js';
export { ACTIONS } from './actions.js';
// Building blocks, for benchmarks and tests.
export {
  toProblem,
  defaultShortfallPenalty,
  type PlanningProblem,
  type BatteryParams,
  type StationParams,
  type EnergyTargetParams,
  type OffGridParams,
  OFF_GRID_LOAD_VALUE,
  OFF_GRID_STORED_VALUE,
  OFF_GRID_RESERVE_PENALTY,
  OFF_GRID_HOLD_VALUE,
} from './problem.js';
export { buildBatteryLpModel, type BatteryLpModel, type LpVariables, type ModelOptions } from './lp-model.js';
export type { SparseLp } from './lp-builder.js';
export {
  evaluateDispatch,
  firstLimitViolation,
  storedEnergy,
  targetShortfalls,
  offGridTerms,
  type Dispatch,
  type OffGridTerms,
} from './dispatch.js';
export { optimiseDispatch, type OptimiseResult, MIP_GAP, SMOOTHING_TOLERANCE } from './optimise.js';
export { selfConsumptionDispatch } from './self-consumption.js';
export { greedyDispatch } from './greedy.js';
export { syntheticScenario, seededRandom, type SyntheticOptions } from './synthetic.js';
export { getHighs, highsRuntimeStats, setHighsHeapLimit, type HighsRuntimeStats } from './highs-runtime.js';
export { solveWithHighs } from './highs-solve.js';
