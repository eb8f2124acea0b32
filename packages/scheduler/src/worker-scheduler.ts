import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadScheduler, parseScenario, type PlanOptions, type Scheduler } from './plan-scenario.js';
import type { Plan } from './plan.js';
import { solveReplySchema, type SolveRequest } from './solver-messages.js';

/**
 * Past the solve's own budget (`timeLimitMs`, default 10 s) plus this, the worker is taken for hung
 * (a Wasm runtime stuck in a loop): it is terminated, the solve fails like any solver failure (the
 * controller keeps its plan until it is stale, then falls back) and the next solve gets a new worker.
 */
const HUNG_MARGIN_MS = 30_000;
const DEFAULT_TIME_LIMIT_MS = 10_000;

/** The compiled worker entry: next to this file in dist/, or in dist/ when this runs from src/ (jest). */
export function solverWorkerFile(): string | null {
  const candidates = [
    path.join(__dirname, 'solver-worker.js'),
    path.resolve(__dirname, '..', 'dist', 'solver-worker.js'),
  ];
  return candidates.find((file) => existsSync(file)) ?? null;
}

interface Pending {
  readonly resolve: (plan: Plan) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Plans on a worker thread so the add-on's event loop keeps serving devices, Home Assistant and the
 * panel while HiGHS works (see solver-worker.ts). One worker, one solve at a time (HiGHS is single
 * threaded; a second solve would only compete for the same cores): callers queue. A worker that
 * dies or hangs fails the solve in flight with the reason and is replaced on the next call. The
 * scenario is checked here first, so a ScenarioError is thrown to the caller as with `loadScheduler`.
 */
export class SolverWorkerScheduler implements Scheduler {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly workerFile: string) {}

  plan(input: unknown, options: PlanOptions = {}): Promise<Plan> {
    parseScenario(input);
    const run = this.queue.then(() => this.solve(input, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the worker; a solve in flight fails with "closed". */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('the solver is closed'));
    if (worker) await worker.terminate();
  }

  private solve(input: unknown, options: PlanOptions): Promise<Plan> {
    if (this.closed) return Promise.reject(new Error('the solver is closed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const request: SolveRequest = {
      id,
      scenario: input as Record<string, unknown>,
      options: {
        nowMs: (options.now ?? new Date()).getTime(),
        ...(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs }),
        ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
        ...(options.smooth === undefined ? {} : { smooth: options.smooth }),
        ...(options.smoothingTolerance === undefined ? {} : { smoothingTolerance: options.smoothingTolerance }),
      },
    };
    const deadlineMs = (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS) + HUNG_MARGIN_MS;
    return new Promise<Plan>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`the solver did not answer within ${Math.round(deadlineMs / 1000)} s; its thread was restarted`),
        );
        this.discard(worker);
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerFile);
    // The add-on's shutdown does not wait for an idle solver thread.
    worker.unref();
    worker.on('message', (raw: unknown) => this.onReply(raw));
    worker.on('error', (err) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error(`the solver thread failed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error(`the solver thread stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private onReply(raw: unknown): void {
    const reply = solveReplySchema.safeParse(raw);
    if (!reply.success) {
      this.failAll(new Error(`the solver thread sent a malformed answer: ${reply.error.message}`));
      return;
    }
    const pending = this.pending.get(reply.data.id);
    if (!pending) return;
    this.pending.delete(reply.data.id);
    clearTimeout(pending.timer);
    if (reply.data.ok) pending.resolve(reply.data.plan);
    else pending.reject(new Error(reply.data.message));
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    void worker.terminate().catch(() => undefined);
  }

  private failAll(err: Error): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(err);
    }
  }
}

/**
 * The add-on's scheduler: plans on a worker thread when the compiled worker is there (always in the
 * add-on's image and after `pnpm build`), else on this thread with `loadScheduler` (a test run from
 * sources that never built). `onThread` says which, for the log.
 */
export async function loadSolverScheduler(): Promise<
  Scheduler & { readonly onThread: 'worker' | 'main'; close(): Promise<void> }
> {
  const file = solverWorkerFile();
  if (file !== null) {
    const scheduler = new SolverWorkerScheduler(file);
    return {
      onThread: 'worker',
      plan: (input, options) => scheduler.plan(input, options),
      close: () => scheduler.close(),
    };
  }
  const scheduler = await loadScheduler();
  return { onThread: 'main', plan: (input, options) => scheduler.plan(input, options), close: async () => undefined };
}
