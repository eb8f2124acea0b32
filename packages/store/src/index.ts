export { ReadingStore, describeProblem, type StoreStats } from './reading-store.js';
export type { ReadingStoreOptions, StoreProblem } from './options.js';
export type { HistoryQuery, HistoryResult, HistoryResolution } from './history.js';
export type { HistoryPoint } from './buckets.js';
export { AGGREGATE_BUCKET_MS } from './buckets.js';
export type { LatestByDevice } from './latest-values.js';
export { StoreInputError, StoreClosedError } from './errors.js';
export { MAX_STATE_BYTES } from './state-table.js';
