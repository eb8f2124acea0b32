import { z } from 'zod';

/** Accepts a number or a decimal string (CLI flags and YAML both arrive here). */
const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(min).max(max));

/**
 * How to reach a Sigenergy plant; exported for the add-on's options and the `sps` CLI. The plant
 * answers on unit 247; the inverters on `inverter_unit_id` and the `inverter_count − 1` ids after
 * it (1 by default; 2 and up when an AC charger takes id 1).
 */
export const sigenergyConnectionSchema = z.strictObject({
  host: z.string().trim().min(1, 'host is required'),
  port: integer(1, 65535).default(502),
  plant_unit_id: integer(1, 247).default(247),
  inverter_unit_id: integer(1, 246).default(1),
  inverter_count: integer(1, 16).default(1),
  timeout_ms: integer(100, 60_000).default(3000),
});

export type SigenergyConnection = z.output<typeof sigenergyConnectionSchema>;
export type SigenergyConnectionInput = z.input<typeof sigenergyConnectionSchema>;

/** Parse connection options; the error message names the offending field, e.g. `connection.port: …`. */
export function parseSigenergyConnection(input: unknown): SigenergyConnection {
  const result = sigenergyConnectionSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? `connection.${issue.path.join('.')}` : 'connection';
    throw new Error(`${path}: ${issue?.message ?? 'invalid'}`);
  }
  const c = result.data;
  const last = c.inverter_unit_id + c.inverter_count - 1;
  if (last > 246 || (c.plant_unit_id >= c.inverter_unit_id && c.plant_unit_id <= last)) {
    throw new Error(
      `connection.inverter_count: inverters ${c.inverter_unit_id}..${last} must stay below 247 and not include the plant's unit ${c.plant_unit_id}`,
    );
  }
  return c;
}

/** The inverters' unit ids, in order. */
export function inverterUnitIds(c: SigenergyConnection): number[] {
  return Array.from({ length: c.inverter_count }, (_, i) => c.inverter_unit_id + i);
}

/**
 * One request after another with a short gap: the plant's Modbus server is also the system's
 * gateway and EMS, so it is spared bursts. A poll is eight requests with one inverter (seven plant
 * blocks and its PV); polling more often than every 2 s gains nothing for a plan that works in minutes.
 */
export const SIGENERGY_INTER_MESSAGE_DELAY_MS = 5;
export const SIGENERGY_MIN_POLL_INTERVAL_MS = 2000;
