import { canonicalSensor, type EntityDescriptor } from '@sps/core';
import { channelKey, meterChannelPrefix, selectChannels } from './codec/readings.js';
import type { GridMeter, ShellyState, SwitchChannel } from './codec/state.js';

const sensor = (
  key: string,
  name: string,
  deviceClass: 'power' | 'voltage' | 'current' | 'energy' | 'temperature',
  extra: Partial<EntityDescriptor> = {},
): EntityDescriptor => {
  const unit = { power: 'W', voltage: 'V', current: 'A', energy: 'Wh', temperature: '°C' }[deviceClass];
  return {
    key,
    platform: 'sensor',
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
  const label = (n: number): string => (state.switches.length > 1 ? ` (channel ${n})` : '');
  const entities = selected.flatMap((s) => channelEntities(s, label(s.channel)));
  if (selected.some((s) => s.powerW !== null) && selected.length > 1) {
    entities.push(sensor('power', 'Total relay power', 'power'), sensor('energy', 'Total relay energy', 'energy'));
  }
  if (state.meter !== null) entities.push(...meterEntities(state.meter));
  return entities;
}

function channelEntities(s: SwitchChannel, label: string): EntityDescriptor[] {
  const n = s.channel;
  const out: EntityDescriptor[] = [
    {
      key: channelKey.switch(n),
      platform: 'switch',
      name: `Relay${label}`,
      icon: 'mdi:electric-switch',
      command: { command: 'set_relay', field: 'on', fixed: { channel: n } },
    },
  ];
  if (s.powerW !== null) out.push(sensor(channelKey.power(n), `Power${label}`, 'power'));
  if (s.voltageV !== null) out.push(sensor(channelKey.voltage(n), `Voltage${label}`, 'voltage'));
  if (s.currentA !== null) out.push(sensor(channelKey.current(n), `Current${label}`, 'current'));
  if (s.energyWh !== null) out.push(sensor(channelKey.energy(n), `Energy${label}`, 'energy'));
  if (s.returnedEnergyWh !== null) {
    out.push(sensor(channelKey.returnedEnergy(n), `Returned energy${label}`, 'energy'));
  }
  if (s.temperatureC !== null) {
    out.push(sensor(channelKey.temperature(n), `Temperature${label}`, 'temperature', { entityCategory: 'diagnostic' }));
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
    const label = meter.layout === 'three_phase' ? `phase ${c.name.toUpperCase()}` : `meter channel ${c.name}`;
    const detail: Partial<EntityDescriptor> = { entityCategory: 'diagnostic' };
    if (c.powerW !== null) out.push(sensor(`${prefix}_power`, `Power, ${label}`, 'power'));
    if (c.voltageV !== null) out.push(sensor(`${prefix}_voltage`, `Voltage, ${label}`, 'voltage', detail));
    if (c.currentA !== null) out.push(sensor(`${prefix}_current`, `Current, ${label}`, 'current', detail));
    if (c.importWh !== null) out.push(sensor(`${prefix}_import_energy`, `Import energy, ${label}`, 'energy', detail));
    if (c.exportWh !== null) out.push(sensor(`${prefix}_export_energy`, `Export energy, ${label}`, 'energy', detail));
  }
  return out;
}
