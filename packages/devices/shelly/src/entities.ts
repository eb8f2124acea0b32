import { canonicalSensor, type EntityDescriptor, type PlatformTranslationKey } from '@sps/core';
import { channelKey, meterChannelPrefix, selectChannels } from './codec/readings.js';
import type { GridMeter, ShellyState, SwitchChannel } from './codec/state.js';

type SensorKey = PlatformTranslationKey<'sensor'>;

const sensor = (
  key: string,
  translation: SensorKey | readonly [SensorKey, Readonly<Record<string, string>>],
  name: string,
  deviceClass: 'power' | 'voltage' | 'current' | 'energy' | 'temperature',
  extra: Partial<EntityDescriptor> = {},
): EntityDescriptor => {
  const unit = { power: 'W', voltage: 'V', current: 'A', energy: 'Wh', temperature: '°C' }[deviceClass];
  const [translationKey, translationPlaceholders] = typeof translation === 'string' ? [translation] : translation;
  return {
    key,
    platform: 'sensor',
    translationKey,
    ...(translationPlaceholders === undefined ? {} : { translationPlaceholders }),
    name,
    deviceClass,
    stateClass: deviceClass === 'energy' ? 'total_increasing' : 'measurement',
    unit,
    ...extra,
  };
};

/**
 * What HA shows for a Shelly: per relay channel a switch bound to `set_relay` with the channel
 * fixed, plus the channel's meter; a grid meter's canonical sensors and per-phase detail.
 * Built from the first status, so only what the device measures appears.
 */
export function shellyEntities(state: ShellyState, channels: readonly number[] | null): EntityDescriptor[] {
  const selected = selectChannels(state.switches, channels);
  const multi = state.switches.length > 1;
  const entities = selected.flatMap((s) => channelEntities(s, multi));
  if (selected.some((s) => s.powerW !== null) && selected.length > 1) {
    entities.push(
      sensor('power', 'total_relay_power', 'Total relay power', 'power'),
      sensor('energy', 'total_relay_energy', 'Total relay energy', 'energy'),
    );
  }
  if (state.meter !== null) entities.push(...meterEntities(state.meter));
  return entities;
}

/** A sensor of one relay channel: named by its channel only when the device has several. */
type ChannelSensorKey = 'power' | 'voltage' | 'current' | 'energy' | 'returned_energy' | 'temperature';

function channelEntities(s: SwitchChannel, multi: boolean): EntityDescriptor[] {
  const n = s.channel;
  const label = multi ? ` (channel ${n})` : '';
  const placeholders = { channel: String(n) };
  const tk = (key: ChannelSensorKey): SensorKey | readonly [SensorKey, Readonly<Record<string, string>>] =>
    multi ? [`channel_${key}`, placeholders] : key;
  const out: EntityDescriptor[] = [
    {
      key: channelKey.switch(n),
      platform: 'switch',
      ...(multi
        ? { translationKey: 'relay_channel', translationPlaceholders: placeholders }
        : { translationKey: 'relay' }),
      name: `Relay${label}`,
      icon: 'mdi:electric-switch',
      command: { command: 'set_relay', field: 'on', fixed: { channel: n } },
    },
  ];
  if (s.powerW !== null) out.push(sensor(channelKey.power(n), tk('power'), `Power${label}`, 'power'));
  if (s.voltageV !== null) out.push(sensor(channelKey.voltage(n), tk('voltage'), `Voltage${label}`, 'voltage'));
  if (s.currentA !== null) out.push(sensor(channelKey.current(n), tk('current'), `Current${label}`, 'current'));
  if (s.energyWh !== null) out.push(sensor(channelKey.energy(n), tk('energy'), `Energy${label}`, 'energy'));
  if (s.returnedEnergyWh !== null) {
    out.push(sensor(channelKey.returnedEnergy(n), tk('returned_energy'), `Returned energy${label}`, 'energy'));
  }
  if (s.temperatureC !== null) {
    out.push(
      sensor(channelKey.temperature(n), tk('temperature'), `Temperature${label}`, 'temperature', {
        entityCategory: 'diagnostic',
      }),
    );
  }
  return out;
}

function meterEntities(meter: GridMeter): EntityDescriptor[] {
  const out: EntityDescriptor[] = [
    canonicalSensor('grid_power'),
    canonicalSensor('export_power'),
    canonicalSensor('grid_import_energy'),
    canonicalSensor('grid_export_energy'),
  ];
  for (const c of meter.channels) {
    const prefix = meterChannelPrefix(meter, c.name);
    const phases = meter.layout === 'three_phase';
    const label = phases ? `phase ${c.name.toUpperCase()}` : `meter channel ${c.name}`;
    const placeholders: Readonly<Record<string, string>> = phases
      ? { phase: c.name.toUpperCase() }
      : { channel: c.name };
    const tk = (
      key: 'power' | 'voltage' | 'current' | 'import_energy' | 'export_energy',
    ): readonly [SensorKey, Readonly<Record<string, string>>] => [
      phases ? `phase_${key}` : `meter_channel_${key}`,
      placeholders,
    ];
    const detail: Partial<EntityDescriptor> = { entityCategory: 'diagnostic' };
    if (c.powerW !== null) out.push(sensor(`${prefix}_power`, tk('power'), `Power, ${label}`, 'power'));
    if (c.voltageV !== null)
      out.push(sensor(`${prefix}_voltage`, tk('voltage'), `Voltage, ${label}`, 'voltage', detail));
    if (c.currentA !== null)
      out.push(sensor(`${prefix}_current`, tk('current'), `Current, ${label}`, 'current', detail));
    if (c.importWh !== null)
      out.push(sensor(`${prefix}_import_energy`, tk('import_energy'), `Import energy, ${label}`, 'energy', detail));
    if (c.exportWh !== null)
      out.push(sensor(`${prefix}_export_energy`, tk('export_energy'), `Export energy, ${label}`, 'energy', detail));
  }
  return out;
}
