import { SungrowShAdapter, SungrowSimulator, TRANSPORT_PROFILE } from '@sps/device-sungrow';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

/** The device fields of a Sungrow SH entry; the adapter's own schema checks them again. */
const sungrowFields = z.strictObject({
  host: hostName.describe("the inverter's IP address or host name (LAN port or WiNet-S dongle)"),
  port: tcpPort.default(502).describe('Modbus TCP port'),
  unit_id: intBetween(0, 247).default(1).describe('Modbus unit id (slave id)'),
  transport: oneOf(['lan', 'winet'])
    .default('lan')
    .describe("lan: the inverter's own Ethernet port; winet: the WiNet-S dongle (slower polling)"),
  timeout_ms: intBetween(100, 60_000).optional().describe('how long one request may take, ms'),
});

type SungrowFields = z.output<typeof sungrowFields>;

export const sungrowShDriver = defineDriver<SungrowFields>({
  name: 'sungrow-sh',
  title: 'Sungrow SH hybrid inverter (Modbus TCP)',
  fields: sungrowFields,
  pollIntervals: (fields) => ({
    // The WiNet-S dongle needs ~10 s between polls (device-protocols.md §4); the LAN port copes with 1 s.
    defaultMs: fields.transport === 'winet' ? 10_000 : 5000,
    minMs: TRANSPORT_PROFILE[fields.transport].minPollIntervalMs,
  }),
  create: (id, fields, { clock }) => new SungrowShAdapter({ id, connection: fields, clock }),
  createSimulator: ({ realTime, clock }) => {
    const simulator = new SungrowSimulator({ realtime: realTime, ...(clock === undefined ? {} : { clock }) });
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.state,
    };
  },
  simulatorFields: ({ host, port }) => ({ host, port, unit_id: 1, transport: 'lan' }),
  exampleFields: { host: '192.168.1.50' },
  exampleCommand: 'force_charge --power-w 2000',
});
