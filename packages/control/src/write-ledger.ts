/** A relay channel's last change, as the relay hold needs it. */
export interface RelayChange {
  readonly on: boolean;
  /** ms since the epoch. */
  readonly at: number;
}

/**
 * Where writes are counted when more than one process writes to the same devices (the add-on and
 * `sps write`): the per-minute budget and the relay holds then hold across them. Implementations
 * do their own I/O (the add-on keeps one file in its data dir); every call is synchronous so that
 * admission and reservation stay one step.
 */
export interface WriteLedger {
  /** Count a write to `deviceId` reserved at `at` (ms since the epoch). */
  record(deviceId: string, at: number): void;
  /** Times of writes to `deviceId` at or after `since`, oldest first (this process's included). */
  recent(deviceId: string, since: number): readonly number[];
  /** A held relay channel was switched (or a switch was attempted). */
  recordRelayChange(deviceId: string, channel: number, change: RelayChange): void;
  /** The latest recorded change of the channel, by any process. */
  lastRelayChange(deviceId: string, channel: number): RelayChange | undefined;
}
