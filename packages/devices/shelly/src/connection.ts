import { z } from 'zod';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

/**
 * Relay channels to expose: `"0,2"`, `[0, 2]` or `1`. HA's add-on options cannot nest, so a
 * comma-separated string is the form config.yaml uses.
 */
const channelList = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d{1,2}(\s*,\s*\d{1,2})*$/, 'expected channel numbers such as "0" or "0,1"'),
    z.array(z.number()),
  ])
  .transform((v) => {
    const list = typeof v === 'number' ? [v] : typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v;
    return [...new Set(list)].sort((a, b) => a - b);
  })
  .pipe(z.array(z.number().int().min(0).max(15)).min(1, 'name at least one channel'));

/**
 * How to reach a Shelly; exported for the add-on's options and the `sps` CLI.
 * `generation`: `auto` asks `/shelly`; `1` is the Gen1 HTTP API, `2`/`3`/`4` the JSON-RPC API.
 * `transport` applies to Gen2+: `websocket` keeps one socket open and takes the device's
 * NotifyStatus pushes; `http` polls `POST /rpc`.
 */
export const shellyConnectionSchema = z.strictObject({
  host: z.string().trim().min(1, 'host is required'),
  port: integer(1, 65535).default(80),
  password: z.string().min(1, 'password must not be empty (leave it out instead)').max(128).optional(),
  /** Gen1 only: its login user can be renamed; Gen2+ always uses `admin`. */
  username: z.string().trim().min(1).max(64).default('admin'),
  generation: z
    .preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(['auto', '1', '2', '3', '4']))
    .default('auto'),
  transport: z.enum(['websocket', 'http']).default('websocket'),
  channels: channelList.optional(),
  /** Single-phase meters (Pro EM, EM Gen3, Gen1 EM): which CT channel measures the grid. */
  meter_channel: integer(0, 3).default(0),
  timeout_ms: integer(100, 60_000).default(3000),
});

export type ShellyConnection = z.output<typeof shellyConnectionSchema>;
export type ShellyConnectionInput = z.input<typeof shellyConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.port: …`. */
export function parseShellyConnection(input: unknown): ShellyConnection {
  const result = shellyConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  let path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  if (issue?.code === 'unrecognized_keys') path = `connection.${issue.keys[0] ?? '?'}`;
  const message = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid');
  throw new Error(`${path}: ${message}`);
}

/** Poll cadence: with WebSocket pushes the poll is only a safety net. */
export const SHELLY_POLL = {
  websocket: { defaultMs: 30_000 },
  http: { defaultMs: 5000 },
  minMs: 1000,
} as const;
