import { z } from 'zod';
import { Plan } from './plan.js';

/**
 * What crosses the thread boundary between `SolverWorkerScheduler` and solver-worker.ts. Checked on
 * both sides like every other edge: a message from an older or broken worker is a clear error, not a
 * plan the controller would act on.
 */
export const solveRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  /** Already validated against the scenario contract on the caller's side (a ScenarioError stays there). */
  scenario: z.record(z.string(), z.unknown()),
  options: z.object({
    nowMs: z.number().optional(),
    timeLimitMs: z.number().positive().optional(),
    timeZone: z.string().optional(),
    smooth: z.boolean().optional(),
    smoothingTolerance: z.number().nonnegative().optional(),
  }),
});
export type SolveRequest = z.infer<typeof solveRequestSchema>;

export const solveReplySchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), plan: Plan }),
  z.object({ id: z.number().int(), ok: z.literal(false), message: z.string() }),
]);
export type SolveReply = z.infer<typeof solveReplySchema>;
