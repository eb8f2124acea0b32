import type { ReadingValue } from '@sps/core';
import { sumKnown, type GridMeter, type ShellyState, type SwitchChannel } from './state.js';

/**
 * Reading keys. Per relay channel N: `switch_N` (on/off), `power_N` W, `voltage_N` V,
 * `current_N` A, `energy_N` Wh, `returned_energy_N` Wh, `temperature_N` °C; `power`/`energy`
 * sum the channels of a multi-channel relay. A grid meter adds canonical `grid_power` (+ import), `export_power`,
 * `grid_import_energy`, `grid_export_energy` and per phase `phase_a_power`… or per CT channel
 * `meter_0_power`…. Keys appear only for what the device measures.
 */
export const channelKey = {
  switch: (n: number) => `switch_${n}`,
  power: (n: number) => `power_${n}`,
  voltage: (n: number) => `voltage_${n}`,
  current: (n: number) => `current_${n}`,
  energy: (n: number) => `energy_${n}`,
  returnedEnergy: (n: number) => `returned_energy_${n}`,
  temperature: (n: number) => `temperature_${n}`,
} as const;

export function meterChannelPrefix(meter: GridMeter, name: string): string {
  return meter.layout === 'three_phase' ? `phase_${name}` : `meter_${name}`;
}

export type ShellyReadingValues = Record<string, ReadingValue | null>;

/** `channels`: the relay channels the user asked for (all when null). */
export function stateToReadings(state: ShellyState, channels: readonly number[] | null = null): ShellyReadingValues {
  const values: ShellyReadingValues = {};
  const selected = selectChannels(state.switches, channels);
  for (const s of selected) {
    values[channelKey.switch(s.channel)] = s.on;
    put(values, channelKey.power(s.channel), s.powerW);
    put(values, channelKey.voltage(s.channel), s.voltageV);
    put(values, channelKey.current(s.channel), s.currentA);
    put(values, channelKey.energy(s.channel), s.energyWh);
    put(values, channelKey.returnedEnergy(s.channel), s.returnedEnergyWh);
    put(values, channelKey.temperature(s.channel), s.temperatureC);
  }
  // Totals only where there is more than one channel to add up.
  if (selected.length > 1) {
    if (selected.some((s) => s.powerW !== null)) values.power = sumKnown(selected.map((s) => s.powerW));
    if (selected.some((s) => s.energyWh !== null)) values.energy = sumKnown(selected.map((s) => s.energyWh));
  }
  if (state.meter !== null) Object.assign(values, meterReadings(state.meter));
  return values;
}

export function selectChannels(
  switches: readonly SwitchChannel[],
  channels: readonly number[] | null,
): readonly SwitchChannel[] {
  return channels === null ? switches : switches.filter((s) => channels.includes(s.channel));
}

function meterReadings(meter: GridMeter): ShellyReadingValues {
  const values: ShellyReadingValues = {
    grid_power: meter.powerW,
    export_power: meter.powerW === null ? null : Math.max(0, -meter.powerW),
    grid_import_energy: meter.importWh,
    grid_export_energy: meter.exportWh,
  };
  for (const c of meter.channels) {
    const prefix = meterChannelPrefix(meter, c.name);
    put(values, `${prefix}_power`, c.powerW);
    put(values, `${prefix}_voltage`, c.voltageV);
    put(values, `${prefix}_current`, c.currentA);
    put(values, `${prefix}_import_energy`, c.importWh);
    put(values, `${prefix}_export_energy`, c.exportWh);
  }
  return values;
}

function put(values: ShellyReadingValues, key: string, value: number | null): void {
  if (value !== null) values[key] = value;
}
