import type { Logger } from './logger.js';

/** The Supervisor sends SIGKILL 10 s after SIGTERM by default; finish well before. */
export const SHUTDOWN_DEADLINE_MS = 4500;

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
