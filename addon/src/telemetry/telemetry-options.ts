import { DEFAULT_TELEMETRY_FIELDS, sharingSiteSchema, uplinkUrlSchema } from '@sps/aggregator';
import { READING_KEY_PATTERN } from '@sps/core';
import { z } from 'zod';
import { linkCredentialFields, pemReader } from '../link-credentials.js';
import { expecting, intBetween, nonEmptyText } from '../zod-fields.js';

/**
 * The add-on's `telemetry` option (issue 13, part 7): remote telemetry for a capped link. One flat
 * dict, like `aggregator` (config.yaml mirrors it). The credentials follow the aggregator's broker
 * options: a bearer token for HTTP(S), user name and password and/or a client certificate for MQTT,
 * and a CA file for either.
 */
const text = (max: number) => nonEmptyText(max).optional();

/** A list, or one comma-separated text (what the Supervisor's form renders for a flat dict). */
const nameList = z
  .union([z.string(), z.array(nonEmptyText(64))], { error: expecting('expected names, comma-separated') })
  .transform((value) =>
    (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s !== ''),
  );

export const telemetryOptionsSchema = z.strictObject(
  {
    enabled: z.boolean({ error: expecting('expected true or false') }).optional(),
    url: z
      .string({ error: expecting('expected an https://, http://, mqtt:// or mqtts:// URL') })
      .trim()
      .refine((value) => /^(https?|mqtts?):\/\/[^\s/]+/.test(value) && URL.canParse(value), {
        error: 'expected an https://, http:// (LAN), mqtt:// or mqtts:// URL',
      })
      .optional(),
    topic: z
      .string({ error: expecting('expected an MQTT topic') })
      .trim()
      .regex(/^[^#+\s]{1,256}$/, { error: 'expected an MQTT topic without spaces, "#" or "+"' })
      .optional(),
    site: text(64),
    token: text(4096),
    ...linkCredentialFields,
    interval_s: intBetween(10, 3600).optional(),
    batch_minutes: intBetween(1, 1440).optional(),
    fields: nameList.optional(),
    devices: nameList.optional(),
    include_alarms: z.boolean({ error: expecting('expected true or false') }).optional(),
  },
  { error: expecting('expected a mapping of telemetry fields') },
);
export type TelemetryOptions = z.output<typeof telemetryOptionsSchema>;

export interface TelemetrySettings {
  readonly transport:
    | { readonly kind: 'http'; readonly url: string; readonly token?: string; readonly ca?: string }
    | {
        readonly kind: 'mqtt';
        readonly url: string;
        readonly topic: string;
        readonly username?: string;
        readonly password?: string;
        readonly ca?: string;
        readonly cert?: string;
        readonly key?: string;
      };
  readonly site: string;
  readonly intervalMs: number;
  readonly batchMs: number;
  readonly fields: readonly string[];
  /** Null: every battery (every device that reports battery_soc). */
  readonly devices: readonly string[] | null;
  readonly includeAlarms: boolean;
}

export const TELEMETRY_DEFAULT_SITE = 'smart_power_station';
export const TELEMETRY_DEFAULT_INTERVAL_S = 60;
export const TELEMETRY_DEFAULT_BATCH_MINUTES = 15;

/** A bad `telemetry` field; `message` is `field: what is wrong` (options.ts prefixes `telemetry.`). */
export class TelemetryOptionError extends Error {
  override readonly name = 'TelemetryOptionError';
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
  }
}

export interface TelemetrySettingsContext {
  readonly deviceId: (name: string) => string;
  readonly deviceIds: readonly string[];
  /** The DR participant name, the default site. */
  readonly participant?: string;
  readonly readFile?: (path: string) => string;
}

/** Undefined when telemetry is off (`enabled` not true). Throws TelemetryOptionError. */
export function toTelemetrySettings(
  options: TelemetryOptions,
  context: TelemetrySettingsContext,
): TelemetrySettings | undefined {
  if (options.enabled !== true) return undefined;
  if (options.url === undefined) throw new TelemetryOptionError('url', 'needed when telemetry is enabled');
  const pem = pemReader(options, context.readFile, (field, problem) => new TelemetryOptionError(field, problem));
  const site = options.site ?? context.participant ?? TELEMETRY_DEFAULT_SITE;
  const siteOk = sharingSiteSchema.safeParse(site);
  if (!siteOk.success) throw new TelemetryOptionError('site', siteOk.error.issues[0]?.message ?? 'not a valid site');
  const fields = options.fields ?? [...DEFAULT_TELEMETRY_FIELDS];
  fields.forEach((field, i) => {
    if (!READING_KEY_PATTERN.test(field)) {
      throw new TelemetryOptionError(`fields.${i}`, `"${field}" is not a reading key (lower-case letters, digits, _)`);
    }
  });
  if (fields.length === 0) throw new TelemetryOptionError('fields', 'name at least one reading');
  const devices =
    options.devices === undefined || options.devices.length === 0
      ? null
      : options.devices.map((name) => {
          const id = context.deviceId(name);
          if (!context.deviceIds.includes(id)) {
            throw new TelemetryOptionError('devices', `no configured device is named "${name}"`);
          }
          return id;
        });
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TelemetryOptionError(options.cert === undefined ? 'cert' : 'key', 'cert and key go together');
  }
  const common = {
    site,
    intervalMs: (options.interval_s ?? TELEMETRY_DEFAULT_INTERVAL_S) * 1000,
    batchMs: (options.batch_minutes ?? TELEMETRY_DEFAULT_BATCH_MINUTES) * 60_000,
    fields,
    devices,
    includeAlarms: options.include_alarms ?? false,
  };
  const url = options.url;
  if (/^https?:/.test(url)) {
    for (const field of ['username', 'password', 'cert', 'key', 'topic'] as const) {
      if (options[field] !== undefined) throw new TelemetryOptionError(field, 'only for an mqtt:// or mqtts:// url');
    }
    // The sharing uplink's rule: https://, or http:// only on the LAN (a token must not cross the internet in clear).
    const checked = uplinkUrlSchema.safeParse(url);
    if (!checked.success) {
      const message = checked.error.issues[0]?.message ?? 'not a valid URL';
      throw new TelemetryOptionError('url', message.replace(/^uplink_url: /, '').replace('uplink_token', 'token'));
    }
    const ca = pem('ca');
    return {
      ...common,
      transport: {
        kind: 'http',
        url,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(ca === undefined ? {} : { ca }),
      },
    };
  }
  if (options.token !== undefined) throw new TelemetryOptionError('token', 'only for an http(s):// url');
  const tls = url.startsWith('mqtts://');
  if (!tls) {
    for (const field of ['ca', 'cert', 'key'] as const) {
      if (options[field] !== undefined) throw new TelemetryOptionError(field, 'only for an mqtts:// url');
    }
  }
  const transport = {
    kind: 'mqtt' as const,
    url,
    topic: options.topic ?? `sps/${site}/telemetry`,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
  };
  const [ca, cert, key] = [pem('ca'), pem('cert'), pem('key')];
  return {
    ...common,
    transport: {
      ...transport,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    },
  };
}
