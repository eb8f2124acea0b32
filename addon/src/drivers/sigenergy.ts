import { SIGENERGY_MIN_POLL_INTERVAL_MS, SigenergyAdapter, SigenergySimulator } from '@sps/device-sigenergy';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { hostName, intBetween, tcpPort } from '../zod-fields.js';

/** The device fields of a Sigenergy entry; the adapter's own schema checks them again. */
const sigenergyFields = z.strictObject({
  host: hostName.describe("the plant's IP address or host name (the SigenStor's Modbus TCP server)"),
  port: tcpPort.default(502).describe('Modbus TCP port'),
  plant_unit_id: intBetween(1, 247).default(247).describe('Modbus unit id of the plant (the whole system)'),
  inverter_unit_id: intBetween(1, 246)
    .default(1)
    .describe('Modbus unit id of the first inverter (2 when an AC charger has 1)'),
  inverter_count: intBetween(1, 16).default(1).describe('how many inverters, at consecutive unit ids'),
  timeout_ms: intBetween(100, 60_000).optional().describe('how long one request may take, ms'),
});

type SigenergyFields = z.output<typeof sigenergyFields>;

export const sigenergyDriver = defineDriver<SigenergyFields>({
  name: 'sigenergy',
  title: 'Sigenergy SigenStor (Modbus TCP, remote EMS)',
  fields: sigenergyFields,
  pollIntervals: () => ({ defaultMs: 5000, minMs: SIGENERGY_MIN_POLL_INTERVAL_MS }),
  create: (id, fields, { clock, log }) =>
    new SigenergyAdapter({
      id,
      connection: fields,
      clock,
      ...(log === undefined ? {} : { onNotice: (n) => log(n.level, { code: n.code, ...n.details }, n.message) }),
    }),
  createSimulator: ({ realTime, clock }) => {
    const simulator = new SigenergySimulator({ realtime: realTime, ...(clock === undefined ? {} : { clock }) });
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.state,
    };
  },
  simulatorFields: ({ host, port }) => ({ host, port, plant_unit_id: 247, inverter_unit_id: 1, inverter_count: 1 }),
  exampleFields: { host: '192.168.1.60' },
  exampleCommand: 'force_charge --power-w 3000',
});
