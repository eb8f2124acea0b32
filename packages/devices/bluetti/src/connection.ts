import { z } from 'zod';
import { SUPPORTED_MODEL_NAMES } from './codec/models.js';
import { MAC_ADDRESS_PATTERN } from './gatt.js';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

/**
 * How to reach a Bluetti station; exported for the add-on's options and the `sps` CLI.
 * `bluez` (default) shares Home Assistant's adapter through BlueZ over D-Bus; `noble` owns a
 * raw HCI adapter (standalone installs); `tcp-sim` reaches a simulator through the loopback
 * GATT tunnel (tests and the demo).
 */
export const bluettiConnectionSchema = z
  .strictObject({
    address: z
      .string()
      .trim()
      .regex(MAC_ADDRESS_PATTERN, 'expected a Bluetooth MAC address like AA:BB:CC:DD:EE:FF')
      .optional(),
    transport: z.enum(['bluez', 'noble', 'tcp-sim']).default('bluez'),
    host: z.string().trim().min(1).optional(),
    port: integer(1, 65535).optional(),
    model: z.enum(SUPPORTED_MODEL_NAMES as [string, ...string[]]).optional(),
    /** BlueZ adapter (hci0); the first one BlueZ lists when absent. */
    adapter: z
      .string()
      .regex(/^hci\d{1,2}$/, 'expected an adapter name like hci0')
      .optional(),
    timeout_ms: integer(200, 60_000).default(5000),
  })
  .superRefine((value, ctx) => {
    if (value.transport === 'tcp-sim') {
      if (value.host === undefined)
        ctx.addIssue({ code: 'custom', path: ['host'], message: 'is required for transport tcp-sim' });
      if (value.port === undefined)
        ctx.addIssue({ code: 'custom', path: ['port'], message: 'is required for transport tcp-sim' });
    } else {
      if (value.address === undefined) {
        ctx.addIssue({ code: 'custom', path: ['address'], message: `is required for transport ${value.transport}` });
      }
      for (const field of ['host', 'port'] as const) {
        if (value[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: 'is only used with transport tcp-sim' });
        }
      }
    }
  });

export type BluettiConnection = z.output<typeof bluettiConnectionSchema>;
export type BluettiConnectionInput = z.input<typeof bluettiConnectionSchema>;

/** Parse connection options; the error names the offending field, e.g. `connection.address: …`. */
export function parseBluettiConnection(input: unknown): BluettiConnection {
  const result = bluettiConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
  throw new Error(`${path}: ${issue?.message ?? 'invalid'}`);
}

/** Polling facts: a poll is 3–6 BLE round trips of ~100–300 ms each; faster polling only crowds the radio. */
export const BLUETTI_POLLING = { defaultMs: 10_000, minMs: 5000 } as const;
