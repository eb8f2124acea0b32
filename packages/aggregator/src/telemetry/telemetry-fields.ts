/**
 * What the remote-telemetry profile sends by default, and at what resolution. The defaults are the
 * off-grid seed's list (issue 13, part 7): the battery/BMS readings a remote owner checks first.
 * The Pylontech driver publishes exactly these reading keys.
 */
export const DEFAULT_TELEMETRY_FIELDS = [
  'battery_voltage',
  'battery_soc',
  'battery_soh',
  'battery_current',
  'battery_temperature',
  'charge_voltage_limit',
  'charge_current_limit',
  'discharge_current_limit',
] as const;

/**
 * Decimal places kept per field on the wire (value × 10^decimals, rounded to an integer). Chosen
 * from what the devices resolve: the Pylontech frames carry 0.01 V, 0.1 A, 0.1 °C, 1 % and 0.1 V /
 * 0.1 A limits (device-protocols reference §7); a finer scale would only spend bytes on noise.
 */
const FIELD_DECIMALS: Readonly<Record<string, number>> = {
  battery_voltage: 2,
  battery_soc: 1,
  battery_soh: 1,
  battery_current: 1,
  battery_temperature: 1,
  charge_voltage_limit: 1,
  charge_current_limit: 1,
  discharge_current_limit: 1,
  battery_power: 0,
  pv_power: 0,
  load_power: 0,
  grid_power: 0,
};

/** Fields not in the table keep two decimals: enough for V, A, °C, %, kWh. */
export const DEFAULT_FIELD_DECIMALS = 2;

/** The largest magnitude a telemetry value may have; beyond it the value is left out (never wrapped). */
export const MAX_TELEMETRY_MAGNITUDE = 1e9;

export function fieldDecimals(key: string): number {
  return Object.hasOwn(FIELD_DECIMALS, key) ? (FIELD_DECIMALS[key] as number) : DEFAULT_FIELD_DECIMALS;
}
