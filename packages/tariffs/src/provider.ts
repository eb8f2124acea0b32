import type { PriceSeries } from './series.js';

/**
 * One source of prices. `fetch` returns a fresh normalised series or throws a
 * PriceFetchError; it never returns made-up prices.
 */
export interface PriceProvider {
  /** Provider id, e.g. `octopus`. */
  readonly id: string;
  /**
   * Identifies what this provider prices (provider + tariff/site/region), so a
   * series persisted for another tariff is not reused after the user changes options.
   */
  readonly key: string;
  readonly currency: string;
  fetch(now: number): Promise<PriceSeries>;
  /**
   * How long to wait before the next poll after a successful fetch (rate limits,
   * publication times). Absent → the PriceService default (1 minute).
   */
  nextPollDelayMs?(now: number, last: PriceSeries): number;
}

/** Round down to a multiple of `stepMs` since the epoch (UTC grids: 5, 30 min). */
export function floorTo(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
