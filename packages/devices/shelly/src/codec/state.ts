/**
 * One model of what a Shelly reports, whatever its generation. Both status decoders produce
 * it and `stateToReadings` turns it into the project's readings. `null` = not reported now.
 */
export interface SwitchChannel {
  readonly channel: number;
  readonly on: boolean;
  readonly powerW: number | null;
  readonly voltageV: number | null;
  readonly currentA: number | null;
  /** Energy through the relay, Wh (Gen2+ aenergy.total is Wh; Gen1 W·min is converted). */
  readonly energyWh: number | null;
  /** Energy fed back through the relay, Wh (Gen3+ ret_aenergy). */
  readonly returnedEnergyWh: number | null;
  readonly temperatureC: number | null;
}

/** One phase of a three-phase meter (`a`, `b`, `c`) or one CT channel of a single-phase meter (`0`, `1`). */
export interface MeterChannel {
  readonly name: string;
  readonly powerW: number | null;
  readonly voltageV: number | null;
  readonly currentA: number | null;
  readonly importWh: number | null;
  readonly exportWh: number | null;
}

/**
 * A Shelly EM / 3EM / Pro 3EM / Pro EM used as the whole-home grid meter. Shelly counts active
 * power positive when it flows from the grid into the house, which is the project's import sign.
 */
export interface GridMeter {
  readonly layout: 'three_phase' | 'single_phase';
  readonly powerW: number | null;
  readonly importWh: number | null;
  readonly exportWh: number | null;
  readonly channels: readonly MeterChannel[];
}

export interface ShellyState {
  readonly switches: readonly SwitchChannel[];
  readonly meter: GridMeter | null;
}

/** Which CT channel of a single-phase meter (Pro EM, EM Gen3, Gen1 EM) measures the grid. */
export interface DecodeOptions {
  readonly meterChannel: number;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { meterChannel: 0 };

/** Sum that stays null when no part is known, and ignores unknown parts otherwise. */
export function sumKnown(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** The grid figures of a single-phase meter come from its grid channel. */
export function singlePhaseMeter(channels: readonly MeterChannel[], options: DecodeOptions): GridMeter {
  const grid = channels.find((c) => c.name === String(options.meterChannel));
  return {
    layout: 'single_phase',
    powerW: grid?.powerW ?? null,
    importWh: grid?.importWh ?? null,
    exportWh: grid?.exportWh ?? null,
    channels,
  };
}
