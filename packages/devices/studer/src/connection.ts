import { canConnectionFields, refineCanConnection } from '@sps/can';
import { z } from 'zod';
import { STUDER_ADDRESS } from './codec/objects.js';
import { STUDER_MIN_GAP_MS, STUDER_REQUEST_TIMEOUT_MS } from './client.js';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

const decimal = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\d+(\.\d+)?$/, 'must be a number')
        .transform(Number),
    ])
    .pipe(z.number().min(min).max(max));

/**
 * How to reach a Studer installation: the CAN connection (@sps/can's block: socketcand gateway,
 * SocketCAN netdev or a candump replay) plus the addresses on the Studer bus, from Studer's
 * address table: the Xtender is 101 (the first, in RCC order), the VarioTracks 301.. (0 of them
 * for a system without one). The client's own address defaults to 0, as in Studer's examples.
 */
export const studerConnectionSchema = canConnectionFields
  .extend({
    source_address: integer(0, 1023).default(0),
    xtender_address: integer(101, 109).default(STUDER_ADDRESS.firstXtender),
    variotrack_address: integer(301, 315).default(STUDER_ADDRESS.firstVarioTrack),
    variotrack_count: integer(0, 15).default(1),
    /** The bank's nominal voltage, V: turns a charge power (W) into the charger current (A) the Xtender takes. */
    battery_nominal_voltage: decimal(12, 60).default(48),
    timeout_ms: integer(100, 10_000).default(STUDER_REQUEST_TIMEOUT_MS),
    min_gap_ms: integer(0, 5_000).default(STUDER_MIN_GAP_MS),
  })
  .strict()
  .superRefine(refineCanConnection);

export type StuderConnection = z.output<typeof studerConnectionSchema>;
export type StuderConnectionInput = z.input<typeof studerConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.port: …`. */
export function parseStuderConnection(input: unknown): StuderConnection {
  const result = studerConnectionSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
    throw new Error(`${path}: ${issue?.message ?? 'invalid'}`);
  }
  const c = result.data;
  if (c.transport === 'candump') {
    throw new Error('connection.transport: studer asks the Xtender questions, and a candump replay cannot answer them');
  }
  if (c.variotrack_address + c.variotrack_count - 1 > 315) {
    throw new Error(
      `connection.variotrack_count: VarioTracks ${c.variotrack_address}..${c.variotrack_address + c.variotrack_count - 1} go past 315, the last VarioTrack address`,
    );
  }
  return c;
}

export function varioTrackAddresses(c: StuderConnection): number[] {
  return Array.from({ length: c.variotrack_count }, (_, i) => c.variotrack_address + i);
}

/**
 * A poll is 11 Xtender infos + 4 parameters + 4 infos per VarioTrack: 19 requests with one
 * VarioTrack, about 1 s with the 50 ms gap (measured against the simulator over loopback:
 * scripts/measure-read.mjs). 10 s by default leaves the Studer bus idle nine tenths of the time.
 */
export const STUDER_DEFAULT_POLL_INTERVAL_MS = 10_000;
export const STUDER_MIN_POLL_INTERVAL_MS = 5_000;
