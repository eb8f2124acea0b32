import type { Plan, PlanOptions, Scheduler } from '@sps/scheduler';
import { memberPlan } from './member-plan.js';

type Scenario = Record<string, unknown>;

/**
 * One battery (one per-asset policy, e.g. a `Controller`) as the fleet planner sees it. The
 * `Controller` fits this shape.
 */
export interface FleetMember {
  /** Takes its view of a joint plan that another member's re-plan produced (never throws). */
  adoptPlan(plan: Plan): void;
  /** False while the battery is in fallback (stale, unavailable, a write failed) or not planning. */
  isPlannable(): boolean;
  /** State of charge now, %, to bring the spec it last planned with up to date. */
  currentSoc(): number | undefined;
  /** Re-plan soon (debounced): the fleet changed (a battery left or came back). */
  inputsChanged(): void;
}

/** A member's place in the fleet: the `Scheduler` its policy plans with, and how it plugs in. */
export interface FleetSeat {
  /** The member's name in the joint scenario and plan (the device id). */
  readonly name: string;
  /** Plans jointly: the member's own scenario is merged with every other plannable member's battery. */
  readonly scheduler: Scheduler;
  /** Connects the policy; until then the seat plans for its own battery only. */
  attach(member: FleetMember): void;
  /** The member's device went away or came back: the others re-plan without (or with) it. */
  healthChanged(plannable: boolean): void;
  /** Leaves the fleet (the optimiser stopped driving this battery). */
  leave(): void;
}

export interface FleetSeatOptions {
  /**
   * Applied to the member's view of a joint plan before it gets it (the power station relabels
   * its actions: see the add-on's station scheduler). The seat's own `scheduler` returns the view
   * untransformed; a wrapper around it does the same transformation itself.
   */
  readonly viewTransform?: (plan: Plan) => Plan;
}

/** What the last joint solve covered (the API and the plan chart). */
export interface JointPlan {
  readonly plan: Plan;
  /** Members planned in it, in the plan's battery order. */
  readonly members: readonly string[];
  /** Members left out, with why. */
  readonly excluded: readonly { readonly name: string; readonly reason: string }[];
  readonly at: number;
}

/** A member's battery as it planned with it last. */
export interface FleetContribution {
  readonly kind: 'battery' | 'station';
  readonly spec: Scenario;
  readonly allowBatteryExport: boolean;
  /** The grid limits the member planned with (a station's export limit is 0 by construction). */
  readonly grid: unknown;
  /** Start (UTC ms) and interval of the scenario it planned with: a station's series are re-aligned. */
  readonly startMs: number;
  readonly stepMs: number;
  /**
   * The member's own `battery_overrides` (its manual override: fixed powers for a window), in the
   * index space of `startMs`; the joint scenario names the member in each and re-aligns them.
   */
  readonly overrides: readonly Scenario[];
}

interface Seat {
  readonly name: string;
  member: FleetMember | undefined;
  contribution: FleetContribution | undefined;
  readonly options: FleetSeatOptions;
}

/**
 * The dispatcher's planning half (issue 12 item 4): every battery's policy keeps its own loop,
 * limits, hysteresis, override and fallback, and plans through its seat. A seat's `plan(scenario)`
 * takes the caller's prices, forecasts, grid and demand-response additions, puts every plannable
 * member's battery into one scenario (`battery: [...]`, and at most one `station`), solves it once,
 * returns the caller its own view and hands every other member its view (`adoptPlan`). So one
 * solve per re-plan drives the whole fleet, whoever triggered it, and a battery in fallback is
 * simply not in the next joint plan: when it leaves, a remaining member re-plans at once; when
 * it is back, its own re-plan (a fallback always re-plans) brings it in again.
 *
 * The other members' batteries are the specs they last planned with (capacity, limits the guard
 * allowed, efficiencies, reserve), with the SOC read now. With one plannable member the seat is
 * the plain scheduler: a single battery plans exactly as before.
 */
export class FleetPlanner {
  private readonly seats = new Map<string, Seat>();
  private last: JointPlan | null = null;
  /** What the last joint solve was made from (see `reusable`): inputs, and each member's SOC and overrides. */
  private lastSolve: {
    key: string;
    members: ReadonlyMap<string, { soc: number | undefined; overrides: string }>;
  } | null = null;
  private readonly listeners = new Set<(joint: JointPlan) => void>();
  private solving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: { now(): number } = Date,
  ) {}

  seat(name: string, options: FleetSeatOptions = {}): FleetSeat {
    if (this.seats.has(name)) throw new Error(`fleet: "${name}" already has a seat`);
    const seat: Seat = { name, member: undefined, contribution: undefined, options };
    this.seats.set(name, seat);
    return {
      name,
      scheduler: { plan: (input, opts) => this.planFor(seat, input as Scenario, opts) },
      attach: (member) => {
        seat.member = member;
      },
      healthChanged: (plannable) => this.healthChanged(seat, plannable),
      leave: () => {
        this.seats.delete(name);
        this.replanOthers(seat);
      },
    };
  }

  /** The newest joint plan (every member's batteries), null before the first with two members. */
  jointPlan(): JointPlan | null {
    return this.last;
  }

  /** Called after each solve (API, HA). Returns the unsubscribe function. */
  onPlan(listener: (joint: JointPlan) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private healthChanged(seat: Seat, plannable: boolean): void {
    // Leaving: whoever is left re-plans without it. Coming back: its own re-plan brings it in.
    if (!plannable) this.replanOthers(seat);
  }

  private replanOthers(seat: Seat): void {
    const other = [...this.seats.values()].find((s) => s !== seat && s.member?.isPlannable());
    other?.member?.inputsChanged();
  }

  /**
   * One solve at a time: two members' timers firing together (the worker-thread scheduler answers
   * later) would otherwise both solve the joint problem; the second now waits and reuses the first.
   */
  private planFor(seat: Seat, scenario: Scenario, options: PlanOptions | undefined): Promise<Plan> {
    const run = this.solving.then(() => this.planNow(seat, scenario, options));
    this.solving = run.catch(() => undefined);
    return run;
  }

  private async planNow(seat: Seat, scenario: Scenario, options: PlanOptions | undefined): Promise<Plan> {
    const own = contributionOf(scenario);
    if (own) seat.contribution = own;
    const reused = own ? this.reusable(seat, scenario, own) : undefined;
    if (reused) return reused;
    const excluded: { name: string; reason: string }[] = [];
    const others: { seat: Seat; contribution: FleetContribution }[] = [];
    for (const s of this.seats.values()) {
      if (s === seat) continue;
      if (!s.member || !s.contribution) {
        excluded.push({ name: s.name, reason: 'not planning yet' });
        continue;
      }
      if (!s.member.isPlannable()) {
        excluded.push({ name: s.name, reason: 'in fallback' });
        continue;
      }
      const soc = s.member.currentSoc();
      if (soc === undefined) {
        excluded.push({ name: s.name, reason: 'no SOC' });
        continue;
      }
      others.push({ seat: s, contribution: withSoc(s.contribution, soc) });
    }
    if (!own || others.length === 0) {
      const plan = await this.scheduler.plan(scenario, options);
      if (own) this.publish({ plan, members: [seat.name], excluded, at: this.clock.now() });
      return plan;
    }
    const members: { seat: Seat; contribution: FleetContribution }[] = [{ seat, contribution: own }, ...others];
    // The scheduler takes any number of batteries but one station: a second station is left out.
    const stations = members.filter((m) => m.contribution.kind === 'station');
    const planned = members.filter((m) => m.contribution.kind === 'battery' || m === stations[0]);
    for (const m of stations.slice(1))
      excluded.push({ name: m.seat.name, reason: 'only one power station is planned' });
    const joint = jointScenario(
      scenario,
      planned.map((m) => ({
        name: m.seat.name,
        contribution: m.seat === seat ? m.contribution : alignedTo(m.contribution, scenario),
      })),
    );
    const plan = await this.scheduler.plan(joint, options);
    this.lastSolve = {
      key: inputsKey(scenario),
      members: new Map(
        planned.map((m) => [
          m.seat.name,
          { soc: socOfSpec(m.contribution), overrides: JSON.stringify(m.contribution.overrides) },
        ]),
      ),
    };
    const order = [
      ...planned.filter((m) => m.contribution.kind === 'battery'),
      ...planned.filter((m) => m.contribution.kind === 'station'),
    ].map((m) => m.seat.name);
    this.publish({ plan, members: order, excluded, at: this.clock.now() });
    for (const m of planned) {
      if (m.seat === seat) continue;
      const view = memberPlan(plan, m.seat.name) ?? failedView(plan);
      m.seat.member?.adoptPlan(m.seat.options.viewTransform ? m.seat.options.viewTransform(view) : view);
    }
    return memberPlan(plan, seat.name) ?? failedView(plan);
  }

  /**
   * The members' own timers run in step (each re-plans 5 minutes after the joint plan it got), and
   * a change of prices reaches every member: the second caller within a minute, on the same
   * inputs, with its SOC where the first solve saw it and the same members plannable, gets its view
   * of that solve instead of a second one.
   */
  private reusable(seat: Seat, scenario: Scenario, own: FleetContribution): Plan | undefined {
    const last = this.last;
    const solve = this.lastSolve;
    if (!last || !solve || this.clock.now() - last.at > REUSE_MS) return undefined;
    if (!solve.members.has(seat.name) || solve.members.size < 2) return undefined;
    const soc = socOfSpec(own);
    const planned = solve.members.get(seat.name);
    if (soc === undefined || planned?.soc === undefined || Math.abs(soc - planned.soc) > 1) return undefined;
    // An override set or cleared since re-plans (the same inputs key means the same start and grid).
    if (JSON.stringify(own.overrides) !== planned.overrides) return undefined;
    for (const s of this.seats.values()) {
      const plannable = s === seat || (s.member?.isPlannable() ?? false);
      if (plannable !== solve.members.has(s.name)) return undefined;
    }
    if (inputsKey(scenario) !== solve.key) return undefined;
    return memberPlan(last.plan, seat.name);
  }

  private publish(joint: JointPlan): void {
    this.last = joint;
    for (const l of this.listeners) {
      try {
        l(joint);
      } catch {
        // A listener's failure is its own; the plan stands.
      }
    }
  }
}

/** The battery (or station) the member's scenario plans for. */
function contributionOf(scenario: Scenario): FleetContribution | undefined {
  const allowBatteryExport = scenario['allow_battery_export'] !== false;
  const grid = scenario['grid'];
  const { startMs, stepMs } = timingOf(scenario);
  // A member plans for one battery: its overrides are that battery's (they name none).
  const listed = scenario['battery_overrides'];
  const overrides = Array.isArray(listed) ? listed.filter(isRecord) : [];
  const common = { spec: {}, allowBatteryExport, grid, startMs, stepMs, overrides };
  const station = scenario['station'];
  if (isRecord(station)) return { ...common, kind: 'station', spec: station };
  const battery = scenario['battery'];
  if (isRecord(battery)) return { ...common, kind: 'battery', spec: battery };
  return undefined;
}

/** A joint plan is reused for this long at most, ms. */
const REUSE_MS = 60_000;

/**
 * The site's inputs of a scenario: not the caller's battery, nor what the joint scenario takes from
 * the battery members anyway (grid limits, battery export).
 */
function inputsKey(scenario: Scenario): string {
  const { battery: _b, station: _s, grid: _g, allow_battery_export: _x, battery_overrides: _o, ...rest } = scenario;
  return JSON.stringify(rest);
}

function socOfSpec(c: FleetContribution): number | undefined {
  const soc = c.spec['soc_pct'];
  return typeof soc === 'number' ? soc : undefined;
}

function timingOf(scenario: Scenario): { startMs: number; stepMs: number } {
  const start = typeof scenario['start'] === 'string' ? Date.parse(scenario['start']) : NaN;
  const minutes = typeof scenario['interval_minutes'] === 'number' ? scenario['interval_minutes'] : NaN;
  return { startMs: start, stepMs: minutes * 60_000 };
}

/**
 * A station's per-interval series (`p2_load_kw`, `pv_kw`) from an earlier plan, moved onto the
 * caller's intervals: shifted by the intervals between the two starts, the last value held where
 * the old series ends, and P2 never above the caller's load (the scheduler requires it).
 */
export function alignedTo(c: FleetContribution, scenario: Scenario): FleetContribution {
  const { startMs, stepMs } = timingOf(scenario);
  const load = Array.isArray(scenario['load_kw']) ? (scenario['load_kw'] as unknown[]) : [];
  const n = load.length;
  const offset =
    Number.isFinite(startMs) && Number.isFinite(c.startMs) && stepMs > 0 && stepMs === c.stepMs
      ? Math.round((startMs - c.startMs) / stepMs)
      : 0;
  const overrides = alignedOverrides(c.overrides, offset, n);
  if (c.kind !== 'station') return { ...c, overrides, startMs, stepMs };
  const series = (value: unknown, cap?: readonly unknown[]): number[] | undefined => {
    if (!Array.isArray(value)) return undefined;
    const old = value.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0));
    const last = old[old.length - 1] ?? 0;
    return Array.from({ length: n }, (_, t) => {
      const v = old[t + offset] ?? last;
      const limit = cap?.[t];
      return typeof limit === 'number' ? Math.min(v, Math.max(0, limit)) : v;
    });
  };
  const p2 = series(c.spec['p2_load_kw'], load);
  const pv = series(c.spec['pv_kw']);
  return {
    ...c,
    spec: { ...c.spec, ...(p2 ? { p2_load_kw: p2 } : {}), ...(pv ? { pv_kw: pv } : {}) },
    startMs,
    stepMs,
    overrides,
  };
}

/**
 * Override windows of an earlier plan on the caller's intervals: moved back by the intervals
 * between the two starts, cut at the caller's first and last interval, dropped once over.
 */
function alignedOverrides(overrides: readonly Scenario[], offset: number, n: number): Scenario[] {
  return overrides.flatMap((o) => {
    const start = typeof o['start_index'] === 'number' ? o['start_index'] - offset : NaN;
    const end = typeof o['end_index'] === 'number' ? Math.min(n, o['end_index'] - offset) : NaN;
    if (!(end > Math.max(0, start))) return [];
    return [{ ...o, start_index: Math.max(0, start), end_index: end }];
  });
}

/** The spec a member planned with, at the SOC it has now (its reserve and ceiling widened to hold it). */
function withSoc(c: FleetContribution, soc: number): FleetContribution {
  const s = Math.min(100, Math.max(0, soc));
  const min = typeof c.spec['min_soc_pct'] === 'number' ? c.spec['min_soc_pct'] : 0;
  const max = typeof c.spec['max_soc_pct'] === 'number' ? c.spec['max_soc_pct'] : 100;
  return { ...c, spec: { ...c.spec, soc_pct: s, min_soc_pct: Math.min(min, s), max_soc_pct: Math.max(max, s) } };
}

export function jointScenario(
  scenario: Scenario,
  members: readonly { readonly name: string; readonly contribution: FleetContribution }[],
): Scenario {
  const { battery: _b, station: _s, battery_overrides: _o, ...rest } = scenario;
  const batteries = members.filter((m) => m.contribution.kind === 'battery');
  // Each member's manual override, fixed for that battery alone.
  const overrides = members.flatMap((m) => m.contribution.overrides.map((o) => ({ ...o, battery: m.name })));
  const station = members.find((m) => m.contribution.kind === 'station');
  const targets = Array.isArray(rest['energy_targets']) ? (rest['energy_targets'] as unknown[]) : undefined;
  // The site's grid limits are a battery's (an inverter's export limit), not the station's 0 W.
  const gridOf = batteries[0]?.contribution.grid;
  return {
    ...rest,
    ...(gridOf === undefined ? {} : { grid: gridOf }),
    ...(batteries.length > 0 ? { battery: batteries.map((m) => ({ ...m.contribution.spec, name: m.name })) } : {}),
    ...(station ? { station: { ...station.contribution.spec, name: station.name } } : {}),
    // The station cannot export by construction; the batteries may when their options allow it.
    allow_battery_export: batteries.some((m) => m.contribution.allowBatteryExport),
    // A demand-response target is the site's: all batteries together.
    ...(targets ? { energy_targets: targets.map((t) => (isRecord(t) ? { ...t, battery: undefined } : t)) } : {}),
    ...(overrides.length > 0 ? { battery_overrides: overrides } : {}),
  };
}

/** A joint plan without this member (cannot happen for a member that was planned): no usable plan. */
function failedView(plan: Plan): Plan {
  return {
    ...plan,
    status: 'fallback_self_consumption',
    reason: 'the joint plan has no interval for this battery',
    intervals: [],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
