import type { Logger } from './logger.js';

/**
 * The shutdown's time budget (DOCS.md "Stopping"). The Supervisor sends SIGKILL this long after
 * SIGTERM; config.yaml's `timeout:` sets it (the Supervisor's default is 10 s, too short to hand
 * a slow inverter back after a busy moment). tests/packaging checks config.yaml says the same.
 */
export const SUPERVISOR_STOP_TIMEOUT_S = 20;
/** Closing the HTTP server and its connections, at most. */
export const HTTP_CLOSE_BUDGET_MS = 1000;
/** Waiting for the optimiser's cycle in progress, at most (its writes are serialised before the hand-back's). */
export const OPTIMIZER_STOP_BUDGET_MS = 1000;
/**
 * Stopping demand response (the broker link, sharing's in-flight POST and its outbox, the
 * aggregator database), at most; in parallel with the optimiser's stop, so it adds nothing.
 */
export const DR_STOP_BUDGET_MS = 1000;
/** Handing every forced device back, in parallel. What misses it is handed back at the next start. */
export const HAND_BACK_BUDGET_MS = 10_000;
/** Closing the device connections, at most (a hand-back request still in flight to a hung device). */
export const DEVICE_CLOSE_BUDGET_MS = 1500;
/**
 * The hard deadline for the whole shutdown: the budgets above (13.5 s) plus the HA link and the
 * store (well under a second), 5 s below the Supervisor's SIGKILL.
 */
export const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * On SIGTERM or SIGINT run `stop` once and exit 0. A hard timer bounds the whole
 * shutdown: if something hangs, the process still exits (code 1, to flag it) in time.
 */
export function exitOnSignals(
  stop: () => Promise<void>,
  logger: Logger,
  deadlineMs: number = SHUTDOWN_DEADLINE_MS,
): Promise<never> {
  return new Promise<never>(() => {
    let shuttingDown = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ signal }, 'shutting down');
      const hard = setTimeout(() => {
        logger.error({ deadline_ms: deadlineMs }, 'shutdown did not finish in time; exiting anyway');
        process.exit(1);
      }, deadlineMs);
      hard.unref();
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
