import { z } from 'zod';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

export const KASA_TRANSPORTS = ['auto', 'xor', 'klap'] as const;
export type KasaTransportChoice = (typeof KASA_TRANSPORTS)[number];

/** Default TCP ports: the legacy protocol listens on 9999, KLAP on the plug's HTTP port 80. */
export const DEFAULT_PORTS = { xor: 9999, klap: 80 } as const;

/**
 * How to reach a Kasa/Tapo plug; exported for the add-on's options and the `sps` CLI.
 * `transport: auto` tries the legacy XOR protocol first, then KLAP. `port` overrides the
 * default port of whichever transport is used. username/password are the TP-Link account's
 * (KLAP only; plugs never linked to the cloud accept blank credentials).
 */
export const kasaConnectionSchema = z.strictObject({
  host: z.string().trim().min(1, 'host is required'),
  port: integer(1, 65535).optional(),
  transport: z.enum(KASA_TRANSPORTS).default('auto'),
  username: z.string().max(256).optional(),
  password: z.string().max(256).optional(),
  timeout_ms: integer(100, 60_000).default(3000),
});

export type KasaConnection = z.output<typeof kasaConnectionSchema>;
export type KasaConnectionInput = z.input<typeof kasaConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.transport: …`. */
export function parseKasaConnection(input: unknown): KasaConnection {
  const result = kasaConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') return fail(`connection.${issue.keys[0] ?? '?'}`, 'unknown field');
  const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  return fail(path, issue?.message ?? 'invalid');
}

function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}
