import { LocalTimeCache } from '@sps/core';
import type { LoadSample } from './model.js';

/*
 * The household load before there is enough history to learn it: a typical day's shape (low
 * overnight, a morning rise, a daytime plateau, an evening peak) scaled to a daily energy. It is
 * what a young install plans with, blended with whatever history exists, so a short history never
 * shortens the forecast.
 */

/**
 * Relative load per local hour (0–23) of a typical household day; scaled so the day's mean is 1.
 * Our own round numbers: the shape matters more than its details, the level comes from the user's
 * daily energy or the history.
 */
const TYPICAL_DAY = [
  0.6, 0.5, 0.45, 0.45, 0.45, 0.55, 0.85, 1.15, 1.1, 0.95, 0.9, 0.9, 0.95, 0.9, 0.85, 0.9, 1.05, 1.45, 1.75, 1.7, 1.5,
  1.25, 1.0, 0.8,
] as const;
const TYPICAL_MEAN = TYPICAL_DAY.reduce((s, v) => s + v, 0) / TYPICAL_DAY.length;

/** What a household uses in a day when nothing else is known, kWh (a modest home; documented in DOCS.md). */
export const DEFAULT_DAILY_KWH = 10;
/** Days of history after which the history alone shapes the forecast. */
export const DEFAULT_FULL_HISTORY_DAYS = 7;
/** A scale learnt from a few samples is kept within this factor of the default level. */
const MAX_LEVEL_FACTOR = 5;

export interface LoadPriorOptions {
  /** The household's own daily energy, kWh; absent = the level the history shows, else the default. */
  readonly dailyKwh?: number;
  /** Days of history after which the history alone is used (default 7). */
  readonly fullHistoryDays?: number;
}

/** Relative load (mean 1) at local hour `hour`. */
export function typicalDayShape(hour: number): number {
  return (TYPICAL_DAY[((Math.floor(hour) % 24) + 24) % 24] ?? TYPICAL_MEAN) / TYPICAL_MEAN;
}

/** The default profile scaled to a level: kW at any instant in the household's zone. */
export class LoadPriorProfile {
  private readonly cache: LocalTimeCache;

  constructor(
    timeZone: string,
    /** The day's mean load, kW. */
    readonly meanKw: number,
    /** Where the level came from. */
    readonly level: 'configured' | 'history' | 'default',
  ) {
    this.cache = new LocalTimeCache(timeZone);
  }

  /** The level: the configured daily energy; else what the history shows against the shape; else the default. */
  static fit(samples: readonly LoadSample[], timeZone: string, dailyKwh?: number): LoadPriorProfile {
    if (dailyKwh !== undefined && dailyKwh > 0) return new LoadPriorProfile(timeZone, dailyKwh / 24, 'configured');
    const cache = new LocalTimeCache(timeZone);
    let kwMs = 0;
    let shapeMs = 0;
    for (const s of samples) {
      const ms = s.end - s.start;
      if (!(ms > 0) || !Number.isFinite(s.kw) || s.kw < 0) continue;
      kwMs += s.kw * ms;
      shapeMs += typicalDayShape(cache.fields(s.start + ms / 2).minuteOfDay / 60) * ms;
    }
    const fallback = DEFAULT_DAILY_KWH / 24;
    if (!(shapeMs > 0)) return new LoadPriorProfile(timeZone, fallback, 'default');
    // The history's level as a day's mean: its mean divided by the shape's mean over the same hours.
    const meanKw = Math.min(fallback * MAX_LEVEL_FACTOR, Math.max(fallback / MAX_LEVEL_FACTOR, kwMs / shapeMs));
    return new LoadPriorProfile(timeZone, meanKw, 'history');
  }

  predictKw(t: number): number {
    return this.meanKw * typicalDayShape(this.cache.fields(t).minuteOfDay / 60);
  }
}

/** Days of load the samples cover (overlaps counted once per 30-minute slot), fractional. */
export function coveredDays(samples: readonly LoadSample[]): number {
  const SLOT = 30 * 60_000;
  const covered = new Map<number, number>();
  for (const s of samples) {
    if (!(s.end > s.start)) continue;
    for (let slot = Math.floor(s.start / SLOT) * SLOT; slot < s.end; slot += SLOT) {
      const ms = Math.min(s.end, slot + SLOT) - Math.max(s.start, slot);
      covered.set(slot, Math.min(SLOT, (covered.get(slot) ?? 0) + ms));
    }
  }
  let ms = 0;
  for (const v of covered.values()) ms += v;
  return ms / 86_400_000;
}
