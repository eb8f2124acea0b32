import type { GridPoint, GridSpec } from '../grid.js';

/** Solar forecast on the scheduler's grid: average AC power per interval, kW. */
export interface SolarForecast {
  source: string;
  points: GridPoint[];
  warnings?: string[];
}

export interface SolarForecastProvider {
  readonly id: string;
  forecast(grid: GridSpec): Promise<SolarForecast>;
}

/**
 * What the HA side (packages/ha) provides: the websocket `energy/solar_forecast`
 * command's result and an entity's attributes. Injected so this package has no
 * websocket of its own.
 */
export interface HaForecastBridge {
  /** Result of `{"type": "energy/solar_forecast"}`: `{ [config_entry_id]: { wh_hours: { iso: Wh } } }`. */
  solarForecast(): Promise<unknown>;
  /** Attributes of an entity, or undefined if it does not exist. */
  entityAttributes(entityId: string): Promise<Record<string, unknown> | undefined>;
}
