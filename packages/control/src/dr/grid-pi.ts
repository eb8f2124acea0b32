import type { GridMeasurement } from '../demand-response.js';

/**
 * The feedback loop of an ongoing demand-response event (issue 11): a PI controller on the
 * measured grid import whose output is the battery's discharge power (replacement: the battery
 * carries the load the grid no longer does). Pure: state in, state out; the controller owns the
 * timer and the write path.
 *
 * The plant is static within a control period: a forced discharge changes the grid import by the
 * same watts within a few seconds (Sungrow SH, the station's transfer switch), far inside the
 * 15 s period. So the integral does the work (gain `kiPerS × period` ≈ 0.8 removes 80 % of an
 * error per period; 3 periods leave < 1 %) and the proportional part is small: with no plant
 * dynamics to speed up, a large one would only feed the meter's noise to the battery.
 */
export interface GridPiOptions {
  /** Control period, ms. Default 15 s: see DEFAULT_CONTROL_PERIOD_MS. */
  readonly periodMs: number;
  /** Proportional gain, W of output per W of error. Default 0.1. */
  readonly kp: number;
  /** Integral gain, per second. Default 0.8 / 15 s. */
  readonly kiPerS: number;
  /** An error smaller than this changes nothing (the meter's noise), W. Default 50 W. */
  readonly deadBandW: number;
  /** A new output this close to the one written is not written (flash, write budget), W. Default 100 W. */
  readonly minChangeW: number;
}

/**
 * 15 s: a grid meter (or the station's P1 relay) reports every few seconds and an inverter follows
 * a new forced power within ~5 s, so each period sees the effect of the previous write; at most 4
 * writes a minute stay well under the guard's 12 per minute, leaving room for the plan, overrides
 * and the user; 3 periods (45 s) hold the goal inside the first minute of an event.
 */
export const DEFAULT_CONTROL_PERIOD_MS = 15_000;

export const DEFAULT_GRID_PI: GridPiOptions = {
  periodMs: DEFAULT_CONTROL_PERIOD_MS,
  kp: 0.1,
  kiPerS: 0.8 / 15,
  deadBandW: 50,
  minChangeW: 100,
};

/** What the status (HA attributes, panel) shows of the loop. */
export interface GridPiState {
  /** The import the loop holds the site to, W. */
  readonly setpointW: number;
  /** The last grid measurement used, W (> 0 import); null before the first. */
  readonly measuredW: number | null;
  /** measured − setpoint, W (> 0: importing too much). */
  readonly errorW: number | null;
  /** The integral part of the output, W. */
  readonly integralW: number;
  /** The discharge power the loop asks for (written or not), W. */
  readonly outputW: number;
  /** The discharge power last handed to the write path, W. */
  readonly writtenW: number;
  /** Time of the measurement last used (UTC ms); null before the first. */
  readonly measuredAtMs: number | null;
  /** `ok`, `dead_band`, `hold_stale` (no fresh measurement: output held), `stale` (too old: hand back), `at_floor`. */
  readonly condition: 'ok' | 'dead_band' | 'hold_stale' | 'stale' | 'at_floor' | 'waiting';
}

export interface GridPiInput {
  readonly nowMs: number;
  readonly setpointW: number;
  readonly measurement: GridMeasurement | undefined;
  /** The most the battery may discharge now, W (guard limits, export limit). */
  readonly maxOutputW: number;
  /** The battery is at its floor (backup reserve): the output goes to 0 and the integral with it. */
  readonly atFloor: boolean;
  /**
   * When the last write took effect (UTC ms). A measurement taken before it does not show that
   * output yet: using it would count the same error twice (and oscillate).
   */
  readonly lastWriteAtMs?: number;
}

export interface GridPiStep {
  readonly state: GridPiState;
  /** True when `state.outputW` should be written (it differs enough from what was written). */
  readonly write: boolean;
}

/** A fresh loop (before the event's first period), starting from the discharge already in force. */
export function initialGridPi(setpointW: number, outputW = 0): GridPiState {
  return {
    setpointW,
    measuredW: null,
    errorW: null,
    integralW: outputW,
    outputW,
    writtenW: outputW,
    measuredAtMs: null,
    condition: 'waiting',
  };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * One control period. Anti-windup by clamping the integral so that kp·e + I stays inside
 * [0, maxOutput] (conditional integration): at a limit the integral stops growing, so the loop
 * leaves the limit as soon as the error changes sign instead of unwinding a stored excess.
 */
export function stepGridPi(
  prev: GridPiState,
  input: GridPiInput,
  options: GridPiOptions = DEFAULT_GRID_PI,
): GridPiStep {
  const max = Math.max(0, input.maxOutputW);
  const base = { ...prev, setpointW: input.setpointW };
  const m = input.measurement;
  if (input.atFloor) {
    // The measurement is still recorded: curtailment at the floor looks at the error.
    const seen = m !== undefined && input.nowMs - m.atMs <= 3 * options.periodMs;
    const state: GridPiState = {
      ...base,
      ...(seen ? { measuredW: m.w, errorW: m.w - input.setpointW, measuredAtMs: m.atMs } : {}),
      integralW: 0,
      outputW: 0,
      writtenW: 0,
      condition: 'at_floor',
    };
    return { state, write: prev.writtenW !== 0 };
  }
  const age = m === undefined ? Infinity : input.nowMs - m.atMs;
  if (m === undefined || age > 3 * options.periodMs) {
    // The meter stopped: the caller hands the battery back to the plan (and says so).
    return { state: { ...base, condition: 'stale' }, write: false };
  }
  const seen = prev.measuredAtMs !== null && m.atMs <= prev.measuredAtMs;
  const beforeWrite = input.lastWriteAtMs !== undefined && m.atMs < input.lastWriteAtMs;
  if (seen || beforeWrite) {
    // No news since the last period (or not yet showing the last write): hold the output.
    const held = clamp(prev.writtenW, 0, max);
    return { state: { ...base, outputW: held, condition: 'hold_stale' }, write: held !== prev.writtenW };
  }
  const error = m.w - input.setpointW;
  const dt = options.periodMs / 1000;
  let integral = prev.integralW;
  let condition: GridPiState['condition'] = 'ok';
  if (Math.abs(error) < options.deadBandW) condition = 'dead_band';
  else integral += options.kiPerS * dt * error;
  const p = condition === 'dead_band' ? 0 : options.kp * error;
  integral = clamp(integral, -p, max - p);
  const output = clamp(p + integral, 0, max);
  // Writes only when the change is worth one; always when the limit moved below what is in force.
  const write =
    Math.abs(output - prev.writtenW) >= options.minChangeW || (prev.writtenW > max && output !== prev.writtenW);
  const state: GridPiState = {
    setpointW: input.setpointW,
    measuredW: m.w,
    errorW: error,
    integralW: integral,
    outputW: output,
    writtenW: write ? output : prev.writtenW,
    measuredAtMs: m.atMs,
    condition,
  };
  return { state, write };
}

/**
 * The power station discharges through a relay (its transfer switch moves P2's loads onto it): on
 * or off, no setpoint. The PI's continuous output is quantised with hysteresis: on once the needed
 * reduction reaches `onAboveW`, off again only when it falls below `offBelowW`, so a need near the
 * threshold does not chatter (the relay's minimum on/off time, kept by the guard, is the backstop).
 */
export interface SwitchedDischargeOptions {
  readonly onAboveW: number;
  readonly offBelowW: number;
}

export const DEFAULT_SWITCHED_DISCHARGE: SwitchedDischargeOptions = { onAboveW: 300, offBelowW: 100 };

export function quantiseDischarge(outputW: number, on: boolean, o: SwitchedDischargeOptions): boolean {
  return on ? outputW >= o.offBelowW : outputW >= o.onAboveW;
}
