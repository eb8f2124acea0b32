import type { LoadModelOptions, LoadSample } from './model.js';
import { LoadProfileModel, bucketLoad } from './model.js';

const DAY = 86_400_000;

export interface LoadBacktestResult {
  /** Days forecast (each a day-ahead forecast from the preceding history only). */
  days: number;
  slots: number;
  /** Mean absolute error of slot-average power, kW. */
  maeKw: number;
  rmseKw: number;
  /** Mean of |forecast − actual| daily energy, kWh. */
  dailyEnergyMaeKwh: number;
  /** dailyEnergyMaeKwh relative to the mean daily energy, %. */
  dailyEnergyErrorPct: number;
  /** Mean signed error, kW (positive = over-forecast). */
  biasKw: number;
  meanDailyKwh: number;
  /** The same scores for "same slot one week earlier", for context. */
  naive: { maeKw: number; dailyEnergyMaeKwh: number };
}

export interface LoadBacktestOptions {
  model: LoadModelOptions;
  /** First and last (exclusive) UTC ms of the evaluation; days start at local midnight. */
  from: number;
  to: number;
}

/**
 * Walk forward day by day: fit on history before local midnight, forecast the whole
 * day, compare with what happened. No information from the forecast day leaks in.
 */
export function backtestLoadModel(samples: readonly LoadSample[], opts: LoadBacktestOptions): LoadBacktestResult {
  const slotMinutes = opts.model.slotMinutes ?? 30;
  const slotHours = slotMinutes / 60;
  const buckets = bucketLoad(samples, opts.model.timeZone, slotMinutes);
  const byDay = new Map<number, typeof buckets>();
  for (const b of buckets) {
    const list = byDay.get(b.day) ?? [];
    list.push(b);
    byDay.set(b.day, list);
  }
  const lookup = new Map(buckets.map((b) => [`${b.day}:${b.slot}`, b.kw]));
  const dayStarts = [...byDay.keys()].filter((d) => d >= opts.from && d < opts.to).sort((a, b) => a - b);

  let absSum = 0;
  let sqSum = 0;
  let biasSum = 0;
  let n = 0;
  let energyAbs = 0;
  let energyActual = 0;
  let naiveAbs = 0;
  let naiveN = 0;
  let naiveEnergyAbs = 0;
  let naiveDays = 0;
  let days = 0;
  for (const day of dayStarts) {
    const model = LoadProfileModel.fit(buckets, day, opts.model);
    if (model.historyDays < 7) continue; // too young to judge
    let fDay = 0;
    let aDay = 0;
    let nDay = 0;
    let naiveDay = 0;
    let naiveComplete = true;
    for (const b of byDay.get(day)!) {
      const f = model.predictKw(b.mid);
      if (f === undefined) continue;
      const e = f - b.kw;
      absSum += Math.abs(e);
      sqSum += e * e;
      biasSum += e;
      n++;
      nDay++;
      fDay += f * slotHours;
      aDay += b.kw * slotHours;
      const lastWeek =
        lookup.get(`${day - 7 * DAY}:${b.slot}`) ??
        lookup.get(`${day - 7 * DAY - 3_600_000}:${b.slot}`) ??
        lookup.get(`${day - 7 * DAY + 3_600_000}:${b.slot}`);
      if (lastWeek === undefined) naiveComplete = false;
      else {
        naiveAbs += Math.abs(lastWeek - b.kw);
        naiveN++;
        naiveDay += lastWeek * slotHours;
      }
    }
    if (nDay === 0) continue;
    days++;
    energyAbs += Math.abs(fDay - aDay);
    energyActual += aDay;
    if (naiveComplete) {
      naiveEnergyAbs += Math.abs(naiveDay - aDay);
      naiveDays++;
    }
  }
  const meanDaily = days ? energyActual / days : 0;
  const dailyEnergyMaeKwh = days ? energyAbs / days : NaN;
  return {
    days,
    slots: n,
    maeKw: n ? absSum / n : NaN,
    rmseKw: n ? Math.sqrt(sqSum / n) : NaN,
    biasKw: n ? biasSum / n : NaN,
    dailyEnergyMaeKwh,
    dailyEnergyErrorPct: meanDaily ? (100 * dailyEnergyMaeKwh) / meanDaily : NaN,
    meanDailyKwh: meanDaily,
    naive: {
      maeKw: naiveN ? naiveAbs / naiveN : NaN,
      dailyEnergyMaeKwh: naiveDays ? naiveEnergyAbs / naiveDays : NaN,
    },
  };
}

/**
 * Ausgrid Solar Home CSV (`<timestamp>,GC,GG` with naive local timestamps at the
 * START of each half-hour and kW averages) → load samples. The source writes 48
 * half-hours on DST-change days too; the repeated/missing local hour is resolved
 * by keeping the first sample for each UTC start.
 */
export function parseAusgridCsv(
  text: string,
  toUtc: (y: number, mo: number, d: number, h: number, mi: number) => number,
): LoadSample[] {
  const out = new Map<number, LoadSample>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::\d{2})?,([-\d.eE]+),/.exec(line);
    if (!m) continue;
    const start = toUtc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!);
    const kw = Number(m[6]);
    if (!Number.isFinite(kw) || out.has(start)) continue;
    out.set(start, { start, end: start + 30 * 60_000, kw });
  }
  return [...out.values()].sort((a, b) => a.start - b.start);
}
