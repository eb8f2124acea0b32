import { LocalTimeCache } from '@sps/core';

/*
 * Household load as a weekday × time-of-day profile:
 * - history is bucketed into local-time slots (30 min by default) per local day;
 * - each (day of week, slot) is a robust weighted mean: recent days weigh more
 *   (exponential decay with a half-life) and values further than k·MAD from the
 *   weighted median are rejected (a party, a holiday away, a meter glitch);
 * - a day of week with few days of history is shrunk towards its weekday/weekend mean;
 * - optionally, a temperature term fitted on the residuals (cooling above and
 *   heating below balance temperatures) shifts the profile on hot or cold days.
 */

export interface LoadSample {
  /** UTC ms. */
  start: number;
  end: number;
  /** Average household load over the sample, kW (≥ 0). */
  kw: number;
}

/** Air temperature over [start, end), °C. */
export interface TemperaturePoint {
  start: number;
  end: number;
  celsius: number;
}

export interface LoadModelOptions {
  /** The household's IANA time zone: routines follow the local clock. */
  timeZone: string;
  historyDays?: number;
  halfLifeDays?: number;
  slotMinutes?: number;
  /** Reject values further than k × 1.4826 × MAD from the weighted median. */
  outlierK?: number;
  /** How many "days" of the weekday/weekend mean a day-of-week estimate is shrunk towards. */
  dayOfWeekPrior?: number;
  /** Weight of each neighbouring slot in the smoothing kernel (0 = off). */
  smoothing?: number;
  temperature?: { coolingBaseC?: number; heatingBaseC?: number };
}

const DAY = 86_400_000;

/** One local day's average load in one slot. */
export interface SlotValue {
  /** UTC ms of the local midnight starting the day. */
  day: number;
  weekday: number;
  slot: number;
  /** Slot midpoint, UTC ms. */
  mid: number;
  kw: number;
}

/** Bucket samples into local (day, slot) averages, time-weighted. */
export function bucketLoad(samples: readonly LoadSample[], timeZone: string, slotMinutes = 30): SlotValue[] {
  const cache = new LocalTimeCache(timeZone);
  const acc = new Map<string, { v: SlotValue; kwMs: number; ms: number }>();
  for (const s of samples) {
    if (!(s.end > s.start) || !Number.isFinite(s.kw) || s.kw < 0) continue; // bad readings never shape the profile
    const f = cache.fields(s.start);
    const slot = Math.floor(f.minuteOfDay / slotMinutes);
    const key = `${f.localMidnight}:${slot}`;
    let a = acc.get(key);
    if (!a) {
      a = { v: { day: f.localMidnight, weekday: f.weekday, slot, mid: s.start, kw: 0 }, kwMs: 0, ms: 0 };
      acc.set(key, a);
    }
    const ms = s.end - s.start;
    a.kwMs += s.kw * ms;
    a.ms += ms;
  }
  const out: SlotValue[] = [];
  for (const { v, kwMs, ms } of acc.values()) {
    v.kw = kwMs / ms;
    v.mid = v.mid + (slotMinutes * 60_000) / 2 - ((v.mid - v.day) % (slotMinutes * 60_000));
    out.push(v);
  }
  return out.sort((a, b) => a.day - b.day || a.slot - b.slot);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Weighted mean after rejecting outliers. The median and MAD are UNweighted on
 * purpose: with recency weights a single recent odd day would otherwise become the
 * "typical" value. A small MAD floor keeps a constant history from rejecting
 * everything that differs by a watt.
 */
export function robustWeightedMean(
  xs: { x: number; w: number }[],
  k = 3,
): { mean: number; weight: number } | undefined {
  if (xs.length === 0) return undefined;
  let kept = xs;
  if (xs.length >= 4) {
    const values = xs.map((p) => p.x);
    const med = median(values);
    const mad = Math.max(median(values.map((x) => Math.abs(x - med))), 0.05 * Math.abs(med), 0.01);
    kept = xs.filter((p) => Math.abs(p.x - med) <= k * 1.4826 * mad);
  }
  const weight = kept.reduce((s, p) => s + p.w, 0);
  if (weight <= 0) return undefined;
  return { mean: kept.reduce((s, p) => s + p.x * p.w, 0) / weight, weight };
}

interface TempFit {
  cool: number;
  heat: number;
  coolMean: number;
  heatMean: number;
  coolingBaseC: number;
  heatingBaseC: number;
}

export class LoadProfileModel {
  private constructor(
    private readonly cache: LocalTimeCache,
    private readonly slotMinutes: number,
    /** [weekday][slot] → kW */
    private readonly profile: (number | undefined)[][],
    readonly historyDays: number,
    private readonly temp: TempFit | undefined,
  ) {}

  static fromSamples(
    samples: readonly LoadSample[],
    asOf: number,
    opts: LoadModelOptions,
    temperatures: readonly TemperaturePoint[] = [],
  ): LoadProfileModel {
    return LoadProfileModel.fit(bucketLoad(samples, opts.timeZone, opts.slotMinutes ?? 30), asOf, opts, temperatures);
  }

  /** Fit on pre-bucketed history (the backtest buckets a year once and fits every day). */
  static fit(
    buckets: readonly SlotValue[],
    asOf: number,
    opts: LoadModelOptions,
    temperatures: readonly TemperaturePoint[] = [],
  ): LoadProfileModel {
    const slotMinutes = opts.slotMinutes ?? 30;
    const slots = Math.ceil(1440 / slotMinutes);
    const historyDays = opts.historyDays ?? 28;
    const halfLife = opts.halfLifeDays ?? 7;
    const k = opts.outlierK ?? 3;
    const prior = opts.dayOfWeekPrior ?? 2;
    const from = asOf - historyDays * DAY;

    const byDow: { x: number; w: number }[][][] = Array.from({ length: 7 }, () =>
      Array.from({ length: slots }, () => []),
    );
    const days = new Set<number>();
    const used: SlotValue[] = [];
    for (const b of buckets) {
      if (b.mid < from || b.mid >= asOf) continue;
      const w = 0.5 ** ((asOf - b.day) / DAY / halfLife);
      byDow[b.weekday]![b.slot]!.push({ x: b.kw, w });
      days.add(b.day);
      used.push(b);
    }
    const isWeekend = (d: number) => d === 0 || d === 6;
    const profile: (number | undefined)[][] = Array.from({ length: 7 }, () => Array<number | undefined>(slots));
    for (let s = 0; s < slots; s++) {
      const all = robustWeightedMean(
        byDow.flatMap((d) => d[s]!),
        k,
      );
      const group = [false, true].map((weekend) =>
        robustWeightedMean(
          byDow.filter((_, d) => isWeekend(d) === weekend).flatMap((d) => d[s]!),
          k,
        ),
      );
      for (let d = 0; d < 7; d++) {
        const own = robustWeightedMean(byDow[d]![s]!, k);
        const base = group[isWeekend(d) ? 1 : 0] ?? all;
        if (own && base) profile[d]![s] = (own.mean * own.weight + base.mean * prior) / (own.weight + prior);
        else profile[d]![s] = own?.mean ?? base?.mean;
      }
    }
    const smoothing = opts.smoothing ?? 0.25;
    const smoothed = smoothing > 0 ? profile.map((row) => smoothRow(row, smoothing)) : profile;
    const cache = new LocalTimeCache(opts.timeZone);
    const model = new LoadProfileModel(cache, slotMinutes, smoothed, days.size, undefined);
    if (!opts.temperature || temperatures.length === 0) return model;
    const temp = fitTemperature(model, used, temperatures, opts.temperature, asOf, halfLife);
    return new LoadProfileModel(cache, slotMinutes, smoothed, days.size, temp);
  }

  /** Profile load (kW) at instant `t`, adjusted for `tempC` when a temperature term was fitted. */
  predictKw(t: number, tempC?: number): number | undefined {
    const f = this.cache.fields(t);
    const base = this.profile[f.weekday]?.[Math.floor(f.minuteOfDay / this.slotMinutes)];
    if (base === undefined) return undefined;
    if (!this.temp || tempC === undefined) return base;
    const tf = this.temp;
    const adj =
      tf.cool * (Math.max(0, tempC - tf.coolingBaseC) - tf.coolMean) +
      tf.heat * (Math.max(0, tf.heatingBaseC - tempC) - tf.heatMean);
    return Math.max(0, base + adj);
  }

  get temperatureCoefficients(): { coolingKwPerC: number; heatingKwPerC: number } | undefined {
    return this.temp ? { coolingKwPerC: this.temp.cool, heatingKwPerC: this.temp.heat } : undefined;
  }
}

function smoothRow(row: (number | undefined)[], a: number): (number | undefined)[] {
  const n = row.length;
  return row.map((v, i) => {
    if (v === undefined) return undefined;
    const l = row[(i - 1 + n) % n];
    const r = row[(i + 1) % n];
    let sum = v;
    let w = 1;
    if (l !== undefined) {
      sum += a * l;
      w += a;
    }
    if (r !== undefined) {
      sum += a * r;
      w += a;
    }
    return sum / w;
  });
}

/** Temperature at instant t from hourly points (nearest covering point). */
export function temperatureAt(points: readonly TemperaturePoint[], t: number): number | undefined {
  let lo = 0;
  let hi = points.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = points[mid]!;
    if (t < p.start) hi = mid - 1;
    else if (t >= p.end) lo = mid + 1;
    else return p.celsius;
  }
  return undefined;
}

/**
 * Least squares of the profile residual on centred cooling/heating degrees (two
 * coefficients, both ≥ 0: more heating or cooling never lowers the load).
 */
function fitTemperature(
  model: LoadProfileModel,
  used: readonly SlotValue[],
  temps: readonly TemperaturePoint[],
  cfg: NonNullable<LoadModelOptions['temperature']>,
  asOf: number,
  halfLife: number,
): TempFit | undefined {
  const coolingBaseC = cfg.coolingBaseC ?? 22;
  const heatingBaseC = cfg.heatingBaseC ?? 16;
  const sorted = [...temps].sort((a, b) => a.start - b.start);
  const rows: { r: number; c: number; h: number; w: number }[] = [];
  for (const b of used) {
    const t = temperatureAt(sorted, b.mid);
    const p = model.predictKw(b.mid);
    if (t === undefined || p === undefined) continue;
    rows.push({
      r: b.kw - p,
      c: Math.max(0, t - coolingBaseC),
      h: Math.max(0, heatingBaseC - t),
      w: 0.5 ** ((asOf - b.day) / DAY / halfLife),
    });
  }
  if (rows.length < 48) return undefined;
  const W = rows.reduce((s, x) => s + x.w, 0);
  const coolMean = rows.reduce((s, x) => s + x.w * x.c, 0) / W;
  const heatMean = rows.reduce((s, x) => s + x.w * x.h, 0) / W;
  let scc = 0;
  let shh = 0;
  let sch = 0;
  let scr = 0;
  let shr = 0;
  for (const x of rows) {
    const c = x.c - coolMean;
    const h = x.h - heatMean;
    scc += x.w * c * c;
    shh += x.w * h * h;
    sch += x.w * c * h;
    scr += x.w * c * x.r;
    shr += x.w * h * x.r;
  }
  const det = scc * shh - sch * sch;
  let cool = 0;
  let heat = 0;
  if (Math.abs(det) > 1e-9) {
    cool = (scr * shh - shr * sch) / det;
    heat = (shr * scc - scr * sch) / det;
  } else {
    cool = scc > 0 ? scr / scc : 0;
    heat = shh > 0 ? shr / shh : 0;
  }
  return { cool: Math.max(0, cool), heat: Math.max(0, heat), coolMean, heatMean, coolingBaseC, heatingBaseC };
}
