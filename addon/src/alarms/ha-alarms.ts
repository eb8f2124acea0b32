import { createHash } from 'node:crypto';
import { isoUtc, type PlatformTranslationKey } from '@sps/core';
import type { AlarmKind, AlarmStatus } from '@sps/control';
import type { BridgeDevice, BridgeEntity, HaBridgeClient } from '@sps/ha';
import type { ExtraHaDevices } from '../pricing/ha-pricing.js';
import { ALARM_TITLES } from './alarm-messages.js';
import type { AlarmRuntime } from './alarm-runtime.js';

/** The add-on's own HA device that carries one binary_sensor per alarm. */
export const ALARMS_DEVICE_ID = 'sps:alarms';
const ALARMS_SERIAL = 'sps_alarms';

const TRANSLATION_KEYS: Readonly<Record<AlarmKind, PlatformTranslationKey<'binary_sensor'>>> = {
  battery_alarm: 'alarm_battery',
  low_soc: 'alarm_low_soc',
  heavy_load: 'alarm_heavy_load',
  device_unavailable: 'alarm_device_unavailable',
  transfer_relay_open: 'alarm_transfer_relay_open',
};

/**
 * The entity key of an alarm: `<rule>__<device>` (neither a rule id nor a device slug contains a
 * double underscore, so two alarms cannot meet), shortened with a hash beyond the bridge's 64 characters.
 */
export function alarmEntityKey(ruleId: string, deviceId: string): string {
  const key = `${ruleId}__${deviceId}`;
  if (key.length <= 64) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${key.slice(0, 55)}_${hash}`;
}

/**
 * Alarms as HA entities: one `binary_sensor` (device_class problem) per alarm on a device of its own
 * ("Smart Power Station Alarms", so an alarm about an unreachable device is not itself unavailable),
 * with attributes `since` (ISO time it began), `value` (what tripped it), `rule`, `device` and `reading`.
 */
export class AlarmsHaDevice implements ExtraHaDevices {
  private client: HaBridgeClient | undefined;

  constructor(
    private readonly alarms: AlarmRuntime,
    private readonly deviceName: (deviceId: string) => string,
    private readonly inner: ExtraHaDevices | undefined,
    private readonly configurationUrl?: string,
  ) {
    alarms.events.on('changed', (alarm) => this.publishOne(alarm));
  }

  devices(): BridgeDevice[] {
    const inner = this.inner?.devices() ?? [];
    const entities = this.alarms.list().map((a) => this.entity(a));
    if (entities.length === 0) return inner;
    return [
      ...inner,
      {
        id: ALARMS_DEVICE_ID,
        name: 'Smart Power Station Alarms',
        info: { manufacturer: 'Smart Power Station', model: 'Alarms', serial: ALARMS_SERIAL },
        entities,
        ...(this.configurationUrl === undefined ? {} : { configurationUrl: this.configurationUrl }),
      },
    ];
  }

  declared(client: HaBridgeClient): void {
    this.client = client;
    this.inner?.declared(client);
    for (const alarm of this.alarms.list()) this.publishOne(alarm);
  }

  private entity(alarm: AlarmStatus): BridgeEntity {
    const rule = this.alarms.rule(alarm.ruleId);
    const device = this.deviceName(alarm.deviceId);
    const ruleName = rule?.kind === 'heavy_load' ? rule.name : ALARM_TITLES[alarm.kind];
    return {
      key: alarmEntityKey(alarm.ruleId, alarm.deviceId),
      platform: 'binary_sensor',
      translationKey: TRANSLATION_KEYS[alarm.kind],
      translationPlaceholders: alarm.kind === 'heavy_load' ? { name: ruleName, device } : { device },
      name: `${ruleName} (${device})`,
      deviceClass: 'problem',
    };
  }

  private publishOne(alarm: AlarmStatus): void {
    this.client?.publishState(ALARMS_DEVICE_ID, alarmEntityKey(alarm.ruleId, alarm.deviceId), alarm.active, {
      since: alarm.since === undefined ? null : isoUtc(alarm.since),
      value: alarm.value,
      rule: alarm.ruleId,
      device: alarm.deviceId,
      reading: alarm.reading || null,
    });
  }
}
