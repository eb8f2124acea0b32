import { addLocalDays, localParts, zonedToUtc } from '@sps/core';

/**
 * A load the plan may move in time (a water heater, a well pump, a pool pump, a dishwasher): it
 * draws `powerW` while its relay is on and must run `runMinutesPerDay` inside a daily window of
 * local time. Nothing here knows where the relay is or what the objective is, so the off-grid
 * objective (issue 13) plans the same loads with its own costs.
 */
export interface DeferrableLoad {
  /** Unique among the loads; the plan names the load by it. */
  readonly name: string;
  readonly powerW: number;
  readonly runMinutesPerDay: number;
  /** Local minute of day the window opens (0–1439). */
  readonly earliestMinute: number;
  /**
   * Local minute of day the run must be done by (0–1439). Not after `earliestMinute`: the window
   * crosses midnight and belongs to the day it opens (22:00–06:00 is one night).
   */
  readonly latestMinute: number;
  /** Once switched on, stay on at least this long (a pump's motor, a heater's contactor), minutes. */
  readonly minOnMinutes: number;
  /** Once switched off, stay off at least this long, minutes. */
  readonly minOffMinutes: number;
}

/** One day's window of a load: [startMs, endMs) in UTC; `day` is the local date it opens (YYYY-MM-DD). */
export interface LoadWindow {
  readonly day: string;
  readonly startMs: number;
  readonly endMs: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function windowOpening(load: DeferrableLoad, y: number, m: number, d: number, timeZone: string): LoadWindow {
  const startMs = zonedToUtc(timeZone, y, m, d, Math.floor(load.earliestMinute / 60), load.earliestMinute % 60);
  const crosses = load.latestMinute <= load.earliestMinute;
  const [ey, em, ed] = crosses ? addLocalDays(y, m, d, 1) : [y, m, d];
  const endMs = zonedToUtc(timeZone, ey, em, ed, Math.floor(load.latestMinute / 60), load.latestMinute % 60);
  return { day: `${y}-${pad(m)}-${pad(d)}`, startMs, endMs };
}

/**
 * The window that is open at `nowMs`, else the next one to open. A window that crosses midnight
 * may have opened yesterday, so yesterday's is looked at first.
 */
export function windowAt(load: DeferrableLoad, nowMs: number, timeZone: string): LoadWindow {
  const p = localParts(nowMs, timeZone);
  for (const offset of [-1, 0, 1, 2]) {
    const [y, m, d] = addLocalDays(p.year, p.month, p.day, offset);
    const w = windowOpening(load, y, m, d, timeZone);
    if (w.endMs > nowMs) return w;
  }
  // Unreachable: a window opens every day.
  const [y, m, d] = addLocalDays(p.year, p.month, p.day, 1);
  return windowOpening(load, y, m, d, timeZone);
}

/** The window after `w` (the same load, the next local day). */
export function nextWindow(load: DeferrableLoad, w: LoadWindow, timeZone: string): LoadWindow {
  const [y, m, d] = w.day.split('-').map(Number) as [number, number, number];
  const [ny, nm, nd] = addLocalDays(y, m, d, 1);
  return windowOpening(load, ny, nm, nd, timeZone);
}

/** The plan's grid: interval `t` starts at fromMs + t·stepMs; `intervals` of them. */
export interface PlanGrid {
  readonly fromMs: number;
  readonly stepMs: number;
  readonly intervals: number;
}

/** A deferrable load in the scheduler's scenario language (`deferrable_loads[]`). */
export interface DeferrableScenarioEntry {
  readonly name: string;
  readonly power_kw: number;
  readonly start_index: number;
  readonly end_index: number;
  readonly run_minutes: number;
  readonly min_on_minutes?: number;
  readonly min_off_minutes?: number;
}

/**
 * What is left of the load's run for the plan: the open (or next) window's remaining run time,
 * on the plan's grid. Interval `t` counts when it lies inside the window; the interval running now
 * counts from now, so the window's start is floored to the present interval. The run is capped at
 * what still fits (a late start cannot be planned into an infeasible plan; the policy runs the
 * load to the window's end instead). null: nothing to plan (done, or the window is off the grid).
 */
export function deferrableEntry(
  load: DeferrableLoad,
  window: LoadWindow,
  ranMinutes: number,
  grid: PlanGrid,
): DeferrableScenarioEntry | null {
  const remaining = load.runMinutesPerDay - ranMinutes;
  if (remaining <= 0.5) return null;
  const start = Math.max(0, Math.floor((window.startMs - grid.fromMs) / grid.stepMs));
  const end = Math.min(grid.intervals, Math.floor((window.endMs - grid.fromMs) / grid.stepMs));
  if (end <= start) return null;
  const stepMinutes = grid.stepMs / 60_000;
  return {
    name: load.name,
    power_kw: load.powerW / 1000,
    start_index: start,
    end_index: end,
    run_minutes: Math.min(remaining, (end - start) * stepMinutes),
    ...(load.minOnMinutes > 0 ? { min_on_minutes: load.minOnMinutes } : {}),
    ...(load.minOffMinutes > 0 ? { min_off_minutes: load.minOffMinutes } : {}),
  };
}

/** "HH:MM" → minute of day; undefined when it is not a time of day. */
export function minuteOfDay(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}
