/**
 * How a demand-response event reaches the controller. The add-on (addon/src/dr/) turns the
 * aggregator's calendar into a directive; the controller asks for it at every decision and
 * re-plans when `demandResponseChanged()` is called. Without a port the controller is the
 * price optimiser alone.
 */

/** Measured site grid power: > 0 import (the grid meter, or the station's P1 relay). */
export interface GridMeasurement {
  readonly w: number;
  /** When it was measured (UTC ms); stale measurements stop the feedback loop. */
  readonly atMs: number;
}

export type DemandResponseDirective =
  | { readonly mode: 'normal' }
  /**
   * The battery must hold at least `targetSocPct` at `eventStartMs`: a constraint of the plan
   * (minimum stored energy at that interval, shortfall penalised), so price optimisation goes on
   * around it.
   */
  | {
      readonly mode: 'upcoming';
      readonly eventId: string;
      readonly eventStartMs: number;
      readonly targetSocPct: number;
      /** The event's end, when known: with shifting allowed, deferrable loads are kept out of [start, end). */
      readonly eventEndMs?: number;
    }
  /**
   * Hold the site's grid import at or below `importSetpointW` (baseline − goal) until
   * `eventEndMs`, by battery discharge (feedback on the measured grid power).
   */
  | {
      readonly mode: 'ongoing';
      readonly eventId: string;
      readonly eventEndMs: number;
      readonly importSetpointW: number;
    }
  /** Back onto the grid without a rebound spike: the grid import rises by at most `rampWPerMin`. */
  | { readonly mode: 'post_event'; readonly eventId: string; readonly untilMs: number; readonly rampWPerMin: number };

export interface DemandResponsePort {
  directive(nowMs: number): DemandResponseDirective;
  /** The newest grid measurement, if any. */
  gridImport(): GridMeasurement | undefined;
}
