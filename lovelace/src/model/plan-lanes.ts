import type { PlanIntervalJson } from '../data/api-types.js';

/**
 * The plan's other assets as lanes under the battery chart (issue 12): the EV's planned charging and
 * each deferrable load's planned runs, off-grid the load the plan cannot serve ("Dark"), plus every
 * battery's own SOC when several are planned together. Pure, so the card only draws what this returns.
 */
export interface PlanLane {
  /** Short label drawn in the lane ("EV", "L1"…); the legend carries the full name. */
  readonly label: string;
  readonly name: string;
  /** Planned power per interval, kW (0 = off), aligned with the intervals given. */
  readonly kw: readonly number[];
  readonly peakKw: number;
}

export interface BatterySocLine {
  readonly name: string;
  /** SOC at the end of each interval, %, aligned with the intervals given; null where unknown. */
  readonly socPct: readonly (number | null)[];
}

export function planLanes(intervals: readonly PlanIntervalJson[]): PlanLane[] {
  const lanes: PlanLane[] = [];
  const ev = intervals.map((i) => Math.max(0, i.ev_kw ?? 0));
  if (ev.some((kw) => kw > 0)) lanes.push({ label: 'EV', name: 'EV charging', kw: ev, peakKw: Math.max(...ev) });
  const names: string[] = [];
  for (const i of intervals) for (const d of i.deferrables ?? []) if (!names.includes(d.name)) names.push(d.name);
  names.forEach((name, k) => {
    const kw = intervals.map((i) => Math.max(0, i.deferrables?.find((d) => d.name === name)?.kw ?? 0));
    lanes.push({ label: `L${k + 1}`, name, kw, peakKw: Math.max(0, ...kw) });
  });
  // Off-grid: when the house would go dark (only drawn when the plan has any).
  const dark = intervals.map((i) => Math.max(0, i.unserved_kw ?? 0));
  if (dark.some((kw) => kw > 0))
    lanes.push({ label: 'Dark', name: 'load not served', kw: dark, peakKw: Math.max(...dark) });
  return lanes;
}

/**
 * Each battery's SOC when the joint plan has more than one, matched to `intervals` by start time
 * (the joint plan and the battery's own view share the grid, but either may be newer).
 */
export function batterySocLines(
  intervals: readonly PlanIntervalJson[],
  joint: readonly PlanIntervalJson[] | undefined,
): BatterySocLine[] {
  if (!joint) return [];
  const byStart = new Map(joint.map((i) => [i.start, i]));
  const names: string[] = [];
  for (const i of joint) for (const b of i.batteries ?? []) if (!names.includes(b.name)) names.push(b.name);
  if (names.length < 2) return [];
  return names.map((name) => ({
    name,
    socPct: intervals.map((i) => byStart.get(i.start)?.batteries?.find((b) => b.name === name)?.soc_pct ?? null),
  }));
}
