import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '@sps/core';
import {
  ReadingStore,
  describeProblem,
  openStoreOrReset,
  storeFailureCause,
  type ReadingStoreOptions,
  type StoreProblem,
} from '@sps/store';
import type { Logger } from './logger.js';
import type { ProblemBoard } from './problems.js';
import type { ReadingArchive } from './reading-archive.js';

export const STORE_FILE = 'readings.sqlite';

/** Problem ids on the board (the store's write failures are `store_writes`, see store-health.ts). */
export const STORE_RESET_PROBLEM = 'store_reset';
export const STORE_UNAVAILABLE_PROBLEM = 'store_unavailable';

/**
 * Open the time-series store in the data dir. The add-on must keep controlling whatever the
 * store's state, so opening never fails:
 * - a damaged file is moved aside (`readings.sqlite.corrupt-<UTC time>`, with its -wal/-shm) and a
 *   fresh store started; the problem `store_reset` stands until the add-on restarts;
 * - a data dir that cannot be used (not writable, not a folder, disk full at creation) gives an
 *   in-memory store for this run, with the problem `store_unavailable`: readings and durable state
 *   (timed overrides) then last only until the add-on stops.
 * The store's routine problems go to the add-on's log, not stderr.
 */
export function openArchive(options: {
  dataDir: string;
  rawRetentionMs: number;
  aggregateRetentionMs: number;
  clock: Clock;
  logger: Logger;
  problems: ProblemBoard;
}): ReadingArchive {
  const log = options.logger.child({ component: 'store' });
  const file = path.join(options.dataDir, STORE_FILE);
  const storeOptions: Omit<ReadingStoreOptions, 'path'> = {
    rawRetentionMs: options.rawRetentionMs,
    aggregateRetentionMs: options.aggregateRetentionMs,
    clock: options.clock,
    onProblem: (problem) => logStoreProblem(log, problem),
  };
  try {
    // Created for this user only (the store's files are 0600 too); an existing folder is left as it is.
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const { store, reset } = openStoreOrReset({ path: file, ...storeOptions });
    if (reset) {
      options.problems.raise({
        id: STORE_RESET_PROBLEM,
        severity: 'error',
        message:
          `The readings store was damaged (${reset.reason}): it was moved aside to ${reset.movedTo} ` +
          'and a fresh store was started. Control carries on; the history before now is only in the moved file. ' +
          'This notice stays until the add-on restarts.',
        repair: { key: 'store_reset', placeholders: { path: reset.movedTo } },
      });
    }
    return store;
  } catch (error) {
    const cause = storeFailureCause(error);
    const reason = error instanceof Error ? error.message : String(error);
    options.problems.raise({
      id: STORE_UNAVAILABLE_PROBLEM,
      severity: 'error',
      message:
        `The readings store ${file} cannot be opened (${reason}). Control carries on with readings kept in memory ` +
        'only: history and timed overrides are lost when the add-on stops. ' +
        (cause === 'disk_full'
          ? 'Free space on the disk, then restart the add-on.'
          : 'Check that the data folder exists and is writable, then restart the add-on.'),
      // disk_full has the same placeholders wherever it is raised (store-health.ts): just the path.
      repair:
        cause === 'disk_full'
          ? { key: 'disk_full', placeholders: { path: file } }
          : { key: 'store_unwritable', placeholders: { path: file, reason } },
    });
    return ReadingStore.open({ path: ':memory:', ...storeOptions });
  }
}

function logStoreProblem(log: Logger, problem: StoreProblem): void {
  // Write failures repeat every flush while the disk is full; store-health.ts says it once.
  if (problem.kind === 'flush_failed' || problem.kind === 'batch_dropped') log.debug(describeProblem(problem));
  else log.warn(describeProblem(problem));
}
