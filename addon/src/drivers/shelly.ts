import { SHELLY_POLL, ShellyAdapter, ShellySimulator } from '@sps/device-shelly';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

/**
 * Relay channels as one flat field: `"0,2"` in YAML, or a bare number (`--channels 1` on the
 * CLI arrives as a number).
 */
const channelList = z.union(
  [
    z.int().min(0).max(15),
    z
      .string()
      .trim()
      .regex(/^\d{1,2}(\s*,\s*\d{1,2})*$/, { error: 'expected relay channel numbers such as "0" or "0,1"' }),
  ],
  { error: expecting('expected relay channel numbers such as "0" or "0,1"') },
);

/** A password made only of digits arrives from the CLI as a number. */
const password = z.union([z.string().min(1).max(128), z.number().transform(String)], {
  error: expecting('expected the device password (1 to 128 characters)'),
});

/** The device fields of a Shelly entry; the adapter's own schema checks them again. */
const shellyFields = z.strictObject({
  host: hostName.describe("the Shelly's IP address or host name"),
  port: tcpPort.default(80).describe('HTTP port'),
  password: password.optional().describe("the device's password, if one is set in its web page"),
  username: z.string().trim().min(1).max(64).optional().describe('Gen1 only: the user name (default admin)'),
  generation: z
    .union([oneOf(['auto', '1', '2', '3', '4']), z.int().min(1).max(4).transform(String)], {
      error: expecting('expected one of auto|1|2|3|4'),
    })
    .default('auto')
    .describe('device generation, detected when auto'),
  transport: oneOf(['websocket', 'http'])
    .default('websocket')
    .describe('Gen2+: websocket (the device pushes changes) or http (polling)'),
  channels: channelList.optional().describe('the relay channels to use, e.g. "0" or "0,1" (default: all)'),
  meter_channel: intBetween(0, 3).default(0).describe("the channel whose meter is the device's power"),
  timeout_ms: intBetween(100, 60_000).optional().describe('how long one request may take, ms'),
});

type ShellyFields = z.output<typeof shellyFields>;

export const shellyDriver = defineDriver<ShellyFields>({
  name: 'shelly',
  title: 'Shelly relay or energy meter (Gen1 HTTP, Gen2+ RPC over WebSocket/HTTP)',
  fields: shellyFields,
  pollIntervals: (fields) => ({
    // Over WebSocket the device pushes changes; the poll is only a safety net.
    defaultMs: fields.transport === 'websocket' ? SHELLY_POLL.websocket.defaultMs : SHELLY_POLL.http.defaultMs,
    minMs: SHELLY_POLL.minMs,
  }),
  create: (id, fields, { clock }) => new ShellyAdapter({ id, connection: fields, clock }),
  createSimulator: ({ realTime }) => {
    // A Plus Plug S (Gen2, one metered relay) switching a 400 W appliance: the relay the demo puts at P1–P3.
    const simulator = new ShellySimulator({ profile: 'plus-plug-s', realtime: realTime, loadsW: [400] });
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.state,
    };
  },
  simulatorFields: ({ host, port }) => ({
    host,
    port,
    generation: 'auto',
    transport: 'websocket',
    meter_channel: 0,
  }),
  exampleFields: { host: '192.168.1.31' },
  exampleCommand: 'set_relay --on true',
});
