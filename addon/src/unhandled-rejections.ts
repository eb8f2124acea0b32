/** How the add-on's last-resort handler starts its stderr line; tests look for it in child processes. */
export const UNHANDLED_REJECTION_MARK = 'sps: BUG: unhandled rejection';

/**
 * The last resort for a promise nobody observed. The process keeps running — a stray rejection
 * must not drop every device and leave a battery forced — but it is a bug on any path, never a
 * way of handling a fault, so it is said loudly on stderr (the Supervisor's log) each time, with
 * the stack, and the test harness fails any child process that printed it.
 */
export function installUnhandledRejectionLogger(stderr: NodeJS.WritableStream = process.stderr): void {
  process.on('unhandledRejection', (reason) => {
    const detail = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    stderr.write(`${UNHANDLED_REJECTION_MARK} (the add-on keeps running; please report this): ${detail}\n`);
  });
}
