import type { ReadingValue } from '@sps/core';
import type { PlugSnapshot } from './snapshot.js';

/**
 * A snapshot as readings. The power through the plug is what the appliance behind it draws, so it
 * is the canonical `load_power` (≥ 0, W) and the lifetime counter `load_energy` (Wh); what that
 * load *is* (the station's charger at P1, the house at P2) is the composite's business.
 */
export function snapshotReadings(s: PlugSnapshot): Record<string, ReadingValue | null> {
  const values: Record<string, ReadingValue | null> = { relay_on: s.relayOn };
  const m = s.meter;
  if (m) {
    values.load_power = m.powerW;
    if (m.voltageV !== null) values.voltage = m.voltageV;
    if (m.currentA !== null) values.current = m.currentA;
    if (m.energyWh !== null) values.load_energy = m.energyWh;
    if (m.energyTodayWh !== null) values.load_energy_today = m.energyTodayWh;
    if (m.energyMonthWh !== null) values.load_energy_month = m.energyMonthWh;
  }
  if (s.onTimeS !== null) values.on_time = s.onTimeS;
  if (s.rssiDbm !== null) values.rssi = s.rssiDbm;
  return values;
}
