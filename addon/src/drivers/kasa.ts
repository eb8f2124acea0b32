import { KasaPlugAdapter, KasaXorSimulator } from '@sps/device-kasa';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

const credential = z
  .string({ error: expecting('expected text') })
  .max(256, { error: 'expected at most 256 characters' });

/**
 * The device fields of a Kasa/Tapo plug entry; the adapter's own schema checks them again.
 * `port` overrides the transport's default (XOR 9999, KLAP 80); username/password are the
 * TP-Link (Kasa/Tapo app) account and matter only for KLAP.
 */
const kasaFields = z.strictObject({
  host: hostName.describe("the plug's IP address or host name"),
  port: tcpPort.optional().describe("the protocol's port (default 9999 for xor, 80 for klap)"),
  transport: oneOf(['auto', 'xor', 'klap'])
    .default('auto')
    .describe('xor: the legacy protocol; klap: newer firmware (needs the account); auto tries both'),
  username: credential.optional().describe('klap: the TP-Link (Kasa/Tapo app) account e-mail'),
  password: credential.optional().describe('klap: the TP-Link account password'),
  timeout_ms: intBetween(100, 60_000).optional().describe('how long one request may take, ms'),
});

type KasaFields = z.output<typeof kasaFields>;

export const kasaDriver = defineDriver<KasaFields>({
  name: 'kasa',
  title: 'TP-Link Kasa / Tapo smart plug (XOR or KLAP)',
  fields: kasaFields,
  pollIntervals: (fields) => ({
    defaultMs: 10_000,
    // A KLAP poll is up to three encrypted HTTP requests; the legacy protocol is one TCP exchange.
    minMs: fields.transport === 'xor' ? 1000 : 2000,
  }),
  create: (id, fields, { clock }) => new KasaPlugAdapter({ id, connection: fields, clock }),
  createSimulator: ({ realTime }) => {
    // The demo's plug: an HS110 v2 on the legacy protocol (the KLAP simulator is in @sps/device-kasa too).
    const simulator = new KasaXorSimulator({ profile: 'hs110v2', realtime: realTime });
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.state,
    };
  },
  simulatorFields: ({ host, port }) => ({ host, port, transport: 'xor' }),
  exampleFields: { host: '192.168.1.41' },
  exampleCommand: 'set_relay --on true',
});
