import type { Plan } from '@sps/scheduler';

/** One plan interval as the chart, the API and HA's `forecast` attribute show it. */
export interface PlanChartPoint {
  /** UTC ISO start of the interval. */
  readonly start: string;
  readonly action: string;
  /** SOC at the end of the interval, %. */
  readonly socPct: number;
  /** Battery power, kW; positive = discharge (the project's sign convention), negative = charge. */
  readonly batteryKw: number;
  readonly importPrice: number;
  readonly exportPrice: number;
  /** The EV's planned charging power, kW (0 without an EV). */
  readonly evKw: number;
  /** The deferrable loads planned on in this interval, by name. */
  readonly loadsOn: readonly string[];
  /** Off-grid: load the plan cannot serve, kW (absent on the grid). */
  readonly unservedKw?: number;
  /** Per battery (name = device id), when the plan drives more than one. */
  readonly batteries?: readonly { readonly name: string; readonly socPct: number; readonly batteryKw: number }[];
}

const r = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function planChartPoints(plan: Plan): PlanChartPoint[] {
  return plan.intervals.map((i) => ({
    start: i.start,
    action: i.action,
    socPct: r(i.soc_pct, 1),
    batteryKw: r(i.battery_discharge_kw - i.battery_charge_kw, 3),
    importPrice: r(i.import_price, 5),
    exportPrice: r(i.export_price, 5),
    evKw: r(i.ev_kw, 3),
    loadsOn: (i.deferrables ?? []).filter((d) => d.kw > 0).map((d) => d.name),
    ...(i.unserved_kw === undefined ? {} : { unservedKw: r(i.unserved_kw, 3) }),
    ...(i.batteries.length > 1
      ? {
          batteries: i.batteries.map((b) => ({
            name: b.name,
            socPct: r(b.soc_pct, 1),
            batteryKw: r(b.discharge_kw - b.charge_kw, 3),
          })),
        }
      : {}),
  }));
}
