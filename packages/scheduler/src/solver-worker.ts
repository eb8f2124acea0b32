/**
 * The solver's thread (worker_threads entry, run from dist/ by `SolverWorkerScheduler`). A solve is
 * hundreds of milliseconds of CPU here and seconds on a Raspberry Pi; on the add-on's main thread
 * it stops every device poll, the HA connection and the web panel for that long, and a device
 * whose answer sat unread past its transport's timeout was reported unavailable. Here it blocks
 * nobody but itself. HiGHS is loaded once per worker, like on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { getHighs } from './highs-runtime.js';
import { planWithHighs } from './plan-scenario.js';
import { solveReplySchema, solveRequestSchema, type SolveReply } from './solver-messages.js';

const port = parentPort;
if (port === null) throw new Error('solver-worker.js runs as a worker thread (SolverWorkerScheduler starts it)');

port.on('message', (raw: unknown) => {
  void answer(raw).then((reply) => port.postMessage(solveReplySchema.parse(reply)));
});

async function answer(raw: unknown): Promise<SolveReply> {
  const request = solveRequestSchema.safeParse(raw);
  if (!request.success) return { id: -1, ok: false, message: `bad solve request: ${request.error.message}` };
  const { id, scenario, options } = request.data;
  try {
    const highs = await getHighs();
    const plan = planWithHighs(highs, scenario, {
      ...(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs }),
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
      ...(options.smooth === undefined ? {} : { smooth: options.smooth }),
      ...(options.smoothingTolerance === undefined ? {} : { smoothingTolerance: options.smoothingTolerance }),
      ...(options.nowMs === undefined ? {} : { now: new Date(options.nowMs) }),
    });
    return { id, ok: true, plan };
  } catch (err) {
    return { id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
