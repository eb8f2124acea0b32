/**
 * The add-on's API as the cards read it (GET /api/plan, /api/devices, /api/readings,
 * /api/readings/history), validated with zod at the edge: a malformed answer becomes a clear error
 * in the card, never a crash. Objects are not strict so the add-on can add fields without breaking
 * older cards. Fields marked "optional: wip/ui" are the additions issue 14 asks of the API.
 */
import { z } from 'zod';

const num = z.number();
const nullableNum = z.number().nullable();

export const PlanIntervalJson = z.object({
  start: z.string(),
  action: z.string(),
  battery_charge_kw: num,
  battery_discharge_kw: num,
  grid_import_kw: num,
  grid_export_kw: num,
  curtail_kw: num.optional(),
  ev_kw: num.optional(),
  deferrable_kw: num.optional(),
  soc_pct: num,
  import_price: num,
  export_price: num,
  /** Why the plan does this in this interval. */
  reason: z.string().default(''),
  /** Forecasts behind the interval, kW (optional: wip/ui adds them for the table). */
  pv_kw: num.optional(),
  load_kw: num.optional(),
  /** The "without optimiser" (self-consumption) cost of this interval (optional: wip/ui). */
  baseline_cost: num.optional(),
  /** True where a manual override forces the interval (optional: wip/ui). */
  override: z.boolean().optional(),
  batteries: z
    .array(z.object({ name: z.string(), charge_kw: num, discharge_kw: num, soc_pct: num, pv_kw: num.optional() }))
    .optional(),
  /** Each deferrable load's planned power in this interval, kW (0 = off). */
  deferrables: z.array(z.object({ name: z.string(), kw: num })).optional(),
  /** Off-grid plans: load the plan cannot serve (the house goes dark for that share), kW. */
  unserved_kw: num.optional(),
});
export type PlanIntervalJson = z.infer<typeof PlanIntervalJson>;

export const PlanJson = z.object({
  status: z.string(),
  solver: z.string().optional(),
  currency: z.string(),
  interval_minutes: z.number().positive(),
  cost: nullableNum.optional(),
  baseline_cost: nullableNum.optional(),
  savings: nullableNum.optional(),
  reason: z.string().nullable().optional(),
  intervals: z.array(PlanIntervalJson),
  /** Off-grid plans: the reserve, the lowest stored energy, unserved energy and when the house would go dark. */
  off_grid: z
    .object({
      reserve_kwh: num,
      min_stored_kwh: num,
      min_stored_at: z.string(),
      max_reserve_shortfall_kwh: num,
      unserved_kwh: num,
      first_unserved_at: z.string().nullable(),
    })
    .optional(),
});
export type PlanJson = z.infer<typeof PlanJson>;

export const GOALS = ['cost', 'self_consumption', 'off'] as const;
export type Goal = (typeof GOALS)[number];
export const OVERRIDE_KINDS = ['force_charge', 'force_discharge', 'hold_soc'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

export const OverrideJson = z.object({
  kind: z.enum(OVERRIDE_KINDS),
  power_w: num.optional(),
  soc_pct: num.optional(),
  started_at: z.string().optional(),
  until: z.string(),
});
export type OverrideJson = z.infer<typeof OverrideJson>;

/** GET /api/plan. */
export const PlanResponse = z.object({
  running: z.boolean(),
  off_reason: z.string().nullable().optional(),
  battery_device: z.string().nullable().optional(),
  enabled: z.boolean(),
  goal: z.string(),
  mode: z.string(),
  current: z.object({ action: z.string(), reason: z.string(), since: z.string().nullable().optional() }).nullable(),
  next: z.object({ action: z.string(), at: z.string(), reason: z.string() }).nullable(),
  today: z
    .object({
      date: z.string(),
      predictedCost: num,
      baselineCost: num,
      savings: num,
      currency: z.string(),
    })
    .nullable(),
  fallback_reason: z.string().nullable().optional(),
  override: OverrideJson.nullable(),
  last_error: z.object({ message: z.string(), at: z.string() }).nullable().optional(),
  plan_at: z.string().nullable().optional(),
  plan: PlanJson.nullable(),
  /** The deferrable loads: their relay now and why the add-on last switched them (off-grid: the reserve stop). */
  deferrable_loads: z
    .array(z.object({ name: z.string(), on: z.boolean().nullable(), reason: z.string().nullable().optional() }))
    .optional(),
  /** Several batteries planned together: every battery's charge, discharge and SOC per interval. */
  joint_plan: z
    .object({ members: z.array(z.string()), plan: PlanJson })
    .nullable()
    .optional(),
});
export type PlanResponse = z.infer<typeof PlanResponse>;

export const AvailabilityJson = z.object({
  available: z.boolean(),
  reason: z.string().nullable(),
  since: z.string().optional(),
});
export type AvailabilityJson = z.infer<typeof AvailabilityJson>;

export const EntityJson = z.object({
  key: z.string(),
  platform: z.string(),
  name: z.string(),
  unit: z.string().optional(),
  deviceClass: z.string().optional(),
  entityCategory: z.string().optional(),
  options: z.array(z.string()).optional(),
  min: num.optional(),
  max: num.optional(),
  step: num.optional(),
  suggestedDisplayPrecision: num.optional(),
  /** Present on controls: which core command the entity drives (packages/core EntityCommandBinding). */
  command: z
    .object({
      command: z.string(),
      field: z.string().optional(),
      fixed: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
    })
    .optional(),
});
export type EntityJson = z.infer<typeof EntityJson>;

export const DeviceJson = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  position: z.string().nullable().optional(),
  availability: AvailabilityJson,
  entities: z.array(EntityJson).default([]),
  capabilities: z
    .object({
      commands: z.array(z.string()),
      operating_modes: z.array(z.string()).default([]),
      limits: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable()
    .optional(),
});
export type DeviceJson = z.infer<typeof DeviceJson>;

/** GET /api/devices. */
export const DevicesResponse = z.object({ devices: z.array(DeviceJson) });

export const ReadingValueJson = z.union([z.number(), z.string(), z.boolean()]).nullable();
export const DeviceReadingsJson = z.object({
  available: z.boolean().optional(),
  timestamp: z.string().nullable(),
  readings: z.record(z.string(), z.object({ value: ReadingValueJson, unit: z.string().nullable() })),
});
export type DeviceReadingsJson = z.infer<typeof DeviceReadingsJson>;

/** GET /api/readings. */
export const ReadingsResponse = z.object({ devices: z.record(z.string(), DeviceReadingsJson) });

/** GET /api/readings/history. */
export const HistoryResponse = z.object({
  device: z.string(),
  key: z.string(),
  unit: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  points: z.array(
    z.object({ t: z.string(), mean: num, min: num.optional(), max: num.optional(), last: num.optional() }),
  ),
  /** The "without optimiser" counterpart of a cost series (optional: wip/ui). */
  baseline: z.array(z.object({ t: z.string(), mean: num })).optional(),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;

/** `field: message` of the first zod issue, for errors that name the field. */
export function describeIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (!issue) return `${what}: invalid`;
  const path = issue.path.map(String).join('.');
  return `${what}${path ? `.${path}` : ''}: ${issue.message}`;
}
