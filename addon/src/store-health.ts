import { isoUtc } from '@sps/core';
import type { StoreWriteStatus } from '@sps/store';
import type { Logger } from './logger.js';
import type { ProblemBoard, ProblemInput } from './problems.js';
import type { ReadingArchive } from './reading-archive.js';

export const STORE_WRITES_PROBLEM = 'store_writes';

/**
 * Turns the store's write status into one problem on the board, so `/api/health` says `degraded`
 * with the reason while readings cannot be written (a full disk, an I/O error, a damaged file) and
 * HA shows a repair issue for a full disk. The message changes only when the cause does or when
 * the queue starts dropping, so the log gets a line per change, not per failed flush. The problem
 * clears at the first successful write, with a log line saying how many readings were lost.
 */
export function watchStoreWrites(
  archive: ReadingArchive,
  problems: ProblemBoard,
  logger: Logger,
  storePath: string,
): () => void {
  if (!archive.watchWrites) return () => undefined;
  const log = logger.child({ component: 'store' });
  return archive.watchWrites((status) => {
    if (status.ok) {
      if (!problems.has(STORE_WRITES_PROBLEM)) return;
      problems.clear(STORE_WRITES_PROBLEM);
      log.info(
        { dropped_values: status.droppedValues },
        status.droppedValues > 0
          ? `the readings store writes again; ${status.droppedValues} queued values were dropped while it could not`
          : 'the readings store writes again; nothing was lost',
      );
      return;
    }
    problems.raise(writeProblem(status, storePath));
  });
}

function writeProblem(status: Extract<StoreWriteStatus, { ok: false }>, storePath: string): ProblemInput {
  const queue =
    `Readings are queued in memory (at most ${status.queueBound} values) and written once it can` +
    (status.droppedValues > 0
      ? `; the queue is full, so the oldest are being dropped (since ${isoUtc(status.failedSince)} or later).`
      : '.');
  switch (status.cause) {
    case 'disk_full':
      return {
        id: STORE_WRITES_PROBLEM,
        severity: 'error',
        message: `The disk is full: the readings store cannot write (${status.error.message}). ${queue} Free space on the disk that holds ${storePath}.`,
        repair: { key: 'disk_full', placeholders: { path: storePath } },
      };
    case 'corrupt':
      return {
        id: STORE_WRITES_PROBLEM,
        severity: 'error',
        message: `The readings store is damaged (${status.error.message}). ${queue} Restart the add-on: it moves the damaged file aside and starts a fresh store.`,
      };
    default:
      return {
        id: STORE_WRITES_PROBLEM,
        severity: 'error',
        message: `The readings store cannot write (${status.cause.replace('_', ' ')}: ${status.error.message}). ${queue}`,
      };
  }
}
