import {
  TelemetryOptionError,
  telemetryOptionsSchema,
  toTelemetrySettings,
  type TelemetrySettings,
} from './telemetry/telemetry-options.js';
import type { Position } from '@sps/core';
import type { UserSafetyLimits } from '@sps/control';
import { z } from 'zod';
import type { DriverLookup } from './driver-types.js';
import { TariffConfigError, type TariffConfig } from '@sps/tariffs';
import {
  ForecastOptionError,
  forecastOptionsSchema,
  toForecastSettings,
  type ForecastSettings,
} from './pricing/forecast-options.js';
import { localTimeZone, TariffOptionError, tariffOptionsSchema, toTariffConfig } from './pricing/tariff-options.js';
import { MemberReferenceError, resolveMemberReferences } from './device-members.js';
import { DrOptionError, drOptionsSchema, toDrSettings, type DrSettings } from './dr/dr-options.js';
import { dailyCycleTariff } from './dr/daily-cycle.js';
import { optimizerOptionsSchema, toOptimizerSettings, type OptimizerSettings } from './optimizer/optimizer-options.js';
import {
  DeferrableLoadOptionError,
  deferrableLoadSchema,
  toDeferrableLoads,
  type DeferrableLoadSettings,
} from './optimizer/flex-load-options.js';
import {
  AlarmOptionError,
  alarmOptionsSchema,
  heavyLoadAlarmSchema,
  toAlarmSettings,
  type AlarmSettings,
} from './alarms/alarm-options.js';
import { describeFirstIssue, expecting, formatPath, intBetween, nonEmptyText, oneOf, tcpPort } from './zod-fields.js';

/**
 * The add-on options. The shape stays within what HA's add-on schema language can
 * express (config.yaml mirrors it): top-level scalars, flat dicts, and one list of
 * flat device dicts. Which extra fields a device accepts is up to its driver.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const POSITIONS = ['P1', 'P2', 'P3', 'P4'] as const satisfies readonly Position[];

/** Fields every device entry has, whatever its driver. */
export const DEVICE_COMMON_FIELDS = ['name', 'driver', 'poll_interval_s', 'position'] as const;

const deviceCommonSchema = z.looseObject({
  name: nonEmptyText(64),
  driver: nonEmptyText(64),
  poll_interval_s: intBetween(1, 3600).optional(),
  position: oneOf(POSITIONS).optional(),
});

const safetySchema = z.strictObject({
  backup_reserve_pct: intBetween(0, 100).default(10),
  max_charge_w: intBetween(0, 1_000_000).optional(),
  max_discharge_w: intBetween(0, 1_000_000).optional(),
  export_limit_w: intBetween(0, 1_000_000).optional(),
});

const storeSchema = z.strictObject({
  raw_retention_days: intBetween(1, 3650).default(10),
  aggregate_retention_days: intBetween(1, 36500).default(730),
});

export const addonOptionsSchema = z.strictObject(
  {
    log_level: oneOf(LOG_LEVELS).default('info'),
    http_port: tcpPort.default(8099),
    devices: z.array(deviceCommonSchema, { error: expecting('expected a list of devices') }).default([]),
    safety: safetySchema.default({ backup_reserve_pct: 10 }),
    store: storeSchema.default({ raw_retention_days: 10, aggregate_retention_days: 730 }),
    tariff: tariffOptionsSchema.default({}),
    forecast: forecastOptionsSchema.default({}),
    optimizer: optimizerOptionsSchema.default({}),
    deferrable_loads: z
      .array(deferrableLoadSchema, { error: expecting('expected a list of deferrable loads') })
      .default([]),
    aggregator: drOptionsSchema.default({}),
    alarms: alarmOptionsSchema.prefault({}),
    heavy_load_alarms: z
      .array(heavyLoadAlarmSchema, { error: expecting('expected a list of heavy load alarms') })
      .default([]),
    telemetry: telemetryOptionsSchema.default({}),
  },
  { error: expecting('expected a mapping of options') },
);

export type AddonOptionsInput = z.input<typeof addonOptionsSchema>;

export interface DeviceConfig {
  /** Stable slug of the name: entity ids and URLs use it. */
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly position?: Position;
  readonly pollIntervalMs: number;
  /** True when the configured interval was below the driver's minimum and was raised. */
  readonly pollIntervalRaised: boolean;
  /** The driver-specific fields, validated by the driver's schema. */
  readonly fields: unknown;
  /** Composite entries (the power station): field → id of the device entry it names. */
  readonly members?: Readonly<Record<string, string>>;
}

export interface AddonConfig {
  readonly logLevel: LogLevel;
  readonly httpPort: number;
  readonly devices: readonly DeviceConfig[];
  readonly safety: UserSafetyLimits;
  readonly store: { readonly rawRetentionMs: number; readonly aggregateRetentionMs: number };
  /** Absent: no prices (the scheduler falls back to self-consumption). */
  readonly tariff?: TariffConfig;
  readonly forecast: ForecastSettings;
  /** The battery plan (runs only with a tariff). */
  readonly optimizer: OptimizerSettings;
  /** Loads on relays the plan schedules (water heater, well pump, pool pump, dishwasher). */
  readonly deferrableLoads: readonly DeferrableLoadSettings[];
  /** Demand response with an aggregator; absent (the section empty): off, nothing connects. */
  readonly aggregator?: DrSettings;
  /** Alarm rules and where their notifications go (DOCS.md "Alarms and notifications"). */
  readonly alarms: AlarmSettings;
  /** Remote telemetry for a capped link; absent unless `telemetry.enabled`. */
  readonly telemetry?: TelemetrySettings;
}

/** Options that fail validation; `message` is `field: what is wrong`. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  /** The one line printed on stderr. */
  get line(): string {
    return `invalid options: ${this.message}`;
  }
}

const DAY_MS = 86_400_000;

/** Validate raw options (parsed JSON or YAML) into the typed config. Throws OptionsError. */
export function parseOptions(raw: unknown, drivers: DriverLookup): AddonConfig {
  const parsed = addonOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new OptionsError(describeFirstIssue(parsed.error));
  const options = parsed.data;

  const seen = new Map<string, number>();
  const entries = options.devices.map((entry, index): DeviceConfig => {
    const at = (field: string): string => formatPath(['devices', index, field]);
    const driver = drivers.get(entry.driver);
    if (!driver) {
      throw new OptionsError(
        `${at('driver')}: unknown driver "${entry.driver}" (known: ${drivers.names().join(', ')})`,
      );
    }
    const driverFields: Record<string, unknown> = { ...entry };
    for (const common of DEVICE_COMMON_FIELDS) delete driverFields[common];
    const fields = driver.fields.safeParse(driverFields);
    if (!fields.success) throw new OptionsError(describeFirstIssue(fields.error, ['devices', index]));

    const id = deviceSlug(entry.name);
    const clash = seen.get(id);
    if (clash !== undefined) {
      throw new OptionsError(`${at('name')}: "${entry.name}" gives the same device id "${id}" as devices[${clash}]`);
    }
    seen.set(id, index);

    const intervals = driver.pollIntervals(fields.data);
    const wantedMs = entry.poll_interval_s === undefined ? intervals.defaultMs : entry.poll_interval_s * 1000;
    return {
      id,
      name: entry.name,
      driver: entry.driver,
      ...(entry.position === undefined ? {} : { position: entry.position }),
      pollIntervalMs: Math.max(wantedMs, intervals.minMs),
      pollIntervalRaised: wantedMs < intervals.minMs,
      fields: fields.data,
    };
  });

  let members: Map<number, Readonly<Record<string, string>>>;
  try {
    members = resolveMemberReferences(entries, drivers, deviceSlug);
  } catch (err) {
    if (err instanceof MemberReferenceError) throw new OptionsError(err.message);
    throw err;
  }
  const devices = entries.map((entry, index): DeviceConfig => {
    const named = members.get(index);
    return named === undefined ? entry : { ...entry, members: named };
  });

  const { safety, store } = options;
  // Demand response without a tariff: the seed's daily cycle as a stand-in tariff (DOCS.md), so the
  // optimiser (and with it the event's upcoming charge and the ramp) runs.
  const drOn = Object.values(options.aggregator).some((v) => v !== undefined);
  const pricing = parsePricing(options, devices, drOn);
  const optimizer = toOptimizerSettings(options.optimizer, deviceSlug);
  const batteryNames = options.optimizer.battery_devices ?? [];
  for (const id of optimizer.batteryDevices ?? []) {
    if (devices.some((d) => d.id === id)) continue;
    throw new OptionsError(
      options.optimizer.battery_devices === undefined
        ? `optimizer.battery_device: no configured device is named "${options.optimizer.battery_device}"`
        : `optimizer.battery_devices.${batteryNames.findIndex((n) => deviceSlug(n) === id)}: no configured device is named "${batteryNames.find((n) => deviceSlug(n) === id)}"`,
    );
  }
  if (optimizer.evCharger !== undefined && !devices.some((d) => d.id === optimizer.evCharger)) {
    throw new OptionsError(`optimizer.ev_charger: no configured device is named "${options.optimizer.ev_charger}"`);
  }
  let deferrableLoads: DeferrableLoadSettings[];
  try {
    // A relay inside a composite (the power station's P1/P3) moves a transfer switch, not a load.
    const members = new Set(devices.flatMap((d) => Object.values(d.members ?? {})));
    const relays = new Set(devices.filter((d) => !members.has(d.id) && d.members === undefined).map((d) => d.id));
    deferrableLoads = toDeferrableLoads(options.deferrable_loads, relays, deviceSlug);
    // An HA switch has one channel: a load on channel 1 would fail every switch at run time.
    deferrableLoads.forEach((l, index) => {
      const driver = devices.find((d) => d.id === l.deviceId)?.driver;
      if (driver === 'ha-switch' && l.channel !== 0) {
        throw new DeferrableLoadOptionError(
          `${formatPath(['deferrable_loads', index, 'channel'])}: an ha-switch device has one channel (0), not ${l.channel}`,
        );
      }
    });
  } catch (err) {
    if (err instanceof DeferrableLoadOptionError) throw new OptionsError(err.message);
    throw err;
  }
  const aggregator = parseAggregator(options, pricing.forecast, devices);
  let alarms: AlarmSettings;
  try {
    alarms = toAlarmSettings(
      options.alarms,
      options.heavy_load_alarms,
      devices.map((d) => d.id),
      deviceSlug,
      optimizer.grid === 'none',
    );
  } catch (err) {
    if (err instanceof AlarmOptionError) throw new OptionsError(err.message);
    throw err;
  }
  const telemetry = parseTelemetry(options, devices, aggregator?.participant);
  return {
    alarms,
    ...pricing,
    optimizer,
    deferrableLoads,
    ...(aggregator === undefined ? {} : { aggregator }),
    ...(telemetry === undefined ? {} : { telemetry }),
    logLevel: options.log_level,
    httpPort: options.http_port,
    devices,
    safety: {
      backupReservePct: safety.backup_reserve_pct,
      ...(safety.max_charge_w === undefined ? {} : { maxChargeW: safety.max_charge_w }),
      ...(safety.max_discharge_w === undefined ? {} : { maxDischargeW: safety.max_discharge_w }),
      ...(safety.export_limit_w === undefined ? {} : { exportLimitW: safety.export_limit_w }),
    },
    store: {
      rawRetentionMs: store.raw_retention_days * DAY_MS,
      aggregateRetentionMs: store.aggregate_retention_days * DAY_MS,
    },
  };
}

/** The `tariff` and `forecast` sections; errors name the option (`tariff.api_token: …`). */
function parsePricing(
  options: z.output<typeof addonOptionsSchema>,
  devices: readonly DeviceConfig[],
  drOn: boolean,
): { tariff?: TariffConfig; forecast: ForecastSettings } {
  let tariff: TariffConfig | undefined;
  try {
    tariff = toTariffConfig(options.tariff);
  } catch (err) {
    if (err instanceof TariffOptionError) throw new OptionsError(`tariff.${err.message}`);
    throw err;
  }
  if (tariff === undefined && drOn) {
    try {
      tariff = dailyCycleTariff(options.forecast.time_zone ?? localTimeZone());
    } catch (err) {
      if (err instanceof TariffConfigError) throw new OptionsError(`forecast.time_zone: ${err.message}`);
      throw err;
    }
  }
  try {
    // Off-grid plans without a tariff: the load forecast is wanted as if one were set.
    const planning = tariff !== undefined || options.optimizer.grid === 'none';
    const forecast = toForecastSettings(options.forecast, deviceSlug, planning);
    if (forecast.load.source === 'store' && forecast.load.device !== undefined) {
      const wanted = forecast.load.device;
      if (!devices.some((d) => d.id === wanted)) {
        throw new ForecastOptionError('load_device', `no configured device is named "${options.forecast.load_device}"`);
      }
    }
    return { ...(tariff === undefined ? {} : { tariff }), forecast };
  } catch (err) {
    if (err instanceof ForecastOptionError) throw new OptionsError(`forecast.${err.message}`);
    throw err;
  }
}

/** The `aggregator` section; errors name the option (`aggregator.ca: cannot read …`). */
function parseAggregator(
  options: z.output<typeof addonOptionsSchema>,
  forecast: ForecastSettings,
  devices: readonly DeviceConfig[],
): DrSettings | undefined {
  try {
    return toDrSettings(options.aggregator, {
      timeZone: forecast.load.source === 'store' ? forecast.load.timeZone : localTimeZone(),
      deviceId: deviceSlug,
      deviceIds: devices.map((d) => d.id),
    });
  } catch (err) {
    if (err instanceof DrOptionError) throw new OptionsError(`aggregator.${err.message}`);
    throw err;
  }
}

/** The `telemetry` section; errors name the option (`telemetry.url: …`). */
function parseTelemetry(
  options: z.output<typeof addonOptionsSchema>,
  devices: readonly DeviceConfig[],
  participant: string | undefined,
): TelemetrySettings | undefined {
  try {
    return toTelemetrySettings(options.telemetry, {
      deviceId: deviceSlug,
      deviceIds: devices.map((d) => d.id),
      ...(participant === undefined ? {} : { participant }),
    });
  } catch (err) {
    if (err instanceof TelemetryOptionError) throw new OptionsError(`telemetry.${err.message}`);
    throw err;
  }
}

/**
 * A stable id from a device's name: lower-case ASCII, words joined by `_`, as HA does for
 * entity ids (`Sungrow SH10RT` → `sungrow_sh10rt`). Renaming a device changes its id.
 */
export function deviceSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 48)
    .replace(/_+$/g, '');
  return slug === '' ? 'device' : /^[a-z]/.test(slug) ? slug : `device_${slug}`;
}
