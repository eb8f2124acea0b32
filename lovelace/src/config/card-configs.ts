/**
 * Each card's configuration, validated with zod. `setConfig` throws a `CardConfigError` whose message
 * names the field, which Home Assistant shows in its error card (and the panel in its own).
 */
import { z } from 'zod';

const title = z.string().max(100).optional();
const base = { title };

export const FlowCardConfig = z.strictObject({
  type: z.literal('custom:sps-flow-card'),
  ...base,
  /** Show the power station's P1–P4 relays around the transfer switch. */
  show_relays: z.boolean().default(true),
  /** Show the EV and deferrable loads when the plan or the readings have them. */
  show_loads: z.boolean().default(true),
});
export type FlowCardConfig = z.output<typeof FlowCardConfig>;

export const PlanCardConfig = z.strictObject({
  type: z.literal('custom:sps-plan-card'),
  ...base,
  /** What opens first: the chart or the per-slot table. */
  view: z.enum(['chart', 'table']).default('chart'),
  /** Hours of plan to show (the plan covers up to 48). */
  hours: z.number().int().min(1).max(48).default(48),
});
export type PlanCardConfig = z.output<typeof PlanCardConfig>;

export const ControlCardConfig = z.strictObject({
  type: z.literal('custom:sps-control-card'),
  ...base,
  /** Duration presets offered for force/hold, in minutes. */
  duration_presets: z.array(z.number().int().min(1).max(10_080)).min(1).max(8).default([30, 60, 120, 240]),
  show_goal: z.boolean().default(true),
});
export type ControlCardConfig = z.output<typeof ControlCardConfig>;

export const DeviceCardConfig = z.strictObject({
  type: z.literal('custom:sps-device-card'),
  ...base,
  /** The add-on's device id (as in its options), e.g. `station`. */
  device: z.string().min(1, { error: 'expected the add-on device id, e.g. station' }),
  /** Reading keys to show; empty = the device's main readings. */
  readings: z.array(z.string().min(1)).max(20).default([]),
  show_controls: z.boolean().default(true),
});
export type DeviceCardConfig = z.output<typeof DeviceCardConfig>;

export const HISTORY_SERIES = ['soc', 'grid', 'solar', 'battery', 'cost'] as const;
export const HistoryCardConfig = z.strictObject({
  type: z.literal('custom:sps-history-card'),
  ...base,
  range: z.enum(['24h', '7d']).default('24h'),
  series: z
    .array(z.enum(HISTORY_SERIES))
    .min(1)
    .default([...HISTORY_SERIES]),
  /** The device whose SOC/power is shown; default: the optimised battery. */
  device: z.string().min(1).optional(),
});
export type HistoryCardConfig = z.output<typeof HistoryCardConfig>;

export class CardConfigError extends Error {
  override readonly name = 'CardConfigError';
}

/** Validates a card's config: the first problem as `field: message`, thrown (HA's error-card convention). */
export function parseCardConfig<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (input === null || typeof input !== 'object') throw new CardConfigError('config: expected an object');
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new CardConfigError('config: invalid');
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? '?'] : issue.path;
  const field = path.length > 0 ? path.map(String).join('.') : 'config';
  const message = issue.code === 'unrecognized_keys' ? 'unknown option' : issue.message;
  throw new CardConfigError(`${field}: ${message}`);
}
