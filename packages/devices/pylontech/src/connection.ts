import { canConnectionFields, refineCanConnection, type CanConnection } from '@sps/can';
import { z } from 'zod';

/**
 * A Pylontech device's connection: the shared CAN block (socketcand / socketcan / candump) plus
 * `keep_alive`, whether the driver sends the inverter's 0x305 keep-alive itself.
 *
 * Default false: on most buses an inverter (Victron, SMA, Studer Xcom-CAN in BMS mode…) already
 * sends 0x305, and a second sender only doubles it. Turn it on when the add-on listens to a BMS that
 * has no inverter on its bus (a bench, a battery read on its own): a Pylontech sends its burst after
 * the keep-alive and, without one, may fall silent after some minutes.
 */
export const pylontechConnectionSchema = canConnectionFields
  .extend({
    keep_alive: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
        error: 'expected true or false',
      })
      .default(false),
  })
  .superRefine(refineCanConnection);

export type PylontechConnectionInput = z.input<typeof pylontechConnectionSchema>;
export type PylontechConnection = CanConnection & { readonly keep_alive: boolean };

/** Parses a connection block; a bad one throws an Error naming the field. */
export function parsePylontechConnection(input: unknown): PylontechConnection {
  const parsed = pylontechConnectionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'connection';
  throw new Error(`pylontech connection: ${field}: ${issue?.message ?? 'invalid'}`);
}

/** The BMS sends its burst about once a second; the inverter gives up when 0x351 is missing for ~3 s. */
export const PYLONTECH_STALE_AFTER_MS = 3000;
export const PYLONTECH_KEEP_ALIVE_INTERVAL_MS = 1000;
/** Reading faster than the BMS sends would only repeat the same burst. */
export const PYLONTECH_MIN_POLL_INTERVAL_MS = 1000;
