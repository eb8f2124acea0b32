import type { AlarmRule } from '@sps/control';
import { z } from 'zod';
import { expecting, formatPath, nonEmptyText, numberBetween } from '../zod-fields.js';

const MIN = 60_000;

/** `notify.mobile_app_pixel`: an HA notify service (legacy notify platforms, companion apps, Telegram…). */
const notifyService = z
  .string({ error: expecting('expected a notify service such as notify.mobile_app_pixel') })
  .trim()
  .regex(/^notify\.[a-z0-9_]{1,128}$/, { error: 'expected a notify service such as notify.mobile_app_pixel' });

const deviceNames = z.array(nonEmptyText(64), { error: expecting('expected a list of device names') });
const flag = z.boolean({ error: expecting('expected true or false') });

/**
 * The `alarms` section (DOCS.md "Alarms and notifications"): a flat dict with lists of text, which
 * HA's schema language allows (config.yaml mirrors it). Every default rule is on unless turned off.
 */
export const alarmOptionsSchema = z.strictObject(
  {
    notify: z.array(notifyService, { error: expecting('expected a list of notify services') }).default([]),
    cooldown_min: numberBetween(0, 1440).default(15),
    battery_alarm: flag.default(true),
    battery_alarm_devices: deviceNames.optional(),
    low_soc: flag.default(true),
    low_soc_pct: numberBetween(0, 100).default(20),
    low_soc_hysteresis_pct: numberBetween(0, 50).default(2),
    low_soc_devices: deviceNames.optional(),
    device_unavailable: flag.default(true),
    device_unavailable_min: numberBetween(0, 1440).default(10),
    device_unavailable_devices: deviceNames.optional(),
    /** Default on, off with `optimizer.grid: none` (see toAlarmSettings). */
    transfer_relay_open: flag.optional(),
    transfer_relay_devices: deviceNames.optional(),
  },
  { error: expecting('expected a mapping of alarm options') },
);
export type AlarmOptions = z.output<typeof alarmOptionsSchema>;

/**
 * One entry of the top-level `heavy_load_alarms` list (a list of dicts may only be top-level in HA's
 * schema language): a power reading above `above_w` for `minutes`.
 */
export const heavyLoadAlarmSchema = z.strictObject(
  {
    name: nonEmptyText(64),
    device: nonEmptyText(64),
    reading: z
      .string({ error: expecting('expected a reading key such as load_power') })
      .trim()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, { error: 'expected a reading key such as load_power' })
      .default('load_power'),
    above_w: numberBetween(1, 1_000_000),
    minutes: numberBetween(0, 1440),
    hysteresis_w: numberBetween(0, 1_000_000).optional(),
  },
  { error: expecting('expected a mapping of heavy load alarm fields') },
);
export type HeavyLoadAlarmOptions = z.output<typeof heavyLoadAlarmSchema>;

export interface AlarmSettings {
  readonly rules: readonly AlarmRule[];
  /** HA notify services to call, without the domain (`mobile_app_pixel`). */
  readonly notify: readonly string[];
  readonly cooldownMs: number;
}

export class AlarmOptionError extends Error {
  override readonly name = 'AlarmOptionError';
}

/** Heavy load hysteresis when none is given: a tenth of the threshold. */
export const DEFAULT_HEAVY_LOAD_HYSTERESIS = 0.1;

/**
 * The rules the options ask for. Device names are resolved to ids and must be configured; errors
 * name the field (`alarms.low_soc_devices[1]: …`, `heavy_load_alarms[0].device: …`).
 */
export function toAlarmSettings(
  options: AlarmOptions,
  heavyLoads: readonly HeavyLoadAlarmOptions[],
  deviceIds: readonly string[],
  slug: (name: string) => string,
  offGrid = false,
): AlarmSettings {
  const known = new Set(deviceIds);
  const resolve = (names: readonly string[] | undefined, field: string): readonly string[] | undefined =>
    names?.map((name, index) => {
      const id = slug(name);
      if (!known.has(id)) {
        throw new AlarmOptionError(`${formatPath(['alarms', field, index])}: no configured device is named "${name}"`);
      }
      return id;
    });
  const only = (ids: readonly string[] | undefined) => (ids === undefined ? {} : { devices: ids });

  const rules: AlarmRule[] = [];
  if (options.battery_alarm) {
    rules.push({
      id: 'battery_alarm',
      kind: 'battery_alarm',
      delayMs: 0,
      ...only(resolve(options.battery_alarm_devices, 'battery_alarm_devices')),
    });
  }
  if (options.low_soc) {
    rules.push({
      id: 'low_soc',
      kind: 'low_soc',
      thresholdPct: options.low_soc_pct,
      hysteresisPct: options.low_soc_hysteresis_pct,
      delayMs: 0,
      ...only(resolve(options.low_soc_devices, 'low_soc_devices')),
    });
  }
  if (options.device_unavailable) {
    rules.push({
      id: 'device_unavailable',
      kind: 'device_unavailable',
      delayMs: Math.round(options.device_unavailable_min * MIN),
      ...only(resolve(options.device_unavailable_devices, 'device_unavailable_devices')),
    });
  }
  // An off-grid house has no AC source most of the day (no grid; a generator only now and then): an open
  // transfer relay is its normal state, so the rule is only on there when the user turns it on.
  if (options.transfer_relay_open ?? !offGrid) {
    rules.push({
      id: 'transfer_relay_open',
      kind: 'transfer_relay_open',
      delayMs: 0,
      ...only(resolve(options.transfer_relay_devices, 'transfer_relay_devices')),
    });
  }
  const ids = new Map<string, number>();
  heavyLoads.forEach((entry, index) => {
    const at = (field: string): string => formatPath(['heavy_load_alarms', index, field]);
    const id = `heavy_load_${slug(entry.name)}`.slice(0, 40);
    const clash = ids.get(id);
    if (clash !== undefined) {
      throw new AlarmOptionError(`${at('name')}: "${entry.name}" gives the same alarm as heavy_load_alarms[${clash}]`);
    }
    ids.set(id, index);
    const deviceId = slug(entry.device);
    if (!known.has(deviceId))
      throw new AlarmOptionError(`${at('device')}: no configured device is named "${entry.device}"`);
    const hysteresisW = entry.hysteresis_w ?? entry.above_w * DEFAULT_HEAVY_LOAD_HYSTERESIS;
    if (hysteresisW >= entry.above_w) {
      throw new AlarmOptionError(`${at('hysteresis_w')}: must be below above_w (${entry.above_w} W)`);
    }
    rules.push({
      id,
      kind: 'heavy_load',
      name: entry.name.trim(),
      devices: [deviceId],
      reading: entry.reading,
      thresholdW: entry.above_w,
      hysteresisW,
      delayMs: Math.round(entry.minutes * MIN),
    });
  });
  return {
    rules,
    notify: options.notify.map((s) => s.slice('notify.'.length)),
    cooldownMs: Math.round(options.cooldown_min * MIN),
  };
}
