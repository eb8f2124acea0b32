import { SHARING_LEVELS, uplinkUrlSchema, type SharingLevel } from '@sps/aggregator';
import { z } from 'zod';
import { linkCredentialFields, pemReader } from '../link-credentials.js';
import { isTimeZone } from '../pricing/tariff-options.js';
import { expecting, intBetween, nonEmptyText, numberBetween, oneOf } from '../zod-fields.js';

/**
 * The add-on's `aggregator` option: one flat dict (config.yaml mirrors it, so the Supervisor can
 * render it). Every field is optional; an empty section means demand response is off and nothing
 * connects.
 */
const text = (max: number) => nonEmptyText(max).optional();

const brokerUrl = z
  .string({ error: expecting('expected a broker URL such as mqtts://broker.example:8883') })
  .trim()
  .refine((value) => /^mqtts?:\/\/[^\s/]+/.test(value) && URL.canParse(value), {
    error: 'expected a broker URL such as mqtt://host:1883 or mqtts://host:8883',
  });

const httpUrl = z
  .string({ error: expecting('expected an http(s) URL') })
  .trim()
  .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
    error: 'expected an http:// or https:// URL',
  });

/** A list, or one comma-separated text (what the Supervisor's form renders for a flat dict). */
const nameList = z
  .union([z.string(), z.array(nonEmptyText(64))], {
    error: expecting('expected positions (P1–P4) or device names, comma-separated'),
  })
  .transform((value) =>
    (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s !== ''),
  );

export const drOptionsSchema = z.strictObject(
  {
    broker_url: brokerUrl.optional(),
    ...linkCredentialFields,
    network: z
      .string({ error: expecting('expected a network name') })
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, { error: 'expected a network name of letters, digits, _ . - (no / + #)' })
      .optional(),
    participant: z
      .string({ error: expecting('expected a participant name') })
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, { error: 'expected a participant name of letters, digits, _ . - (no / + #)' })
      .optional(),
    time_zone: z
      .string({ error: expecting('expected an IANA time zone') })
      .trim()
      .refine(isTimeZone, { error: 'expected an IANA time zone such as America/New_York' })
      .optional(),
    sharing: oneOf(SHARING_LEVELS).optional(),
    uplink_url: httpUrl.optional(),
    uplink_token: text(4096),
    goal_kw: numberBetween(0.01, 10_000).optional(),
    goal_pct: numberBetween(1, 100).optional(),
    allow_curtailment: nameList.optional(),
    allow_shifting: z.boolean({ error: expecting('expected true or false') }).optional(),
    event_soc_target_pct: intBetween(10, 100).optional(),
    rate_per_kw_month: numberBetween(0, 10_000).optional(),
    grid_meter: text(64),
  },
  { error: expecting('expected a mapping of aggregator fields') },
);
export type DrOptions = z.output<typeof drOptionsSchema>;

/** The broker link, with the PEM files already read (at start: a missing file is an option error). */
export interface DrBrokerSettings {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface DrSettings {
  /** Absent: no broker (events only from `simulate_event`). */
  readonly broker?: DrBrokerSettings;
  /** The `OpenDemandResponse/Event/<network>` topic's last level. */
  readonly network: string;
  /** The participant name: the client id's stem and `OpenDemandResponse/Participant/<name>`. */
  readonly participant: string;
  /** Where the community format's local start times are read. */
  readonly timeZone: string;
  readonly sharing: SharingLevel;
  readonly uplink?: { readonly url: string; readonly token?: string };
  /** The default goal when an event carries none: kW below the baseline, or a share of it. */
  readonly goal: { readonly kw: number } | { readonly pct: number };
  /** Positions (P1–P4) and device ids whose relays may be switched off in an event. */
  readonly allowCurtailment: readonly string[];
  readonly allowShifting: boolean;
  /** The upcoming SOC target when the event starts while the sun shines (100 otherwise). */
  readonly eventSocTargetPct: number;
  readonly ratePerKwMonth?: number;
  /** Device id whose `grid_power` is the site's grid import; default the optimised battery, then P1. */
  readonly gridMeter?: string;
}

/** A bad `aggregator` field; `message` is `field: what is wrong` (options.ts prefixes `aggregator.`). */
export class DrOptionError extends Error {
  override readonly name = 'DrOptionError';
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
  }
}

/** The defaults DOCS.md states. */
export const DR_DEFAULT_GOAL_PCT = 20;
export const DR_DEFAULT_NETWORK = 'default';
export const DR_DEFAULT_PARTICIPANT = 'smart_power_station';

export interface DrSettingsContext {
  /** The household's zone (the default for `time_zone`). */
  readonly timeZone: string;
  readonly deviceId: (name: string) => string;
  readonly deviceIds: readonly string[];
  /** Reads a PEM file; tests inject one. */
  readonly readFile?: (path: string) => string;
}

/** Undefined when the section is empty: demand response is off. Throws DrOptionError. */
export function toDrSettings(options: DrOptions, context: DrSettingsContext): DrSettings | undefined {
  const given = Object.values(options).some((v) => v !== undefined);
  if (!given) return undefined;
  const pem = pemReader(options, context.readFile, (field, problem) => new DrOptionError(field, problem));
  if (options.broker_url === undefined) {
    for (const field of ['username', 'password', 'ca', 'cert', 'key'] as const) {
      if (options[field] !== undefined) throw new DrOptionError(field, 'needs broker_url');
    }
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new DrOptionError(options.cert === undefined ? 'cert' : 'key', 'cert and key go together');
  }
  if (options.goal_kw !== undefined && options.goal_pct !== undefined) {
    throw new DrOptionError('goal_pct', 'give goal_kw or goal_pct, not both');
  }
  if (options.uplink_token !== undefined && options.uplink_url === undefined) {
    throw new DrOptionError('uplink_token', 'needs uplink_url');
  }
  if (options.uplink_url !== undefined) {
    // The sharing part's own rule: https://, or http:// only on the LAN (the token must not cross the internet in clear).
    const url = uplinkUrlSchema.safeParse(options.uplink_url);
    if (!url.success) {
      const message = url.error.issues[0]?.message ?? 'not a valid uplink URL';
      throw new DrOptionError('uplink_url', message.replace(/^uplink_url: /, ''));
    }
  }
  const sharing = options.sharing ?? 'none';
  if (sharing !== 'none' && options.uplink_url === undefined && options.broker_url === undefined) {
    throw new DrOptionError('sharing', `"${sharing}" needs uplink_url (or a broker for the participant topic)`);
  }
  const allowCurtailment = (options.allow_curtailment ?? []).map((name) => {
    if (/^P[1-4]$/i.test(name)) return name.toUpperCase();
    const id = context.deviceId(name);
    if (!context.deviceIds.includes(id)) {
      throw new DrOptionError('allow_curtailment', `"${name}" is neither a position (P1–P4) nor a configured device`);
    }
    return id;
  });
  let gridMeter: string | undefined;
  if (options.grid_meter !== undefined) {
    gridMeter = context.deviceId(options.grid_meter);
    if (!context.deviceIds.includes(gridMeter)) {
      throw new DrOptionError('grid_meter', `no configured device is named "${options.grid_meter}"`);
    }
  }
  const broker =
    options.broker_url === undefined
      ? undefined
      : compact({
          url: options.broker_url,
          username: options.username,
          password: options.password,
          ca: pem('ca'),
          cert: pem('cert'),
          key: pem('key'),
        });
  return {
    ...(broker === undefined ? {} : { broker: broker as DrBrokerSettings }),
    network: options.network ?? DR_DEFAULT_NETWORK,
    participant: options.participant ?? DR_DEFAULT_PARTICIPANT,
    timeZone: options.time_zone ?? context.timeZone,
    sharing,
    ...(options.uplink_url === undefined
      ? {}
      : {
          uplink: {
            url: options.uplink_url,
            ...(options.uplink_token === undefined ? {} : { token: options.uplink_token }),
          },
        }),
    goal: options.goal_kw !== undefined ? { kw: options.goal_kw } : { pct: options.goal_pct ?? DR_DEFAULT_GOAL_PCT },
    allowCurtailment,
    allowShifting: options.allow_shifting ?? false,
    eventSocTargetPct: options.event_soc_target_pct ?? 100,
    ...(options.rate_per_kw_month === undefined ? {} : { ratePerKwMonth: options.rate_per_kw_month }),
    ...(gridMeter === undefined ? {} : { gridMeter }),
  };
}

function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
