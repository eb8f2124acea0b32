import type { ReadingValue } from '@sps/core';

/**
 * The alarm rules the add-on knows (issue 13 part 5). A rule is pure data: which condition, on
 * which devices, with which threshold and delay. The engine (alarm-engine.ts) evaluates it per
 * device; nothing here knows Home Assistant or how an alarm is shown.
 */
export const ALARM_KINDS = [
  'battery_alarm',
  'low_soc',
  'heavy_load',
  'device_unavailable',
  'transfer_relay_open',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

interface RuleBase {
  /** Unique among the rules; the stem of every alarm's key (`low_soc`, `heavy_load_well_pump`). */
  readonly id: string;
  /** Device ids the rule watches; undefined = every device that has the reading the rule needs. */
  readonly devices?: readonly string[];
  /** The condition must hold this long before the alarm starts (0 = at once). */
  readonly delayMs: number;
}

/**
 * Any boolean reading whose key starts with `alarm_` or `protection_` is true (a BMS's alarm and protection bits),
 * or a hybrid inverter's `running_state` is `fault` (Sungrow input 13000, Sigenergy's plant running state).
 */
export interface BatteryAlarmRule extends RuleBase {
  readonly kind: 'battery_alarm';
}

/** `battery_soc` below `thresholdPct`; clears at `thresholdPct + hysteresisPct` or above. */
export interface LowSocRule extends RuleBase {
  readonly kind: 'low_soc';
  readonly thresholdPct: number;
  readonly hysteresisPct: number;
}

/** A power reading above `thresholdW` for `delayMs` (the pump left on); clears at `thresholdW - hysteresisW` or below. */
export interface HeavyLoadRule extends RuleBase {
  readonly kind: 'heavy_load';
  /** What the user called it ("Well pump left on"); shown in the alarm's name. */
  readonly name: string;
  readonly reading: string;
  readonly thresholdW: number;
  readonly hysteresisW: number;
}

/** The add-on cannot reach the device for `delayMs`. */
export interface DeviceUnavailableRule extends RuleBase {
  readonly kind: 'device_unavailable';
}

/** `transfer_relay_closed` is false: the inverter lost its AC source (generator or grid). */
export interface TransferRelayOpenRule extends RuleBase {
  readonly kind: 'transfer_relay_open';
}

export type AlarmRule = BatteryAlarmRule | LowSocRule | HeavyLoadRule | DeviceUnavailableRule | TransferRelayOpenRule;

/** The reading a SOC alarm watches, and the one that reports an open transfer relay. */
export const SOC_READING = 'battery_soc';
export const TRANSFER_RELAY_READING = 'transfer_relay_closed';
export const RUNNING_STATE_READING = 'running_state';
const FAULT_STATE = 'fault';
const BATTERY_ALARM_PREFIXES = ['alarm_', 'protection_'] as const;

/** What a rule makes of one device's latest readings. */
export interface ReadingVerdict {
  /** The device has what the rule needs (the alarm exists for it). */
  readonly applies: boolean;
  /** The condition holds (given whether the alarm is already on, for hysteresis). */
  readonly on: boolean;
  /** What tripped it (the SOC, the power, the alarm bits that are set). */
  readonly value: ReadingValue | null;
  /** The reading(s) it looked at. */
  readonly reading: string;
}

const NOT_APPLICABLE: ReadingVerdict = { applies: false, on: false, value: null, reading: '' };

/**
 * Evaluate a reading-based rule on a device's readings. `wasOn` selects the threshold: a SOC alarm
 * that is on (or waiting out its delay) stays on until the SOC reaches the threshold plus the
 * hysteresis, so a value hovering at the threshold does not flap.
 */
export function evaluateReadings(
  rule: Exclude<AlarmRule, DeviceUnavailableRule>,
  values: Readonly<Record<string, ReadingValue | null>>,
  wasOn: boolean,
): ReadingVerdict {
  switch (rule.kind) {
    case 'battery_alarm': {
      const bits = Object.keys(values)
        .filter((k) => BATTERY_ALARM_PREFIXES.some((p) => k.startsWith(p)) && typeof values[k] === 'boolean')
        .sort();
      const state = values[RUNNING_STATE_READING];
      const hasState = typeof state === 'string';
      if (bits.length === 0 && !hasState) return NOT_APPLICABLE;
      const set = bits.filter((k) => values[k] === true);
      if (state === FAULT_STATE) set.push(`${RUNNING_STATE_READING}=${FAULT_STATE}`);
      const watched = hasState ? [...bits, RUNNING_STATE_READING] : bits;
      return {
        applies: true,
        on: set.length > 0,
        value: set.join(', '),
        reading: set.join(', ') || watched.join(', '),
      };
    }
    case 'transfer_relay_open': {
      const closed = values[TRANSFER_RELAY_READING];
      if (typeof closed !== 'boolean') return NOT_APPLICABLE;
      return { applies: true, on: !closed, value: closed, reading: TRANSFER_RELAY_READING };
    }
    case 'low_soc': {
      const soc = values[SOC_READING];
      if (typeof soc !== 'number' || !Number.isFinite(soc)) return NOT_APPLICABLE;
      const limit = wasOn ? rule.thresholdPct + rule.hysteresisPct : rule.thresholdPct;
      return { applies: true, on: soc < limit, value: soc, reading: SOC_READING };
    }
    case 'heavy_load': {
      const power = values[rule.reading];
      if (typeof power !== 'number' || !Number.isFinite(power)) return NOT_APPLICABLE;
      const limit = wasOn ? rule.thresholdW - rule.hysteresisW : rule.thresholdW;
      return { applies: true, on: power > limit, value: power, reading: rule.reading };
    }
  }
}

/** Whether a rule watches a device at all (its device list, when it has one). */
export function ruleWatches(rule: AlarmRule, deviceId: string): boolean {
  return rule.devices === undefined || rule.devices.includes(deviceId);
}
