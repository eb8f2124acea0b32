import { canConnectionFields, refineCanConnection } from '@sps/can';
import {
  STUDER_ADDRESS,
  STUDER_DEFAULT_POLL_INTERVAL_MS,
  STUDER_MIN_GAP_MS,
  STUDER_MIN_POLL_INTERVAL_MS,
  STUDER_REQUEST_TIMEOUT_MS,
  StuderAdapter,
  StuderCommand,
  startStuderSimulator,
} from '@sps/device-studer';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { canSimulator, socketcandAt } from './can-driver.js';
import { intBetween } from '../zod-fields.js';

const can = canConnectionFields.shape;

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
 * The device fields of a Studer entry: the CAN connection every CAN driver shares (@sps/can) plus
 * the addresses on the Studer bus and the request discipline. The adapter's own schema checks them again.
 */
const studerFields = z
  .strictObject({
    transport: can.transport
      .refine((t) => t !== 'candump', {
        error: 'studer asks the Xtender questions, and a candump replay cannot answer them',
      })
      .describe('socketcand: a CAN gateway (or `sps simulate studer`) at host:port; socketcan: the Linux interface'),
    host: can.host.describe("the socketcand gateway's address (transport socketcand)"),
    port: can.port.describe("the socketcand gateway's TCP port"),
    interface: can.interface.describe('the CAN interface the Xcom-CAN is on: can0 on the gateway or on this machine'),
    source_address: intBetween(0, 1023).default(0).describe("this client's address on the Studer bus"),
    xtender_address: intBetween(101, 109)
      .default(STUDER_ADDRESS.firstXtender)
      .describe("the Xtender's address (Studer's address table: 101 = the first)"),
    variotrack_address: intBetween(301, 315)
      .default(STUDER_ADDRESS.firstVarioTrack)
      .describe("the first VarioTrack's address (301 = the first)"),
    variotrack_count: intBetween(0, 15).default(1).describe('how many VarioTracks, at consecutive addresses'),
    battery_nominal_voltage: decimal(12, 60)
      .default(48)
      .describe("the bank's nominal voltage, V (turns a charge power into the charger current)"),
    timeout_ms: intBetween(100, 10_000)
      .default(STUDER_REQUEST_TIMEOUT_MS)
      .describe('how long one request may take before it is retried, ms'),
    min_gap_ms: intBetween(0, 5_000).default(STUDER_MIN_GAP_MS).describe('pause on the bus between requests, ms'),
  })
  .superRefine(refineCanConnection);

type StuderFields = z.output<typeof studerFields>;

export const studerDriver = defineDriver<StuderFields>({
  name: 'studer',
  title: 'Studer Xtender + VarioTrack (Xcom-CAN public protocol)',
  fields: studerFields,
  pollIntervals: () => ({ defaultMs: STUDER_DEFAULT_POLL_INTERVAL_MS, minMs: STUDER_MIN_POLL_INTERVAL_MS }),
  create: (id, fields, { clock, log }) =>
    new StuderAdapter({
      id,
      connection: fields,
      clock,
      ...(log === undefined
        ? {}
        : { onTransportProblem: (p) => log('warn', { problem: p.kind }, `CAN gateway sent input that was skipped`) }),
    }),
  createSimulator: canSimulator(startStuderSimulator),
  simulatorFields: (address) => ({
    ...socketcandAt(address),
    source_address: 0,
    xtender_address: 101,
    variotrack_address: 301,
    variotrack_count: 1,
    battery_nominal_voltage: 48,
    timeout_ms: STUDER_REQUEST_TIMEOUT_MS,
    min_gap_ms: STUDER_MIN_GAP_MS,
  }),
  exampleFields: { transport: 'socketcand', host: '192.168.1.80', port: 29536, interface: 'can0' },
  exampleCommand: 'set_charge_limit --power-w 2400',
  // The Studer's own commands: the Xtender's parameters in their own units, each switch alone.
  commands: {
    schema: StuderCommand,
    flags: {
      'ac-input-current-limit': {
        name: 'set_ac_input_current_limit',
        field: 'amps',
        value: 'number',
        help: 'the AC input current limit, A (Xtender parameter 1107)',
      },
      'charger-current': {
        name: 'set_charger_current',
        field: 'amps',
        value: 'number',
        help: 'the battery charger current, A (1138; at most the max charge power ÷ the nominal voltage)',
      },
      'inverter-allowed': {
        name: 'set_inverter_allowed',
        field: 'on',
        value: 'boolean',
        help: 'allow the inverter (1124)',
      },
      'charger-allowed': {
        name: 'set_charger_allowed',
        field: 'on',
        value: 'boolean',
        help: 'allow the charger (1125)',
      },
    },
  },
});
