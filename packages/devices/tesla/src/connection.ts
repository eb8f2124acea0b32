import { z } from 'zod';

/** Teslemetry's API root; a Fleet API regional host or a simulator can stand in (`base_url`). */
export const TESLEMETRY_BASE_URL = 'https://api.teslemetry.com';

const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

/**
 * How to reach one Powerwall site; exported for the add-on's options and the `sps` CLI.
 * `site_id` is a string (ids can outgrow a double); absent = the first energy site of
 * `/api/1/products`.
 */
export const teslemetryConnectionSchema = z.strictObject({
  token: z.union([z.string(), z.number().transform(String)]).pipe(
    z
      .string()
      .trim()
      .min(1, 'token is required')
      .max(4096)
      .regex(/^[\x21-\x7e]+$/, 'the token must be printable characters without spaces'),
  ),
  site_id: z
    .union([z.string(), z.number().int().nonnegative().transform(String)])
    .pipe(
      z
        .string()
        .trim()
        .regex(/^\d{1,30}$/, 'expected the numeric energy site id'),
    )
    .optional(),
  base_url: z
    .string()
    .trim()
    .url('expected a URL such as https://api.teslemetry.com')
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .default(TESLEMETRY_BASE_URL),
  timeout_ms: integer(1000, 120_000).default(15_000),
  /** How often the lifetime energy totals (`calendar_history`, an expensive call) are fetched. */
  energy_interval_s: integer(300, 86_400).default(900),
  /** The site's time zone for tariff sync when site_info has none (IANA name). */
  time_zone: z.string().trim().min(1).max(64).optional(),
});

export type TeslemetryConnection = z.output<typeof teslemetryConnectionSchema>;
export type TeslemetryConnectionInput = z.input<typeof teslemetryConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.site_id: …`. */
export function parseTeslemetryConnection(input: unknown): TeslemetryConnection {
  const result = teslemetryConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  let path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  if (issue?.code === 'unrecognized_keys') path = `connection.${issue.keys[0] ?? '?'}`;
  const message = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid');
  throw new Error(`${path}: ${message}`);
}

/**
 * Poll cadence: live_status no faster than every 30 s by default (Teslemetry bills and limits per
 * request); 10 s is the floor a user may choose. site_info is re-read at most every 5 minutes and
 * after each command.
 */
export const TESLEMETRY_POLL = { defaultMs: 30_000, minMs: 10_000, siteInfoMs: 300_000 } as const;
