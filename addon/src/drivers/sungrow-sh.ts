import { SungrowShAdapter, SungrowSimulator, TRANSPORT_PROFILE } from '@sps/device-sungrow';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

/** The device fields of a Sungrow SH entry; the adapter's own schema checks them again. */
const sungrowFields = z.strictObject({
  host: hostName,
  port: tcpPort.default(502),
  unit_id: intBetween(0, 247).default(1),
  transport: oneOf(['lan', 'winet']).default('lan'),
  timeout_ms: intBetween(100, 60_000).optional(),
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
});
