import type { Clock, Device } from '@sps/core';
import { z } from 'zod';

/** A switched position: a device (relay channel 0), a device and channel, or `'station'` (its own switch). */
export type SwitchPositionSpec =
  | Device
  | { readonly device: Device; readonly channel?: number; readonly stateKey?: string; readonly powerKey?: string }
  | 'station';

/** A measuring position (P2 loads, P4 PV): a device, or a device with the channel / reading key to use. */
export type MeterPositionSpec =
  Device | { readonly device: Device; readonly channel?: number; readonly powerKey?: string };

export interface PowerStationOptions {
  readonly id: string;
  /** The station itself (a Bluetti adapter). */
  readonly station: Device;
  /** Grid charging input: a relay feeding the station's AC input, or `'station'` (its grid-charging switch). */
  readonly p1: SwitchPositionSpec;
  /** The loads behind the transfer switch: a metering relay whose power is the load it carries. */
  readonly p2?: MeterPositionSpec;
  /** The station's AC output: `'station'` (its AC output switch) or a relay after it. */
  readonly p3: SwitchPositionSpec;
  /** PV input measured by an INA260 (optional). */
  readonly p4?: MeterPositionSpec;
  /** Minimum time between two changes of the same switch, ms (default 5 min). */
  readonly minOnOffMs?: number;
  /** The station's grid-charging power, W (it charges at this fixed power); else the station's maxChargeW. */
  readonly chargePowerW?: number;
  /** Rating of the P2 circuit / transfer switch, W: caps the discharge below the station's inverter rating. */
  readonly p2LoadCapW?: number;
  readonly clock?: Clock;
}

export const DEFAULT_MIN_ON_OFF_MS = 300_000;

/** The numeric settings, validated; the add-on passes them straight from its options. */
export const stationSettingsSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a device id like "station" (a–z, 0–9, _ and -)'),
  minOnOffMs: z
    .number()
    .int('must be a whole number of ms')
    .min(0, 'must be ≥ 0')
    .max(86_400_000, 'must be at most a day')
    .default(DEFAULT_MIN_ON_OFF_MS),
  chargePowerW: z.number().positive('must be > 0').max(100_000).optional(),
  p2LoadCapW: z.number().positive('must be > 0').max(100_000).optional(),
});
export type StationSettings = z.output<typeof stationSettingsSchema>;

/** Parses the settings; the Error names the field, e.g. `minOnOffMs: must be ≥ 0`. */
export function parseStationSettings(input: unknown): StationSettings {
  const result = stationSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`);
}
