import { canConnectionFields, refineCanConnection } from '@sps/can';
import { PYLONTECH_MIN_POLL_INTERVAL_MS, PylontechAdapter, startPylontechSimulator } from '@sps/device-pylontech';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { canSimulator, socketcandAt } from './can-driver.js';

const can = canConnectionFields.shape;

/**
 * The device fields of a Pylontech entry: the CAN connection every CAN driver shares (@sps/can)
 * plus `keep_alive`. The adapter's own schema checks them again.
 */
const pylontechFields = z
  .strictObject({
    transport: can.transport.describe(
      'socketcand: a CAN gateway (or `sps simulate pylontech`) at host:port; socketcan: the Linux interface; candump: replay a log file',
    ),
    host: can.host.describe("the socketcand gateway's address (transport socketcand)"),
    port: can.port.describe("the socketcand gateway's TCP port"),
    interface: can.interface.describe('the CAN interface: can0 on the gateway or on this machine'),
    file: can.file.describe('the candump log to replay (transport candump)'),
    replay_speed: can.replay_speed.describe('candump replay pace: 1 as recorded, 0 as fast as possible'),
    keep_alive: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
        error: 'expected true or false',
      })
      .default(false)
      .describe('send the 0x305 keep-alive every second (only when no inverter on the bus sends it)'),
  })
  .superRefine(refineCanConnection);

type PylontechFields = z.output<typeof pylontechFields>;

export const pylontechDriver = defineDriver<PylontechFields>({
  name: 'pylontech',
  title: 'Pylontech (or compatible: BYD, REC…) lithium BMS on CAN',
  fields: pylontechFields,
  pollIntervals: () => ({ defaultMs: 5000, minMs: PYLONTECH_MIN_POLL_INTERVAL_MS }),
  create: (id, fields, { clock }) => new PylontechAdapter({ id, connection: fields, clock }),
  // A house drawing 10 A (about 500 W) so the readings move.
  createSimulator: canSimulator((at) => startPylontechSimulator({ ...at, currentA: 10 })),
  simulatorFields: (address) => ({ ...socketcandAt(address), replay_speed: 1, keep_alive: false }),
  exampleFields: { transport: 'socketcand', host: '192.168.1.70', port: 29536, interface: 'can0' },
});
