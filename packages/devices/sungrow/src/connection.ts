import { z } from 'zod';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

/**
 * How to reach a Sungrow SH inverter; exported for the add-on's options and the `sps` CLI.
 * `transport: winet` means through the WiNet-S dongle: slower pacing, registers may be missing.
 */
export const sungrowConnectionSchema = z.strictObject({
  host: z.string().trim().min(1, 'host is required'),
  port: integer(1, 65535).default(502),
  unit_id: integer(0, 247).default(1),
  timeout_ms: integer(100, 60_000).default(3000),
  transport: z.enum(['lan', 'winet']).default('lan'),
});

export type SungrowConnection = z.output<typeof sungrowConnectionSchema>;
export type SungrowConnectionInput = z.input<typeof sungrowConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.port: …`. */
export function parseSungrowConnection(input: unknown): SungrowConnection {
  const result = sungrowConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  throw new Error(`${path}: ${issue?.message ?? 'invalid'}`);
}

/** Pacing and polling facts per transport (device-protocols.md §4.3). */
export const TRANSPORT_PROFILE = {
  lan: { interMessageDelayMs: 5, minPollIntervalMs: 1000 },
  winet: { interMessageDelayMs: 30, minPollIntervalMs: 10_000 },
} as const;
