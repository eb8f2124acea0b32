import path from 'node:path';
import {
  FileSavedSettings,
  TESLEMETRY_BASE_URL,
  TESLEMETRY_POLL,
  TeslemetryAdapter,
  TeslemetrySimulator,
} from '@sps/device-tesla';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, intBetween } from '../zod-fields.js';

/** A token made only of digits arrives from the CLI as a number. */
const token = z.union([z.string().trim().min(1).max(4096), z.number().transform(String)], {
  error: expecting('expected the Teslemetry access token'),
});

/**
 * Site ids are strings: a number from YAML or the CLI is taken as its digits (the CLI keeps ids
 * beyond 2^53 as text, connection-flags.ts).
 */
const siteId = z.union(
  [
    z
      .string()
      .trim()
      .regex(/^\d{1,30}$/, { error: 'expected the numeric energy site id' }),
    z.int().nonnegative().transform(String),
  ],
  { error: expecting('expected the numeric energy site id') },
);

const baseUrl = z
  .string({ error: expecting('expected a URL such as https://api.teslemetry.com') })
  .trim()
  .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    error: 'expected an http(s) URL such as https://api.teslemetry.com',
  });

/** The device fields of a Teslemetry entry; the adapter's own schema checks them again. */
const teslemetryFields = z.strictObject({
  token: token.describe('the Teslemetry access token (teslemetry.com → Console → Tokens)'),
  site_id: siteId.optional().describe('the energy site id (default: the first energy site of the account)'),
  base_url: baseUrl.optional().describe(`the API root (default ${TESLEMETRY_BASE_URL})`),
  timeout_ms: intBetween(1000, 60_000).optional().describe('how long one request may take, ms'),
  energy_interval_s: intBetween(300, 86_400)
    .optional()
    .describe('seconds between reads of the lifetime energy totals (calendar_history; default 900)'),
  time_zone: z.string().trim().min(1).max(64).optional().describe("the site's time zone, if Tesla reports none"),
});

type TeslemetryFields = z.output<typeof teslemetryFields>;

/** The file that remembers the user's own Powerwall settings while the add-on forces the site. */
export function teslemetrySettingsFile(dataDir: string, deviceId: string): string {
  return path.join(dataDir, 'teslemetry', `${deviceId}.json`);
}

export const teslemetryDriver = defineDriver<TeslemetryFields>({
  name: 'teslemetry',
  title: 'Tesla Powerwall through Teslemetry (Tesla Fleet API over HTTPS)',
  fields: teslemetryFields,
  // Teslemetry counts requests: live_status every 30 s by default, never faster than every 10 s.
  pollIntervals: () => ({ defaultMs: TESLEMETRY_POLL.defaultMs, minMs: TESLEMETRY_POLL.minMs }),
  create: (id, fields, { clock, dataDir }) =>
    new TeslemetryAdapter({
      id,
      connection: fields,
      clock,
      // Without a data dir (a one-off `sps write` from flags) the settings live as long as the process.
      ...(dataDir === undefined ? {} : { savedSettings: new FileSavedSettings(teslemetrySettingsFile(dataDir, id)) }),
    }),
  createSimulator: ({ clock }) => {
    const simulator = new TeslemetrySimulator({ ...(clock === undefined ? {} : { clock }) });
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => simulator.state,
    };
  },
  simulatorFields: ({ host, port }) => ({ token: 'sim-token', base_url: `http://${host}:${port}` }),
  exampleFields: { token: 'YOUR-TESLEMETRY-TOKEN' },
  exampleCommand: 'force_charge --power-w 3000',
});
