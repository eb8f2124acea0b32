import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '@sps/core';
import { ReadingStore, describeProblem } from '@sps/store';
import type { Logger } from './logger.js';
import type { ReadingArchive } from './reading-archive.js';

export const STORE_FILE = 'readings.sqlite';

/** Open the time-series store in the data dir; its problems go to the add-on's log, not stderr. */
export function openArchive(options: {
  dataDir: string;
  rawRetentionMs: number;
  aggregateRetentionMs: number;
  clock: Clock;
  logger: Logger;
}): ReadingArchive {
  // Created for this user only (the store's files are 0600 too); an existing folder is left as it is.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const log = options.logger.child({ component: 'store' });
  return ReadingStore.open({
    path: path.join(options.dataDir, STORE_FILE),
    rawRetentionMs: options.rawRetentionMs,
    aggregateRetentionMs: options.aggregateRetentionMs,
    clock: options.clock,
    onProblem: (problem) => log.warn(describeProblem(problem)),
  });
}
