/**
 * What one poll of a plug tells us, already in project units (W, V, A, Wh, s).
 * Both dialects (IOT on XOR/KLAP v1, SMART on KLAP v2) decode into this one shape.
 */
export type KasaDialect = 'iot' | 'smart';

export interface PlugIdentity {
  readonly dialect: KasaDialect;
  /** e.g. `HS110(EU)`, `P110`. */
  readonly model: string;
  /** The device id when the plug reports one, else its MAC. */
  readonly serial: string;
  readonly mac: string | null;
  readonly firmware: string | null;
  readonly hardware: string | null;
  readonly alias: string | null;
  /** True when the plug says it has an energy meter (IOT `feature` contains ENE; SMART energy answers). */
  readonly hasMeterFeature: boolean;
}

export interface MeterReading {
  readonly powerW: number;
  readonly voltageV: number | null;
  readonly currentA: number | null;
  /** Lifetime counter (IOT `total`/`total_wh`); SMART plugs have none. */
  readonly energyWh: number | null;
  readonly energyTodayWh: number | null;
  readonly energyMonthWh: number | null;
}

export interface PlugSnapshot {
  readonly identity: PlugIdentity;
  readonly relayOn: boolean;
  /** Seconds since the relay last switched on; 0 while off. */
  readonly onTimeS: number | null;
  readonly rssiDbm: number | null;
  /** Null when the plug has no meter (or its meter module answered "not supported"). */
  readonly meter: MeterReading | null;
}

/** Floating-point noise (0.003 kWh × 1000 = 3.0000000000000004) kept out of readings. */
export function tidy(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
