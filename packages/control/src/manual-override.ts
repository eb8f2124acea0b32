import { z } from 'zod';
import type { ControlTarget } from './control-target.js';
import type { KeyValueState } from './controller-ports.js';

/**
 * Manual overrides (HA services, web panel): they win over the plan and the watchdog for their
 * duration, then the plan resumes. Persisted so a restart does not silently drop one.
 */
export const OVERRIDE_KINDS = ['force_charge', 'force_discharge', 'hold_soc'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

/** A week: longer than any sensible manual override, short enough to catch a unit mistake. */
const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/** What a caller asks for (validated: errors name the field). */
export const OverrideRequest = z.strictObject({
  kind: z.enum(OVERRIDE_KINDS),
  /** For force_*: the power, W (default: the effective maximum). For hold_soc: the charge power to reach soc_pct. */
  power_w: z.number().finite().nonnegative().max(1_000_000).optional(),
  /** hold_soc: the SOC to hold, % (default: the SOC when the override starts). */
  soc_pct: z.number().finite().min(0).max(100).optional(),
  duration_minutes: z
    .number()
    .finite()
    .positive()
    .max(MAX_DURATION_MS / 60_000),
});
export type OverrideRequest = z.input<typeof OverrideRequest>;

const isoUtc = z.iso.datetime({ offset: false });

/** An override in force, as persisted. */
export const ManualOverride = z.strictObject({
  kind: z.enum(OVERRIDE_KINDS),
  power_w: z.number().finite().nonnegative().optional(),
  soc_pct: z.number().finite().min(0).max(100).optional(),
  started_at: isoUtc,
  until: isoUtc,
});
export type ManualOverride = z.infer<typeof ManualOverride>;

export class OverrideRequestError extends Error {
  override readonly name = 'OverrideRequestError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function parseOverrideRequest(input: unknown, now: number, socPct: number | undefined): ManualOverride {
  const parsed = OverrideRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'kind';
    throw new OverrideRequestError(field, issue?.message ?? 'invalid override');
  }
  const r = parsed.data;
  if (r.kind !== 'hold_soc' && r.soc_pct !== undefined) {
    throw new OverrideRequestError('soc_pct', `only hold_soc takes a target SOC, not ${r.kind}`);
  }
  const holdAt = r.kind === 'hold_soc' ? (r.soc_pct ?? socPct) : undefined;
  return {
    kind: r.kind,
    ...(r.power_w === undefined ? {} : { power_w: r.power_w }),
    ...(holdAt === undefined ? {} : { soc_pct: Math.round(holdAt * 10) / 10 }),
    started_at: new Date(now).toISOString(),
    until: new Date(now + r.duration_minutes * 60_000).toISOString(),
  };
}

/** A hold_soc below its target by more than this charges; within it, holds (no chatter around the target). */
const HOLD_SOC_BAND_PCT = 1;

/** The target an override asks for now. `maxChargeW`/`maxDischargeW` are the guard's effective limits. */
export function targetForOverride(
  o: ManualOverride,
  socPct: number | undefined,
  maxChargeW: number | undefined,
  maxDischargeW: number | undefined,
): ControlTarget {
  switch (o.kind) {
    case 'force_charge':
      return { kind: 'charge', powerW: o.power_w ?? maxChargeW ?? 0 };
    case 'force_discharge':
      return { kind: 'discharge', powerW: o.power_w ?? maxDischargeW ?? 0 };
    case 'hold_soc':
      if (o.soc_pct !== undefined && socPct !== undefined && socPct < o.soc_pct - HOLD_SOC_BAND_PCT) {
        return { kind: 'charge', powerW: o.power_w ?? maxChargeW ?? 0 };
      }
      return { kind: 'hold' };
  }
}

/** Where the plan's grid and the battery stand when an override goes into a scenario. */
export interface OverridePlanContext {
  /** Start of the plan's first interval, ms (the interval running now). */
  readonly fromMs: number;
  readonly stepMs: number;
  /** Intervals in the scenario. */
  readonly intervals: number;
  readonly socPct: number | undefined;
  /** The guard's effective limits, W (a force without a power runs at them, as `targetForOverride`). */
  readonly maxChargeW: number | undefined;
  readonly maxDischargeW: number | undefined;
}

/**
 * The override as the scheduler's `battery_overrides` entry (issue 14: the override is an input of
 * the plan, which optimises the rest of the horizon around it). It covers the plan's intervals from
 * the one running now to its end, rounded to the nearest interval boundary (at least the interval
 * running now); the re-plan at its end settles the rest. A hold_soc below its target by more than
 * the band charges up to the band's edge first, as `targetForOverride` does. Null once it is over.
 */
export function overrideForPlan(o: ManualOverride, c: OverridePlanContext): Record<string, unknown> | null {
  const end = Math.min(c.intervals, Math.max(1, Math.round((Date.parse(o.until) - c.fromMs) / c.stepMs)));
  if (c.intervals < 1 || Date.parse(o.until) <= c.fromMs) return null;
  const window = { start_index: 0, end_index: end, label: describeOverride(o) };
  const kw = (w: number | undefined): { power_kw?: number } => (w === undefined ? {} : { power_kw: w / 1000 });
  switch (o.kind) {
    case 'force_charge':
      return { ...window, kind: 'charge', ...kw(o.power_w ?? c.maxChargeW) };
    case 'force_discharge':
      return { ...window, kind: 'discharge', ...kw(o.power_w ?? c.maxDischargeW) };
    case 'hold_soc': {
      const below = o.soc_pct !== undefined && c.socPct !== undefined && c.socPct < o.soc_pct - HOLD_SOC_BAND_PCT;
      return below
        ? { ...window, kind: 'hold', soc_pct: o.soc_pct! - HOLD_SOC_BAND_PCT, ...kw(o.power_w ?? c.maxChargeW) }
        : { ...window, kind: 'hold' };
    }
  }
}

export function describeOverride(o: ManualOverride): string {
  const what =
    o.kind === 'hold_soc'
      ? `hold SOC${o.soc_pct === undefined ? '' : ` at ${o.soc_pct} %`}`
      : `${o.kind.replace('_', ' ')}${o.power_w === undefined ? '' : ` at ${o.power_w} W`}`;
  return `manual override: ${what} until ${o.until}`;
}

const NAMESPACE = 'control';

/** Persistence of one device's override; bad stored data is dropped, never trusted. */
export class OverrideStore {
  constructor(
    private readonly state: KeyValueState | undefined,
    private readonly deviceId: string,
  ) {}

  private get key(): string {
    return `override:${this.deviceId}`;
  }

  load(now: number): ManualOverride | null {
    if (!this.state) return null;
    let raw: unknown;
    try {
      raw = this.state.getState<unknown>(NAMESPACE, this.key);
    } catch {
      return null;
    }
    const parsed = ManualOverride.safeParse(raw);
    if (!parsed.success || Date.parse(parsed.data.until) <= now) {
      if (raw !== undefined && raw !== null) this.save(null);
      return null;
    }
    return parsed.data;
  }

  save(o: ManualOverride | null): void {
    this.state?.putState(NAMESPACE, this.key, o);
  }
}
