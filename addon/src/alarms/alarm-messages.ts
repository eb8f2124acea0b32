import { isoUtc } from '@sps/core';
import type { AlarmKind, AlarmNotice, AlarmRule, AlarmStatus } from '@sps/control';

/** English titles of each kind of alarm (the HA entity names come from the bridge's translations). */
export const ALARM_TITLES: Readonly<Record<AlarmKind, string>> = {
  battery_alarm: 'Battery alarm',
  low_soc: 'Low battery',
  heavy_load: 'Heavy load',
  device_unavailable: 'Device unavailable',
  transfer_relay_open: 'AC source lost',
};

export interface AlarmNotification {
  readonly title: string;
  readonly message: string;
}

/** What a value means, in the words of its rule. */
function describeValue(alarm: AlarmStatus, rule: AlarmRule | undefined): string {
  const v = alarm.value;
  switch (alarm.kind) {
    case 'battery_alarm':
      return typeof v === 'string' && v !== '' ? `set: ${v}` : 'no alarm bit set';
    case 'low_soc':
      return `battery_soc ${String(v)} %${rule?.kind === 'low_soc' ? ` (alarm below ${rule.thresholdPct} %)` : ''}`;
    case 'heavy_load':
      return `${alarm.reading} ${String(v)} W${rule?.kind === 'heavy_load' ? ` (alarm above ${rule.thresholdW} W)` : ''}`;
    case 'device_unavailable':
      return v === null ? 'reachable again' : `unreachable: ${String(v)}`;
    case 'transfer_relay_open':
      return `transfer_relay_closed ${String(v)}`;
  }
}

/**
 * The notification for an alarm that started or cleared: the title names the alarm and the device,
 * the message the reading, the value and the times (UTC ISO 8601, the project's convention).
 */
export function alarmNotification(
  notice: AlarmNotice,
  alarm: AlarmStatus,
  rule: AlarmRule | undefined,
  deviceName: string,
  now: number,
): AlarmNotification {
  const what = rule?.kind === 'heavy_load' ? `${ALARM_TITLES.heavy_load}: ${rule.name}` : ALARM_TITLES[alarm.kind];
  if (notice === 'started') {
    return {
      title: `${what} on ${deviceName}`,
      message: `${deviceName}: ${describeValue(alarm, rule)}, since ${isoUtc(alarm.since ?? now)}.`,
    };
  }
  return {
    title: `Cleared: ${what} on ${deviceName}`,
    message: `${deviceName}: ${describeValue(alarm, rule)}, cleared at ${isoUtc(now)}.`,
  };
}
