import type { Availability, Command, CommandOutcome, DeviceCapabilities, ReadingSet } from '@sps/core';
import type { Plan } from '@sps/scheduler';

/**
 * What the controller needs from the world, as small structural interfaces so the add-on can pass
 * its own objects (PriceService, a device runner, the store) without this package importing them.
 */

/** The battery the controller drives. Commands it sends have already passed the SafetyGuard. */
export interface ControlledDevice {
  readonly id: string;
  /** Throws (e.g. DeviceError not_connected) while the device has never been described. */
  capabilities(): DeviceCapabilities;
  /** The newest readings the add-on has (it polls; the controller never reads on its own). */
  latestReadings(): ReadingSet | undefined;
  /** Last availability the transport reported, if any. */
  availability(): Availability | undefined;
  execute(command: Command): Promise<CommandOutcome>;
  /**
   * A device that follows a whole plan by itself (a Powerwall: the plan as its time-of-use tariff,
   * its own time-based control) gets each new plan here instead of per-interval commands while the
   * controller optimises. Overrides, demand response, fallback and stop still send commands
   * (restore_normal hands the user's own settings back). Rate-limiting uploads is the device's job.
   */
  followPlan?(plan: Plan): Promise<void>;
}

/** One price interval, per kWh in the series' currency (`@sps/tariffs` PriceInterval fits). */
export interface PricePoint {
  /** UTC ms, inclusive. */
  readonly start: number;
  /** UTC ms, exclusive. */
  readonly end: number;
  readonly import: number;
  readonly export: number;
}

/** `@sps/tariffs` PriceService fits this shape. */
export interface PriceSource {
  /** `fallback: true` when nothing covers now: the controller hands the battery back to its own mode. */
  coverage(now: number): { readonly fallback: boolean; readonly reason?: string | undefined };
  /** The current and future intervals. */
  upcoming(now: number): readonly PricePoint[];
}

/** The scheduler's grid: [from, to) in UTC ms, in steps of stepMs (`@sps/forecasts` GridSpec). */
export interface ForecastGrid {
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
}

/** Average power over [start, end), kW (`@sps/forecasts` GridPoint fits). */
export interface ForecastPoint {
  readonly start: number;
  readonly end: number;
  readonly kw: number;
}

/** Solar (available PV) or household load (without the EV), on the scheduler's grid. */
export interface PowerForecastSource {
  /** Intervals the source does not know are omitted, never guessed. */
  forecast(grid: ForecastGrid): readonly ForecastPoint[] | Promise<readonly ForecastPoint[]>;
}

/** The store's key-value interface (what @sps/store and PriceService use). */
export interface KeyValueState {
  getState<T>(namespace: string, key: string): T | undefined;
  putState(namespace: string, key: string, value: unknown): void;
}
