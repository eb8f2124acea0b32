import type { DrEvent, DrEventPerformance, OutboxStatus, SharingLevel } from '@sps/aggregator';

/**
 * What the DR runtime needs of the performance tracker (baseline now, avoided energy per event and
 * in total). The aggregator's DrPerformanceTracker is adapted to it in dr-parts.ts.
 */
export interface DrPerformanceSource {
  /** The event's baseline (W) for the hour holding `atMs`; null while it is not known. */
  baselineW(event: DrEvent, atMs: number): number | null;
  /** Per-hour baseline vs actual and the avoided energy so far; null before the event has any. */
  performance(event: DrEvent): DrEventPerformance | null;
  /** Every event's avoided energy, persisted (a `total_increasing` sensor). */
  totalAvoidedKwh(): number;
  /** The event's baseline by hour before it has measured anything (the upcoming display). */
  baselineHours?(event: DrEvent): readonly { readonly hourStartMs: number; readonly baselineKw: number }[];
  /** The event's goal fixed with its baseline (a share goal resolved on the baseline's average). */
  eventGoalKw?(event: DrEvent): number | null;
}

/** What the DR runtime needs of data sharing (the level in force and the outbox). */
export interface DrSharingSource {
  level(): SharingLevel;
  /** Changes the level from HA's select; persisted by the runtime. */
  setLevel(level: SharingLevel): void;
  outbox(): OutboxStatus;
}
