/**
 * The watchdog: when the controller cannot trust what it would do, the battery goes back to its
 * own self-consumption mode (never a guess), and the reason is reported. Pure: the controller
 * gathers the facts, this decides.
 */
export interface WatchdogFacts {
  readonly now: number;
  /** Why the device cannot be trusted to follow commands, or null when it answers. */
  readonly deviceProblem: string | null;
  /** PriceService coverage says there is no price for now. */
  readonly pricesMissing: string | null;
  /** A forecast does not cover the current interval. */
  readonly forecastsMissing: string | null;
  /** When the plan in force was made (UTC ms), null before the first. */
  readonly planAt: number | null;
  /** The scheduler itself handed control to self-consumption (infeasible / fallback_self_consumption). */
  readonly planUnusable: string | null;
}

export interface WatchdogOptions {
  /** A plan older than this is not executed, ms. Default 15 min (issue 5). */
  readonly maxPlanAgeMs?: number;
}

export const DEFAULT_MAX_PLAN_AGE_MS = 15 * 60_000;

/** The reason to fall back to self-consumption, or null when the plan may run. First cause wins. */
export function watchdogReason(f: WatchdogFacts, options: WatchdogOptions = {}): string | null {
  const maxAge = options.maxPlanAgeMs ?? DEFAULT_MAX_PLAN_AGE_MS;
  if (f.deviceProblem) return `device not answering: ${f.deviceProblem}`;
  if (f.pricesMissing) return `prices missing: ${f.pricesMissing}`;
  if (f.forecastsMissing) return `forecasts missing: ${f.forecastsMissing}`;
  if (f.planAt === null) return 'no plan yet';
  const age = f.now - f.planAt;
  if (age > maxAge) {
    return (
      `plan stale: made at ${new Date(f.planAt).toISOString()}, ${Math.round(age / 60_000)} min ago ` +
      `(limit ${Math.round(maxAge / 60_000)} min)`
    );
  }
  if (f.planUnusable) return f.planUnusable;
  return null;
}
