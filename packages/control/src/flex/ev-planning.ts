import { addLocalDays, localParts, zonedToUtc } from '@sps/core';
import type { PlanGrid } from './deferrable-load.js';

/** What the plan needs to know about an EV charger and the car behind it. */
export interface EvChargerSpec {
  /** The least power the charger runs at when on (min current × phases × voltage), W. */
  readonly minPowerW: number;
  readonly maxPowerW: number;
  /** One step of the charger's current as power (1 A × phases × voltage), W. */
  readonly stepW: number;
  readonly targetSocPct: number;
  /** Local minute of day the car must be ready by; undefined: by the end of the plan. */
  readonly departureMinute?: number;
  /** The car battery's usable capacity, Wh. */
  readonly batteryWh?: number;
  /** Share of the charger's power that reaches the battery. Default 0.9. */
  readonly chargeEfficiency?: number;
}

/** What the charger reports now (the `ha-ev-charger` readings ev_plugged, ev_soc). */
export interface EvChargerState {
  /** undefined: the charger has no plug sensor, so the car counts as plugged in. */
  readonly plugged?: boolean;
  readonly socPct?: number;
}

/** The EV in the scheduler's scenario language (`ev`). */
export interface EvScenarioEntry {
  readonly max_kw: number[];
  readonly min_kw: number;
  readonly energy_needed_kwh: number;
  readonly charge_efficiency: number;
  readonly deadline_index: number;
}

export type EvPlanning =
  | { readonly ok: true; readonly entry: EvScenarioEntry; readonly departureMs: number }
  | { readonly ok: false; readonly reason: string };

/** The next local departure time after `nowMs` (today's if still ahead, else tomorrow's). */
export function nextDeparture(minute: number, nowMs: number, timeZone: string): number {
  const p = localParts(nowMs, timeZone);
  for (const offset of [0, 1, 2]) {
    const [y, m, d] = addLocalDays(p.year, p.month, p.day, offset);
    const at = zonedToUtc(timeZone, y, m, d, Math.floor(minute / 60), minute % 60);
    if (at > nowMs) return at;
  }
  return nowMs + 86_400_000;
}

/**
 * The EV's planning inputs: the energy from the car's SOC to the target (kWh at the battery), the
 * departure as the deadline on the plan's grid, and the charger's power range (min/max current ×
 * phases × voltage) as min_kw/max_kw, so the plan decides on/off and the power of each interval.
 * Unplugged, at the target, or with no SOC or capacity to plan from: no EV in the plan (the reason
 * says which). The need is capped at what the charger can deliver before the deadline: a late plug-in
 * charges flat out instead of making the plan infeasible.
 */
export function evPlanning(
  spec: EvChargerSpec,
  state: EvChargerState,
  grid: PlanGrid,
  nowMs: number,
  timeZone: string,
): EvPlanning {
  if (state.plugged === false) return { ok: false, reason: 'the car is not plugged in' };
  if (state.socPct === undefined) return { ok: false, reason: "the car's state of charge is unknown" };
  if (spec.batteryWh === undefined) return { ok: false, reason: "the car's battery capacity is not configured" };
  const needKwh = ((spec.targetSocPct - state.socPct) / 100) * (spec.batteryWh / 1000);
  if (needKwh <= 0.01) return { ok: false, reason: `the car is at its target (${state.socPct} %)` };
  const departureMs =
    spec.departureMinute === undefined
      ? grid.fromMs + grid.intervals * grid.stepMs
      : nextDeparture(spec.departureMinute, nowMs, timeZone);
  const deadline = Math.min(grid.intervals, Math.floor((departureMs - grid.fromMs) / grid.stepMs));
  if (deadline <= 0) return { ok: false, reason: 'the departure is inside the present interval' };
  const efficiency = spec.chargeEfficiency ?? 0.9;
  const hours = grid.stepMs / 3_600_000;
  const maxKw = spec.maxPowerW / 1000;
  const reachable = maxKw * hours * efficiency * deadline;
  return {
    ok: true,
    departureMs,
    entry: {
      max_kw: new Array<number>(grid.intervals).fill(maxKw),
      min_kw: Math.min(spec.minPowerW, spec.maxPowerW) / 1000,
      // 0.1 % under what fits keeps the row feasible through float noise.
      energy_needed_kwh: Math.min(needKwh, reachable * 0.999),
      charge_efficiency: efficiency,
      deadline_index: deadline,
    },
  };
}
