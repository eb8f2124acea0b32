import { z } from 'zod';

/**
 * The scenario contract (issue 5): one planning problem, as `sps plan --scenario FILE` reads it.
 * Prices are per kWh in `prices.currency`; powers in kW and energies in kWh (user-facing edge).
 * Index windows are half-open: [start_index, end_index).
 */

export const INTERVAL_MINUTES = [5, 15, 30, 60] as const;
/** A week at 5 minutes: beyond this a plan is not useful and the solve time grows without bound. */
export const MAX_INTERVALS = 2016;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNegative = finite.refine((v) => v >= 0, 'must be ≥ 0');
const positive = finite.refine((v) => v > 0, 'must be > 0');
const fraction = finite.refine((v) => v > 0 && v <= 1, 'must be in (0, 1]');
const percent = finite.refine((v) => v >= 0 && v <= 100, 'must be in [0, 100]');
const index = z.number().int('must be an integer').min(0, 'must be ≥ 0');

export const BatterySpec = z.object({
  name: z.string().min(1).optional(),
  capacity_kwh: positive,
  soc_pct: percent,
  min_soc_pct: percent.default(0),
  max_soc_pct: percent.default(100),
  max_charge_kw: nonNegative,
  max_discharge_kw: nonNegative,
  charge_efficiency: fraction.default(0.95),
  discharge_efficiency: fraction.default(0.95),
  cycle_cost_per_kwh: nonNegative.default(0),
});
export type BatterySpec = z.infer<typeof BatterySpec>;

export const EvSpec = z.object({
  max_kw: z.array(nonNegative),
  min_kw: nonNegative.default(0),
  energy_needed_kwh: nonNegative,
  charge_efficiency: fraction.default(0.9),
  deadline_index: index,
});
export type EvSpec = z.infer<typeof EvSpec>;

export const DeferrableLoadSpec = z
  .object({
    name: z.string().min(1),
    power_kw: positive,
    start_index: index,
    end_index: index,
    energy_kwh: positive.optional(),
    run_minutes: positive.optional(),
    /** Once on, it stays on at least this long (rounded up to whole intervals). Default 0. */
    min_on_minutes: nonNegative.optional(),
    /** Once off inside its window, it stays off at least this long. Default 0. */
    min_off_minutes: nonNegative.optional(),
  })
  .superRefine((d, ctx) => {
    if ((d.energy_kwh === undefined) === (d.run_minutes === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['energy_kwh'], message: 'give exactly one of energy_kwh or run_minutes' });
    }
    if (d.end_index <= d.start_index) {
      ctx.addIssue({ code: 'custom', path: ['end_index'], message: 'must be greater than start_index' });
    }
  });
export type DeferrableLoadSpec = z.infer<typeof DeferrableLoadSpec>;

export const DemandChargeSpec = z.object({
  cost_per_kw: nonNegative,
  /** Peak already reached in this billing period: the charge is on max(this, planned peak). */
  peak_so_far_kw: nonNegative.default(0),
  windows: z
    .array(
      z.object({ start_index: index, end_index: index }).refine((w) => w.end_index > w.start_index, {
        message: 'must be greater than start_index',
        path: ['end_index'],
      }),
    )
    .min(1),
});
export type DemandChargeSpec = z.infer<typeof DemandChargeSpec>;

/**
 * The power station as one battery (issue 6 §5): it charges from the grid only through its P1
 * relay at one fixed power (`grid_charge_mode: on_off`) or anywhere up to it (`continuous`, for
 * stations that can set their charging current), and from its own PV at P4 (`pv_kw`, which never
 * reaches the house bus); it cannot export, and its discharge carries at most the loads behind the
 * transfer switch (`p2_load_kw`, the part of `load_kw` at P2) up to its inverter rating.
 */
export const GRID_CHARGE_MODES = ['on_off', 'continuous'] as const;
export const StationSpec = z.object({
  name: z.string().min(1).default('station'),
  capacity_kwh: positive,
  soc_pct: percent,
  min_soc_pct: percent.default(0),
  max_soc_pct: percent.default(100),
  grid_charge_kw: nonNegative,
  grid_charge_mode: z.enum(GRID_CHARGE_MODES).default('on_off'),
  max_discharge_kw: nonNegative,
  p2_load_kw: z.array(nonNegative),
  pv_kw: z.array(nonNegative).optional(),
  charge_efficiency: fraction.default(0.95),
  discharge_efficiency: fraction.default(0.95),
  cycle_cost_per_kwh: nonNegative.default(0),
});
export type StationSpec = z.infer<typeof StationSpec>;

/**
 * A minimum stored energy at the START of interval `index` (i.e. at the end of interval index − 1;
 * index 0 is the energy stored now): a demand-response event that must find the battery charged
 * (issue 11). In the model it is soft: `stored + shortfall ≥ min` with the shortfall penalised per
 * kWh, so a target that cannot be reached still gives a plan (its shortfall reported in the plan).
 * The penalty's default is far above anything price arbitrage can earn per kWh (see problem.ts), so
 * the target is met whenever it physically can be, at the cheapest intervals that still meet it.
 */
export const EnergyTargetSpec = z
  .object({
    index: index,
    min_kwh: nonNegative.optional(),
    /** Of the named battery's capacity (or of all batteries' capacity together). */
    min_soc_pct: percent.optional(),
    /** One battery (its `name`, or the station's); default: all batteries together. */
    battery: z.string().min(1).optional(),
    shortfall_penalty_per_kwh: positive.optional(),
    /** Shown in the plan's reasons (e.g. `DR event dlrp-2026-01-15`). */
    label: z.string().min(1).max(80).optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.min_kwh === undefined) === (t.min_soc_pct === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['min_kwh'], message: 'give exactly one of min_kwh or min_soc_pct' });
    }
  });
export type EnergyTargetSpec = z.infer<typeof EnergyTargetSpec>;

/**
 * A battery's power fixed for a window of intervals (a manual override, issue 14): the plan takes
 * it as given and optimises the rest of the horizon around it (its SOC after the window follows).
 * - `charge` / `discharge` at `power_kw` (default: the battery's maximum; a power above the
 *   battery's limit is clipped to it and the reason shown): the battery does exactly that while it
 *   has room (or energy above its floor) and the grid limits allow; what it cannot do is penalised
 *   like an energy target's shortfall, earlier intervals more than later ones, so the plan never
 *   gives up a fixed power for money (it does make room, or store energy, before a later window);
 * - `hold`: neither charge nor discharge; with `soc_pct` (a window that starts now only, where the
 *   SOC is known) it first charges at `power_kw` up to that SOC, then holds.
 * Windows of one battery must not overlap. The allow_grid_charging / allow_battery_export rules do
 * not apply to a fixed power: the person asked for it.
 */
export const BATTERY_OVERRIDE_KINDS = ['charge', 'discharge', 'hold'] as const;
export const BatteryOverrideSpec = z
  .object({
    /** The battery's `name` (or the station's); default: the scenario's only battery. */
    battery: z.string().min(1).optional(),
    start_index: index,
    end_index: index,
    kind: z.enum(BATTERY_OVERRIDE_KINDS),
    power_kw: nonNegative.optional(),
    soc_pct: percent.optional(),
    /** Shown as the intervals' reason (e.g. `manual override: force charge at 3000 W until …`). */
    label: z.string().min(1).max(160).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.end_index <= o.start_index) {
      ctx.addIssue({ code: 'custom', path: ['end_index'], message: 'must be greater than start_index' });
    }
    if (o.soc_pct !== undefined && o.kind !== 'hold') {
      ctx.addIssue({ code: 'custom', path: ['soc_pct'], message: `only a hold takes a target SOC, not ${o.kind}` });
    }
    if (o.soc_pct !== undefined && o.start_index !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['soc_pct'],
        message: 'a hold up to a SOC must start at index 0 (only the SOC now is known)',
      });
    }
  });
export type BatteryOverrideSpec = z.infer<typeof BatteryOverrideSpec>;

/** Intervals no deferrable load may run in (a demand-response event with shifting allowed). */
export const IndexWindow = z
  .object({ start_index: index, end_index: index })
  .refine((w) => w.end_index > w.start_index, { message: 'must be greater than start_index', path: ['end_index'] });
export type IndexWindow = z.infer<typeof IndexWindow>;

/**
 * Off-grid planning (issue 13 §6): no grid at all. Import and export are 0; the objective is no
 * longer money but keeping the house powered. Every figure is in abstract "value units" per kWh
 * (no currency: an off-grid house has no tariff); only their order matters:
 *   unserved load  ≫  reserve shortfall  >  stored energy at the horizon's end  >  a deferrable load's run.
 * Defaults and why are in problem.ts (offGridParams).
 */
export const OffGridSpec = z.object({
  /** The battery is kept at or above this SOC at every interval (soft); default: the battery's min_soc_pct. */
  reserve_soc_pct: percent.optional(),
  /** Per kWh below the reserve, per interval it stays below. Default 10. */
  reserve_penalty_per_kwh: positive.optional(),
  /**
   * Per kWh of the house's load that cannot be served, in the horizon's last interval (earlier ones
   * add 2 × the reserve penalty per interval). Default max(1000, 2 × intervals × reserve penalty).
   */
  unserved_penalty_per_kwh: positive.optional(),
  /** Per kWh a deferrable load runs (its run time becomes "up to", not "exactly"). Default 1. */
  load_value_per_kwh: nonNegative.optional(),
  /** Per kWh stored at the end of the horizon (replaces terminal_energy_value_per_kwh). Default 2. */
  stored_value_per_kwh: nonNegative.optional(),
});
export type OffGridSpec = z.infer<typeof OffGridSpec>;

const utcTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/, 'must be a UTC ISO 8601 timestamp ending in Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a valid date');

const ScenarioObject = z.object({
  interval_minutes: z
    .number()
    .refine((v) => (INTERVAL_MINUTES as readonly number[]).includes(v), 'must be one of 5, 15, 30, 60')
    .default(5),
  /** Start of the first interval (UTC); defaults to "now" rounded down to the interval. */
  start: utcTimestamp.optional(),
  prices: z.object({
    import: z.array(finite).min(1, 'needs at least one interval').max(MAX_INTERVALS),
    export: z.array(finite),
    currency: z.string().min(1),
  }),
  solar_kw: z.array(nonNegative),
  load_kw: z.array(nonNegative),
  /** Optional when a `station` is the only storage. */
  battery: z.union([BatterySpec, z.array(BatterySpec).min(1)]).optional(),
  station: StationSpec.optional(),
  grid: z
    .object({
      max_import_kw: nonNegative.nullable().default(null),
      max_export_kw: nonNegative.nullable().default(null),
    })
    .default({ max_import_kw: null, max_export_kw: null }),
  terminal_energy_value_per_kwh: finite.default(0),
  allow_grid_charging: z.boolean().default(true),
  allow_battery_export: z.boolean().default(true),
  allow_curtailment: z.boolean().default(true),
  ev: EvSpec.optional(),
  deferrable_loads: z.array(DeferrableLoadSpec).default([]),
  demand_charge: DemandChargeSpec.optional(),
  energy_targets: z.array(EnergyTargetSpec).default([]),
  battery_overrides: z.array(BatteryOverrideSpec).default([]),
  deferrable_exclusions: z.array(IndexWindow).default([]),
  /** Present: the house has no grid (see OffGridSpec); prices may be all 0. */
  off_grid: OffGridSpec.optional(),
});

/** Cross-field rules: equal lengths, SOC ordering, indices inside the horizon. */
export const Scenario = ScenarioObject.superRefine((s, ctx) => {
  const n = s.prices.import.length;
  const sameLength = (values: readonly unknown[], path: (string | number)[]): void => {
    if (values.length !== n) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `expected ${n} values (the length of prices.import), got ${values.length}`,
      });
    }
  };
  sameLength(s.prices.export, ['prices', 'export']);
  sameLength(s.solar_kw, ['solar_kw']);
  sameLength(s.load_kw, ['load_kw']);
  if (s.battery === undefined && s.station === undefined) {
    ctx.addIssue({ code: 'custom', path: ['battery'], message: 'is required (or a station)' });
  }
  const batteries = s.battery === undefined ? [] : Array.isArray(s.battery) ? s.battery : [s.battery];
  batteries.forEach((b, i) => {
    const base = Array.isArray(s.battery) ? ['battery', i] : ['battery'];
    if (b.min_soc_pct > b.max_soc_pct) {
      ctx.addIssue({
        code: 'custom',
        path: [...base, 'min_soc_pct'],
        message: `${b.min_soc_pct} is above max_soc_pct ${b.max_soc_pct}`,
      });
    }
  });
  if (s.station) {
    const st = s.station;
    if (st.min_soc_pct > st.max_soc_pct) {
      ctx.addIssue({
        code: 'custom',
        path: ['station', 'min_soc_pct'],
        message: `${st.min_soc_pct} is above max_soc_pct ${st.max_soc_pct}`,
      });
    }
    sameLength(st.p2_load_kw, ['station', 'p2_load_kw']);
    if (st.pv_kw) sameLength(st.pv_kw, ['station', 'pv_kw']);
    const over = st.p2_load_kw.findIndex((v, t) => v > (s.load_kw[t] ?? Infinity) + 1e-9);
    if (over >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['station', 'p2_load_kw', over],
        message: `${st.p2_load_kw[over]} kW is more than load_kw[${over}] (${s.load_kw[over]} kW): P2 is part of the household load`,
      });
    }
  }
  if (s.ev) {
    sameLength(s.ev.max_kw, ['ev', 'max_kw']);
    if (s.ev.deadline_index > n) {
      ctx.addIssue({ code: 'custom', path: ['ev', 'deadline_index'], message: `must be ≤ ${n} (the horizon)` });
    }
  }
  s.deferrable_loads.forEach((d, i) => {
    if (d.end_index > n) {
      ctx.addIssue({
        code: 'custom',
        path: ['deferrable_loads', i, 'end_index'],
        message: `must be ≤ ${n} (the horizon)`,
      });
    }
  });
  const names = [...batteries.map((b, i) => b.name ?? `battery ${i + 1}`), ...(s.station ? [s.station.name] : [])];
  s.energy_targets.forEach((t, i) => {
    if (t.index > n) {
      ctx.addIssue({ code: 'custom', path: ['energy_targets', i, 'index'], message: `must be ≤ ${n} (the horizon)` });
    }
    if (t.battery !== undefined && !names.includes(t.battery)) {
      ctx.addIssue({
        code: 'custom',
        path: ['energy_targets', i, 'battery'],
        message: `"${t.battery}" is not a battery of this scenario (${names.join(', ') || 'none'})`,
      });
    }
  });
  const windows = new Map<string, { start: number; end: number; i: number }[]>();
  s.battery_overrides.forEach((o, i) => {
    if (o.end_index > n) {
      ctx.addIssue({
        code: 'custom',
        path: ['battery_overrides', i, 'end_index'],
        message: `must be ≤ ${n} (the horizon)`,
      });
    }
    if (o.battery === undefined && names.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['battery_overrides', i, 'battery'],
        message: `is required with ${names.length} batteries (${names.join(', ')})`,
      });
      return;
    }
    const name = o.battery ?? names[0]!;
    if (!names.includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['battery_overrides', i, 'battery'],
        message: `"${name}" is not a battery of this scenario (${names.join(', ') || 'none'})`,
      });
      return;
    }
    const taken = windows.get(name) ?? [];
    const clash = taken.find((w) => o.start_index < w.end && w.start < o.end_index);
    if (clash) {
      ctx.addIssue({
        code: 'custom',
        path: ['battery_overrides', i, 'start_index'],
        message: `overlaps battery_overrides[${clash.i}] of "${name}"`,
      });
    }
    windows.set(name, [...taken, { start: o.start_index, end: o.end_index, i }]);
  });
  s.deferrable_exclusions.forEach((w, i) => {
    if (w.end_index > n) {
      ctx.addIssue({
        code: 'custom',
        path: ['deferrable_exclusions', i, 'end_index'],
        message: `must be ≤ ${n} (the horizon)`,
      });
    }
  });
  s.demand_charge?.windows.forEach((w, i) => {
    if (w.end_index > n) {
      ctx.addIssue({
        code: 'custom',
        path: ['demand_charge', 'windows', i, 'end_index'],
        message: `must be ≤ ${n} (the horizon)`,
      });
    }
  });
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
