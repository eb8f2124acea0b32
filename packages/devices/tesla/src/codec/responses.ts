import { DecodeError } from '@sps/core';
import { z } from 'zod';

/**
 * The Fleet API energy responses the adapter reads, as Teslemetry forwards them. Shapes from
 * device-protocols.md §6 (python-tesla-fleet-api `energysite.py`; Home Assistant's teslemetry test
 * fixtures). Every schema is loose: Tesla adds fields often, and an unknown field must never make a
 * working site unavailable. Only the fields we use are checked.
 */

const finite = z.number().finite();

/** `"123456"` or `123456`: site ids are kept as strings (they can outgrow a double). */
const siteId = z
  .union([
    z
      .string()
      .trim()
      .regex(/^\d{1,30}$/),
    z.number().int().nonnegative(),
  ])
  .transform(String);

export const ProductsResponse = z.object({
  response: z.array(z.looseObject({ energy_site_id: siteId.optional(), site_name: z.string().nullish() })),
});

export const LiveStatus = z.looseObject({
  solar_power: finite.nullish(),
  percentage_charged: finite.nullish(),
  battery_power: finite.nullish(),
  load_power: finite.nullish(),
  grid_power: finite.nullish(),
  generator_power: finite.nullish(),
  grid_status: z.string().nullish(),
  island_status: z.string().nullish(),
  storm_mode_active: z.boolean().nullish(),
  backup_capable: z.boolean().nullish(),
  timestamp: z.string().nullish(),
});
export type LiveStatus = z.infer<typeof LiveStatus>;

export const EXPORT_RULES = ['battery_ok', 'pv_only', 'never'] as const;
export type ExportRule = (typeof EXPORT_RULES)[number];

export const SiteInfo = z.looseObject({
  id: z.string().nullish(),
  site_name: z.string().nullish(),
  backup_reserve_percent: finite.min(0).max(100).nullish(),
  default_real_mode: z.string().nullish(),
  version: z.string().nullish(),
  battery_count: finite.nullish(),
  nameplate_power: finite.nullish(),
  nameplate_energy: finite.nullish(),
  installation_time_zone: z.string().nullish(),
  components: z
    .looseObject({
      battery_type: z.string().nullish(),
      gateway: z.string().nullish(),
      customer_preferred_export_rule: z.string().nullish(),
      disallow_charge_from_grid_with_solar_installed: z.boolean().nullish(),
      tou_capable: z.boolean().nullish(),
    })
    .nullish(),
  /** Present on sites that report their tariff; kept so a restore can put the user's own back. */
  tariff_content_v2: z.record(z.string(), z.unknown()).nullish(),
});
export type SiteInfo = z.infer<typeof SiteInfo>;

/** One period of `calendar_history?kind=energy`; every energy field is Wh and absent when zero. */
export const EnergyHistoryEntry = z.looseObject({
  timestamp: z.string().nullish(),
  solar_energy_exported: finite.nullish(),
  generator_energy_exported: finite.nullish(),
  grid_energy_imported: finite.nullish(),
  grid_energy_exported_from_solar: finite.nullish(),
  grid_energy_exported_from_generator: finite.nullish(),
  grid_energy_exported_from_battery: finite.nullish(),
  battery_energy_exported: finite.nullish(),
  battery_energy_imported_from_grid: finite.nullish(),
  battery_energy_imported_from_solar: finite.nullish(),
  battery_energy_imported_from_generator: finite.nullish(),
  consumer_energy_imported_from_grid: finite.nullish(),
  consumer_energy_imported_from_solar: finite.nullish(),
  consumer_energy_imported_from_battery: finite.nullish(),
  consumer_energy_imported_from_generator: finite.nullish(),
});
export const EnergyHistory = z.looseObject({ time_series: z.array(EnergyHistoryEntry).nullish() });
export type EnergyHistory = z.infer<typeof EnergyHistory>;

/**
 * A command's answer: the real API says `{"code":201,"message":"Updated"}`, Home Assistant's tests
 * use `{"result":true,"reason":""}` (device-protocols.md §6.2); both are accepted, and
 * `result: false` is a refusal with its reason.
 */
export const CommandResult = z.union([
  z.looseObject({ code: finite, message: z.string().nullish() }),
  z.looseObject({ result: z.boolean(), reason: z.string().nullish() }),
  z.null(),
  z.string(),
]);
export type CommandResult = z.infer<typeof CommandResult>;

/** `{"response": null, "error": "...", "error_description": "..."}` */
export const ErrorBody = z.looseObject({
  response: z.unknown().optional(),
  error: z.union([z.string(), z.record(z.string(), z.unknown())]),
  error_description: z.string().nullish(),
});

/** `{"response": …}` around every answer: the inner value, checked with `schema`. */
export function unwrap<T>(body: unknown, schema: z.ZodType<T>, what: string): T {
  const envelope = z.object({ response: z.unknown() }).safeParse(body);
  if (!envelope.success) throw new DecodeError(`${what}: expected {"response": …}`);
  const inner = schema.safeParse(envelope.data.response);
  if (inner.success) return inner.data;
  const issue = inner.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  throw new DecodeError(`${what}: ${path === '' ? 'response' : `response.${path}`}: ${issue?.message ?? 'invalid'}`);
}

/** The error text of an error body, or null when the body is not one. */
export function errorReason(body: unknown): string | null {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return null;
  const { error, error_description: description } = parsed.data;
  const text = typeof error === 'string' ? error : JSON.stringify(error);
  return description ? `${text} (${description})` : text;
}

/**
 * Products as JSON text → the first energy site's id. `energy_site_id` is a JSON number on the
 * wire; it is quoted before parsing so a 19-digit id keeps every digit.
 */
export function parseProducts(text: string): { siteIds: string[]; names: (string | null)[] } {
  const quoted = text.replace(/("energy_site_id"\s*:\s*)(\d+)/g, '$1"$2"');
  let json: unknown;
  try {
    json = JSON.parse(quoted);
  } catch {
    throw new DecodeError('/api/1/products: not JSON');
  }
  const parsed = ProductsResponse.safeParse(json);
  if (!parsed.success) throw new DecodeError('/api/1/products: expected {"response": [products]}');
  const sites = parsed.data.response.filter((p) => p.energy_site_id !== undefined);
  return { siteIds: sites.map((p) => p.energy_site_id as string), names: sites.map((p) => p.site_name ?? null) };
}
