import { AVERAGING_COUNTS, Ina260Adapter, Ina260Simulator, INA260_MIN_POLL_MS } from '@sps/device-ina260';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

const busError = expecting(
  'expected an I2C bus number (1 for /dev/i2c-1), "memory" for the simulated sensor or "tcp-sim" for `sps simulate ina260`',
);
const addressError = expecting('expected an I2C address from 0x40 to 0x4f (64-79)');
const averagingError = expecting(`expected one of ${AVERAGING_COUNTS.join('|')}`);

/**
 * The device fields of an INA260 entry. HA's options schema may deliver numbers as text, so
 * `bus` also takes "1" or "/dev/i2c-1" and `address` takes "0x40"; the adapter's own schema
 * checks them again. There is no shunt field: the INA260's 2 mΩ shunt is inside the chip.
 * `transport: tcp-sim` reaches `sps simulate ina260` at host:port through the loopback I2C tunnel:
 * the same word as the Bluetti's, so "talk to the simulator" is one flag for every driver.
 * `bus: tcp-sim` was the first spelling and still works (with a note).
 */
const ina260Fields = z
  .strictObject({
    bus: z
      .union(
        [
          z.literal('memory'),
          z.literal('tcp-sim'),
          intBetween(0, 255),
          z
            .string()
            .trim()
            .regex(/^(\/dev\/i2c-)?\d{1,3}$/)
            .transform((text) => Number(text.replace('/dev/i2c-', '')))
            .pipe(intBetween(0, 255)),
        ],
        { error: busError },
      )
      .optional()
      .describe('the I2C bus: 1 for /dev/i2c-1, or "memory" for a simulated sensor inside the add-on'),
    transport: oneOf(['i2c', 'tcp-sim'])
      .optional()
      .describe('i2c (default): the chip on `bus`; tcp-sim: the simulator of `sps simulate ina260` at host:port'),
    address: z
      .union(
        [
          z.number(),
          z
            .string()
            .trim()
            .regex(/^(0x[0-9a-f]{1,2}|\d{1,3})$/i)
            .transform(Number),
        ],
        {
          error: addressError,
        },
      )
      .pipe(z.int({ error: addressError }).min(0x40, { error: addressError }).max(0x4f, { error: addressError }))
      .default(0x40)
      .describe("the chip's I2C address, 0x40 to 0x4f (set by its A0/A1 pins)"),
    averaging: z
      .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error: averagingError })
      .pipe(
        z.union(
          AVERAGING_COUNTS.map((n) => z.literal(n)),
          { error: averagingError },
        ),
      )
      .optional()
      .describe(`samples averaged per reading: ${AVERAGING_COUNTS.join('|')}`),
    timeout_ms: intBetween(10, 60_000).optional().describe('how long one bus transfer may take, ms (default 1000)'),
    host: hostName.optional().describe("the simulator's address (transport tcp-sim only)"),
    port: tcpPort.optional().describe("the simulator's port (transport tcp-sim only)"),
  })
  .superRefine((fields, ctx) => {
    if (fields.transport === 'tcp-sim' && fields.bus !== undefined && fields.bus !== 'tcp-sim') {
      ctx.addIssue({ code: 'custom', path: ['bus'], message: 'leave it out with transport tcp-sim' });
    }
    if (!isSimulated(fields)) {
      if (fields.bus === undefined) ctx.addIssue({ code: 'custom', path: ['bus'], message: 'is required' });
      return;
    }
    if (fields.host === undefined)
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'is required for transport tcp-sim' });
    if (fields.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'is required for transport tcp-sim' });
  });

function isSimulated(fields: { bus?: unknown; transport?: string | undefined }): boolean {
  return fields.transport === 'tcp-sim' || fields.bus === 'tcp-sim';
}

type Ina260Fields = z.output<typeof ina260Fields>;

export const ina260Driver = defineDriver<Ina260Fields>({
  name: 'ina260',
  title: 'TI INA260 PV sensor (I2C)',
  fields: ina260Fields,
  // Reading four registers over I2C costs well under a millisecond; 5 s matches the other devices.
  pollIntervals: () => ({ defaultMs: 5000, minMs: INA260_MIN_POLL_MS }),
  create: (id, fields, { clock }) => {
    // The adapter knows one word for where the chip is: `bus`.
    const { transport: _transport, ...connection } = fields;
    return new Ina260Adapter({
      id,
      connection: isSimulated(fields) ? { ...connection, bus: 'tcp-sim' } : connection,
      clock,
    });
  },
  notes: (fields) =>
    fields.bus === 'tcp-sim'
      ? ['bus tcp-sim is now transport tcp-sim (--transport tcp-sim); the old spelling still works']
      : [],
  // I2C has no network protocol: `sps simulate ina260` serves simulated chips (real time) over the
  // loopback I2C tunnel, reached with `transport: tcp-sim`. The demo kit needs no process or port and
  // uses `bus: memory`, which keeps the simulated chip inside the adapter.
  createSimulator: () => {
    const simulator = new Ina260Simulator();
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.snapshot(),
    };
  },
  simulatorFields: ({ host, port }) => ({ transport: 'tcp-sim', host, port, address: 0x40 }),
  exampleFields: { bus: 1 },
});
