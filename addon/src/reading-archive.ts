import type { ReadingSet } from '@sps/core';
import type { StoreWriteStatus } from '@sps/store';

/**
 * What the add-on needs from the time-series store (@sps/store's ReadingStore fits it).
 * Kept as a port so the HTTP layer and the benchmarks can run against any store.
 */
export interface ArchivedPoint {
  /** Sample time, or the bucket start when a step was asked for. */
  readonly t: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
  readonly count: number;
}

export interface ArchivedHistory {
  /** Which resolution answered (e.g. raw or 5-minute aggregates). */
  readonly resolution: string;
  readonly points: readonly ArchivedPoint[];
}

export interface HistoryRequest {
  readonly deviceId: string;
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly stepMs?: number;
}

export interface ReadingArchive {
  append(deviceId: string, readings: ReadingSet): void;
  flush(): unknown;
  history(request: HistoryRequest): ArchivedHistory | Promise<ArchivedHistory>;
  close(): unknown;
  /**
   * Told every failed write and the first success after failures (@sps/store's ReadingStore);
   * returns the unsubscribe. Archives that never fail (in memory, benchmarks) leave it out.
   */
  watchWrites?(listener: (status: StoreWriteStatus) => void): () => void;
}
