import { z } from 'zod';
import { AVERAGING_COUNTS, isAveragingCount, type AveragingCount } from './codec/config.js';
import { FIRST_ADDRESS, LAST_ADDRESS } from './registers.js';

/**
 * Where the INA260 is: `bus` is the Linux I2C bus number (1 → /dev/i2c-1; "/dev/i2c-1" is
 * accepted too), "memory" for the simulated chip on an in-memory bus (demo, tests) or "tcp-sim"
 * for `sps simulate ina260` at `host`:`port` over the loopback I2C tunnel (src/tunnel).
 * Numbers may arrive as strings (CLI flags, HA's `str` options) and addresses in hex ("0x40").
 */
const busSchema = z.union(
  [
    z.literal('memory'),
    z.literal('tcp-sim'),
    z.int().min(0).max(255),
    z
      .string()
      .trim()
      .regex(/^(\/dev\/i2c-)?\d{1,3}$/)
      .transform((text) => Number(text.replace('/dev/i2c-', '')))
      .pipe(z.int().max(255)),
  ],
  { error: 'expected an I2C bus number (0-255, e.g. 1 for /dev/i2c-1), "memory" or "tcp-sim"' },
);

const addressError = `expected an I2C address from 0x${FIRST_ADDRESS.toString(16)} to 0x${LAST_ADDRESS.toString(16)} (64-79)`;
const addressSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^(0x[0-9a-f]{1,2}|\d{1,3})$/i)
        .transform((text) => Number(text)),
    ],
    { error: addressError },
  )
  .pipe(
    z
      .int({ error: addressError })
      .min(FIRST_ADDRESS, { error: addressError })
      .max(LAST_ADDRESS, { error: addressError }),
  );

const averagingError = `expected one of ${AVERAGING_COUNTS.join('|')}`;
const averagingSchema = z
  .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error: averagingError })
  .refine((value) => isAveragingCount(value), { error: averagingError })
  .transform((value) => value as AveragingCount);

const timeoutError = 'expected a whole number of milliseconds from 10 to 60000';
const timeoutSchema = z
  .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error: timeoutError })
  .pipe(z.int({ error: timeoutError }).min(10, { error: timeoutError }).max(60_000, { error: timeoutError }));

const hostError = 'expected a host name or IP address (no scheme, port or path)';
const hostSchema = z
  .string({ error: hostError })
  .trim()
  .regex(/^[A-Za-z0-9._:-]{1,253}$/, { error: hostError });

const portError = 'expected an integer between 1 and 65535';
const portSchema = z
  .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error: portError })
  .pipe(z.int({ error: portError }).min(1, { error: portError }).max(65_535, { error: portError }));

export const ina260ConnectionSchema = z
  .strictObject({
    bus: busSchema,
    address: addressSchema.default(FIRST_ADDRESS),
    /** Samples the chip averages per reading; absent = leave the chip's setting alone. */
    averaging: averagingSchema.optional(),
    timeout_ms: timeoutSchema.default(1000),
    /** Where `sps simulate ina260` listens; only for bus "tcp-sim". */
    host: hostSchema.optional(),
    port: portSchema.optional(),
  })
  .superRefine((connection, ctx) => {
    if (connection.bus !== 'tcp-sim') return;
    if (connection.host === undefined)
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'is required for bus tcp-sim' });
    if (connection.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'is required for bus tcp-sim' });
  });

export type Ina260Connection = z.output<typeof ina260ConnectionSchema>;
export type Ina260ConnectionInput = z.input<typeof ina260ConnectionSchema>;

/** Parse connection options; the error names the field, e.g. `connection.address: expected …`. */
export function parseIna260Connection(input: unknown): Ina260Connection {
  const result = ina260ConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') return fail(`connection.${issue.keys[0] ?? '?'}`, 'unknown field');
  const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  return fail(path, issue?.message ?? 'invalid');
}

function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}
