/**
 * Where writes are counted when more than one process writes to the same devices (the add-on and
 * `sps write`): the per-minute budget then holds across them. Implementations do their own I/O
 * (the add-on keeps one file in its data dir); both calls are synchronous so that admission and
 * reservation stay one step.
 */
export interface WriteLedger {
  /** Count a write to `deviceId` reserved at `at` (ms since the epoch). */
  record(deviceId: string, at: number): void;
  /** Times of writes to `deviceId` at or after `since`, oldest first (this process's included). */
  recent(deviceId: string, since: number): readonly number[];
}
