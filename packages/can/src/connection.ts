import { z } from 'zod';

/** socketcand's default TCP port (its README and `socketcand -p`). */
export const SOCKETCAND_DEFAULT_PORT = 29536;
export const DEFAULT_CAN_INTERFACE = 'can0';

export type CanTransport = 'socketcand' | 'socketcan' | 'candump';

/**
 * A CAN device's `connection` block, shared by every CAN driver (pylontech, studer…):
 * - `socketcand`: a gateway at `host`:`port` (default 29536) serving `interface`;
 * - `socketcan`: the Linux netdev `interface` (needs the optional native `socketcan` package);
 * - `candump`: replay of the candump log `file` at `replay_speed` × the recorded pace (0 = as fast as possible).
 */
export interface CanConnection {
  readonly transport: CanTransport;
  readonly host?: string;
  readonly port?: number;
  readonly interface: string;
  readonly file?: string;
  readonly replay_speed?: number;
}

// Numbers may arrive as strings (CLI flags, HA's `str` options).
const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

const portError = 'expected a TCP port from 1 to 65535';
const speedError = 'expected a replay speed >= 0 (1 = recorded pace, 0 = as fast as possible)';

/** The fields without the cross-field rules, for drivers that extend the block with their own options. */
export const canConnectionFields = z.object({
  transport: z.enum(['socketcand', 'socketcan', 'candump'], {
    error: 'expected transport socketcand, socketcan or candump',
  }),
  host: z
    .string()
    .trim()
    .min(1)
    .regex(/^[^\s/]+$/, { error: 'expected a host name or IP address (no scheme or path)' })
    .optional(),
  port: numberLike
    .pipe(z.int({ error: portError }).min(1, { error: portError }).max(65535, { error: portError }))
    .default(SOCKETCAND_DEFAULT_PORT),
  interface: z
    .string()
    .trim()
    // Linux netdev names: at most 15 characters, no slash or whitespace (IFNAMSIZ).
    .regex(/^[^\s/]{1,15}$/, { error: 'expected a CAN interface name such as can0 (1-15 characters)' })
    .default(DEFAULT_CAN_INTERFACE),
  file: z.string().trim().min(1).optional(),
  replay_speed: numberLike.pipe(z.number().min(0, { error: speedError }).max(1_000_000)).default(1),
});

/** Adds the rules between fields: a socketcand gateway needs a host, a replay needs a file. */
export function refineCanConnection<T extends { transport: CanTransport; host?: string; file?: string }>(
  value: T,
  ctx: z.RefinementCtx,
): void {
  if (value.transport === 'socketcand' && value.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], message: 'socketcand needs the gateway host' });
  }
  if (value.transport === 'candump' && value.file === undefined) {
    ctx.addIssue({ code: 'custom', path: ['file'], message: 'candump replay needs the log file path' });
  }
}

export const canConnectionSchema = canConnectionFields.superRefine(refineCanConnection);

// The parsed block is a CanConnection (compile-time check only).
const _assignable: (parsed: z.output<typeof canConnectionSchema>) => CanConnection = (parsed) => parsed;
void _assignable;

/** A short name for reasons: "socketcand 127.0.0.1:29536 can0", "socketcan can0", "candump /x.log". */
export function describeCanConnection(connection: CanConnection): string {
  switch (connection.transport) {
    case 'socketcand':
      return `socketcand ${connection.host ?? '?'}:${connection.port ?? SOCKETCAND_DEFAULT_PORT} ${connection.interface}`;
    case 'socketcan':
      return `socketcan ${connection.interface}`;
    case 'candump':
      return `candump ${connection.file ?? '?'}`;
  }
}
