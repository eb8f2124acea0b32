/**
 * What the power-flow card draws, from the snapshot: grid, solar, home, each battery with its SOC,
 * the power station with its P1–P4 relays around the transfer switch, the EV and the deferrable
 * loads. Pure (unit-tested); signs as DESIGN.md: grid > 0 import, battery > 0 discharge.
 */
import type { DeviceJson, DeviceReadingsJson, PlanResponse } from '../data/api-types.js';

export interface FlowBattery {
  readonly id: string;
  readonly name: string;
  readonly socPct: number | null;
  /** W, > 0 discharging. */
  readonly powerW: number | null;
  readonly available: boolean;
  readonly isStation: boolean;
}

export interface FlowRelay {
  readonly id: string;
  readonly name: string;
  /** P1–P4. */
  readonly position: string;
  readonly on: boolean | null;
  readonly powerW: number | null;
  readonly available: boolean;
  readonly reason: string | null;
}

export interface FlowModel {
  /** W, > 0 import. */
  readonly gridW: number | null;
  readonly solarW: number | null;
  readonly homeW: number | null;
  readonly batteries: readonly FlowBattery[];
  readonly relays: readonly FlowRelay[];
  /** kW planned for now, from the plan's current interval (the EV and deferrable loads are plan outputs). */
  readonly evKw: number | null;
  readonly deferrableKw: number | null;
}

type Readings = DeviceReadingsJson['readings'];

function num(readings: Readings | undefined, key: string): number | null {
  const v = readings?.[key]?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A relay's state: its first boolean `*_on` / `switch_N` reading. */
export function relayOn(readings: Readings | undefined): boolean | null {
  if (!readings) return null;
  for (const [key, r] of Object.entries(readings)) {
    if (typeof r.value === 'boolean' && (key.endsWith('_on') || /^switch_\d+$/.test(key))) return r.value;
  }
  return null;
}

/** A relay's power: `load_power`, `power_N` or the AC output. */
export function relayPower(readings: Readings | undefined): number | null {
  if (!readings) return null;
  const direct = num(readings, 'load_power') ?? num(readings, 'ac_output_power');
  if (direct !== null) return direct;
  for (const key of Object.keys(readings)) if (/^power_\d+$/.test(key)) return num(readings, key);
  return null;
}

const sum = (values: readonly (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0);
};

const RELAY_POSITIONS = new Set(['P1', 'P2', 'P3', 'P4']);

export function flowModel(
  devices: readonly DeviceJson[],
  readings: Readonly<Record<string, DeviceReadingsJson>>,
  plan: PlanResponse | null,
  now: number,
): FlowModel {
  const relays: FlowRelay[] = [];
  const batteries: FlowBattery[] = [];
  // A relay at a position is part of the station: its power is already in the station's readings.
  const relayIds = new Set(devices.filter((d) => d.position && RELAY_POSITIONS.has(d.position)).map((d) => d.id));
  for (const d of devices) {
    const r = readings[d.id]?.readings;
    if (relayIds.has(d.id)) {
      relays.push({
        id: d.id,
        name: d.name,
        position: d.position ?? '',
        on: relayOn(r),
        powerW: relayPower(r),
        available: d.availability.available,
        reason: d.availability.reason,
      });
      continue;
    }
    if (num(r, 'battery_soc') !== null || d.entities.some((e) => e.key === 'battery_soc')) {
      batteries.push({
        id: d.id,
        name: d.name,
        socPct: num(r, 'battery_soc'),
        powerW: num(r, 'battery_power'),
        available: d.availability.available,
        isStation: d.driver === 'station',
      });
    }
  }
  relays.sort((a, b) => a.position.localeCompare(b.position));
  const others = devices.filter((d) => !relayIds.has(d.id));
  // The station composes its members: when present, its members' own readings would count twice.
  // Its grid and load are those behind the transfer switch (P1's charging, the loads on P3), so a house
  // meter or inverter, when there is one, speaks for the whole home first.
  const station = others.find((d) => d.driver === 'station');
  const sources = station ? [...others.filter((d) => d !== station && !stationMember(d, devices)), station] : others;
  const firstOf = (key: string): number | null => {
    for (const d of sources) {
      const v = num(readings[d.id]?.readings, key);
      if (v !== null) return v;
    }
    return null;
  };
  const solarW = sum(sources.map((d) => num(readings[d.id]?.readings, 'pv_power')));
  const gridW = firstOf('grid_power');
  const homeW = firstOf('load_power');
  let evKw: number | null = null;
  let deferrableKw: number | null = null;
  const p = plan?.plan;
  if (p) {
    const stepMs = p.interval_minutes * 60_000;
    const current = p.intervals.find((i) => Date.parse(i.start) <= now && now < Date.parse(i.start) + stepMs);
    const hasEv = p.intervals.some((i) => (i.ev_kw ?? 0) > 0);
    const hasDeferrable = p.intervals.some((i) => (i.deferrable_kw ?? 0) > 0);
    if (hasEv) evKw = current?.ev_kw ?? 0;
    if (hasDeferrable) deferrableKw = current?.deferrable_kw ?? 0;
  }
  return {
    gridW,
    solarW,
    homeW,
    batteries: station
      ? batteries.filter(
          (b) =>
            b.isStation ||
            !stationMember(
              devices.find((d) => d.id === b.id),
              devices,
            ),
        )
      : batteries,
    relays,
    evKw,
    deferrableKw,
  };
}

/** The station's own battery device (a Bluetti behind it) is shown as the station, not twice. */
function stationMember(d: DeviceJson | undefined, all: readonly DeviceJson[]): boolean {
  return !!d && d.driver !== 'station' && d.position === 'station' && all.some((x) => x.driver === 'station');
}

/** Which way energy moves on a line: toward the home, away from it, or not at all (under 10 W). */
export function direction(watts: number | null, threshold = 10): 'in' | 'out' | 'none' {
  if (watts === null || Math.abs(watts) < threshold) return 'none';
  return watts > 0 ? 'in' : 'out';
}
