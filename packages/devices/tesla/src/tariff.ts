import { localParts } from '@sps/core';
import { z } from 'zod';

/**
 * Tariff sync: a battery plan becomes a Tesla time-of-use tariff (`tariff_content_v2`), uploaded
 * with `POST time_of_use_settings`, so the Powerwall's own time-based control (operation
 * `autonomous`) follows the plan. The shape is the one documented in device-protocols.md §6.2
 * (python-tesla-fleet-api `tests/fixtures/tariff_*_v2.json`): one season covering the year, 48
 * half-hour periods named `PERIOD_HH_MM` (site-local start) on every day of the week, buy prices in
 * `energy_charges`, sell prices in `sell_tariff.energy_charges`, zero-valued period fields left out.
 */

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const TouPeriod = z.strictObject({
  fromDayOfWeek: int(0, 6).optional(),
  toDayOfWeek: int(0, 6).optional(),
  fromHour: int(0, 24).optional(),
  fromMinute: int(0, 59).optional(),
  toHour: int(0, 24).optional(),
  toMinute: int(0, 59).optional(),
});
export type TouPeriod = z.infer<typeof TouPeriod>;

const PERIOD_NAME = /^[A-Z0-9_]{1,40}$/;
const price = z.number().finite().min(-100).max(100);
const Rates = z.union([z.strictObject({ rates: z.record(z.string().regex(PERIOD_NAME), price) }), z.strictObject({})]);
const Season = z.union([
  z.strictObject({
    fromDay: int(1, 31),
    toDay: int(1, 31),
    fromMonth: int(1, 12),
    toMonth: int(1, 12),
    tou_periods: z.record(z.string().regex(PERIOD_NAME), z.strictObject({ periods: z.array(TouPeriod).min(1) })),
  }),
  z.strictObject({}),
]);
const Charges = z.record(z.string().min(1).max(40), Rates);

const TariffBase = z.looseObject({
  code: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  utility: z.string().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected a 3-letter currency code'),
  version: z.number().int().min(1),
  daily_charges: z.array(z.looseObject({ name: z.string() })),
  demand_charges: Charges,
  energy_charges: Charges,
  seasons: z.record(z.string().min(1).max(40), Season),
  sell_tariff: z.looseObject({ name: z.string().min(1), energy_charges: Charges }),
});

/**
 * `tariff_content_v2` with the cross-checks Tesla's own app relies on: every priced period exists
 * in its season and every season period is priced (buy and sell), and within a season each
 * minute of each weekday belongs to exactly one period.
 */
export const TariffContentV2 = TariffBase.superRefine((tariff, ctx) => {
  for (const [seasonName, season] of Object.entries(tariff.seasons)) {
    if (!('tou_periods' in season)) continue;
    const periods = Object.keys(season.tou_periods);
    for (const [where, charges] of [
      ['energy_charges', tariff.energy_charges],
      ['sell_tariff.energy_charges', tariff.sell_tariff.energy_charges],
    ] as const) {
      const rates = charges[seasonName];
      const priced = rates && 'rates' in rates ? rates.rates : {};
      for (const p of periods) {
        if (!(p in priced))
          ctx.addIssue({ code: 'custom', path: [where, seasonName, 'rates', p], message: 'period has no price' });
      }
      for (const p of Object.keys(priced)) {
        if (!periods.includes(p)) {
          ctx.addIssue({
            code: 'custom',
            path: [where, seasonName, 'rates', p],
            message: 'no such period in the season',
          });
        }
      }
    }
    const owner = new Map<number, string>();
    for (const [name, { periods: spans }] of Object.entries(season.tou_periods)) {
      spans.forEach((span, i) => {
        for (const minute of minutesOf(span)) {
          const other = owner.get(minute);
          if (other !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['seasons', seasonName, 'tou_periods', name, 'periods', i],
              message: `overlaps ${other}`,
            });
            return;
          }
          owner.set(minute, name);
        }
      });
    }
    if (owner.size !== 7 * 24 * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['seasons', seasonName, 'tou_periods'],
        message: `periods cover ${owner.size} of the week's ${7 * 24 * 60} minutes`,
      });
    }
  }
});
export type TariffContentV2 = z.infer<typeof TariffBase>;

/** The upload body of `POST time_of_use_settings`. */
export const TouSettingsBody = z.strictObject({ tou_settings: z.strictObject({ tariff_content_v2: TariffContentV2 }) });
export type TouSettingsBody = z.infer<typeof TouSettingsBody>;

/** Minutes of the week (0 = Sunday 00:00) a period covers; a toHour:toMinute of 0:00 or 24:00 means midnight. */
function minutesOf(span: TouPeriod): number[] {
  const fromDay = span.fromDayOfWeek ?? 0;
  const toDay = span.toDayOfWeek ?? 0;
  const from = (span.fromHour ?? 0) * 60 + (span.fromMinute ?? 0);
  let to = (span.toHour ?? 0) * 60 + (span.toMinute ?? 0);
  if (to === 0) to = 24 * 60;
  const out: number[] = [];
  for (let day = fromDay; day <= toDay; day++) {
    // A span that crosses midnight (from > to) runs to the end of the day and on from its start.
    if (from < to) for (let m = from; m < to; m++) out.push(day * 1440 + m);
    else {
      for (let m = from; m < 1440; m++) out.push(day * 1440 + m);
      for (let m = 0; m < to; m++) out.push(day * 1440 + m);
    }
  }
  return out;
}

/** The plan fields tariff sync reads: a scheduler `Plan` fits (structurally) without a dependency on it. */
export interface TariffPlanInterval {
  /** UTC ISO start. */
  readonly start: string;
  readonly action: 'CHARGE' | 'EXPORT' | 'IDLE' | 'SELF_CONSUMPTION';
  /** Currency per kWh. */
  readonly import_price: number;
  readonly export_price: number;
}
export interface TariffPlan {
  readonly currency: string;
  readonly interval_minutes: number;
  readonly intervals: readonly TariffPlanInterval[];
}

export interface TariffOptions {
  /** Now, ms since the epoch: the tariff's day starts at the half-hour slot holding it. */
  readonly now: number;
  /** The site's time zone (its periods are local wall-clock times). */
  readonly timeZone: string;
  readonly name?: string;
}

const SLOT_MS = 30 * 60_000;
const SEASON = 'Summer';

interface Slot {
  readonly index: number;
  readonly buy: number;
  readonly sell: number;
}

const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/**
 * The plan → a tariff whose prices make Tesla's time-based control do what the plan says:
 * - CHARGE half-hours cost nothing to buy (the cheapest of the day, so the Powerwall charges from
 *   the grid), and sell for nothing;
 * - EXPORT half-hours buy and sell above every other price of the day (so it discharges and exports);
 * - SELF_CONSUMPTION and IDLE keep the plan's own prices.
 * Prices are never negative and sell never exceeds buy within a period (Tesla refuses such
 * tariffs, as far as the public sources say; our choice is to stay inside). The plan covers 48 h
 * but a Tesla tariff repeats every day, so the next 24 h are folded onto one day: each local
 * half-hour takes the plan at its next occurrence; a half-hour past the plan's end takes the
 * plan's median buy price, self-consumption style. Re-uploading as the plan moves keeps it current.
 */
export function planToTariff(plan: TariffPlan, options: TariffOptions): TariffContentV2 {
  const intervalMs = plan.interval_minutes * 60_000;
  const intervals = plan.intervals.map((i) => ({ ...i, startMs: Date.parse(i.start) }));
  const buys = intervals.map((i) => i.import_price).sort((a, b) => a - b);
  const medianBuy = buys.length === 0 ? 0 : (buys[Math.floor(buys.length / 2)] ?? 0);
  const top = Math.max(0, ...intervals.map((i) => Math.max(i.import_price, i.export_price)));
  const high = round4(top + Math.max(0.1, top * 0.5));
  const slots = new Map<number, Slot>();
  for (let k = 0; k < 48; k++) {
    const at = options.now + k * SLOT_MS;
    const p = localParts(at, options.timeZone);
    const intoSlotMs = ((p.minute % 30) * 60 + p.second) * 1000 + (at % 1000);
    const slotStart = at - intoSlotMs;
    const index = p.hour * 2 + (p.minute >= 30 ? 1 : 0);
    if (slots.has(index)) continue; // DST fall-back: the first occurrence wins
    const weights = new Map<TariffPlanInterval['action'], number>();
    let buy = 0;
    let sell = 0;
    let covered = 0;
    for (const i of intervals) {
      const overlap = Math.min(i.startMs + intervalMs, slotStart + SLOT_MS) - Math.max(i.startMs, slotStart);
      if (!(overlap > 0)) continue;
      covered += overlap;
      buy += i.import_price * overlap;
      sell += i.export_price * overlap;
      weights.set(i.action, (weights.get(i.action) ?? 0) + overlap);
    }
    let action: TariffPlanInterval['action'] = 'SELF_CONSUMPTION';
    let best = 0;
    for (const [a, w] of weights) {
      if (w > best) [action, best] = [a, w];
    }
    buy = covered > 0 ? buy / covered : medianBuy;
    sell = covered > 0 ? sell / covered : 0;
    switch (action) {
      case 'CHARGE':
        [buy, sell] = [0, 0];
        break;
      case 'EXPORT':
        [buy, sell] = [high, high];
        break;
      default:
        buy = Math.max(0, buy);
        sell = Math.min(Math.max(0, sell), buy);
    }
    slots.set(index, { index, buy: round4(buy), sell: round4(sell) });
  }
  // A DST spring-forward day skips a local half-hour; it still needs a price.
  for (let index = 0; index < 48; index++) {
    if (!slots.has(index)) slots.set(index, { index, buy: round4(Math.max(0, medianBuy)), sell: 0 });
  }
  return tariffFromSlots(
    [...slots.values()].sort((a, b) => a.index - b.index),
    plan.currency,
    options.name,
  );
}

/**
 * The tariff of a forced mode: from now until `untilMs` (at most 24 h) the half-hours are cheap to
 * buy (charge) or dear to sell (discharge); outside it a flat price, so nothing else is attractive.
 */
export function forcedTariff(
  kind: 'charge' | 'discharge',
  options: TariffOptions & { readonly untilMs?: number; readonly currency: string },
): TariffContentV2 {
  const end = Math.min(options.untilMs ?? options.now + 24 * 3_600_000, options.now + 24 * 3_600_000);
  const intervals: TariffPlanInterval[] = [];
  for (let t = options.now - (options.now % SLOT_MS); t < options.now + 24 * 3_600_000; t += SLOT_MS) {
    const inside = t < end;
    intervals.push({
      start: new Date(t).toISOString(),
      action: inside ? (kind === 'charge' ? 'CHARGE' : 'EXPORT') : 'SELF_CONSUMPTION',
      import_price: 0.3,
      export_price: 0,
    });
  }
  return planToTariff(
    { currency: options.currency, interval_minutes: 30, intervals },
    { ...options, name: options.name ?? `Smart Power Station (forced ${kind})` },
  );
}

/** The buy and sell price of the half-hour holding `ms` in the tariff's first season, or null. */
export function pricesAt(tariff: TariffContentV2, ms: number, timeZone: string): { buy: number; sell: number } | null {
  const season = Object.keys(tariff.seasons)[0];
  if (season === undefined) return null;
  const p = localParts(ms, timeZone);
  const period = periodName(p.hour * 2 + (p.minute >= 30 ? 1 : 0));
  const buyRates = tariff.energy_charges[season];
  const sellRates = tariff.sell_tariff.energy_charges[season];
  const buy = buyRates && 'rates' in buyRates ? buyRates.rates[period] : undefined;
  const sell = sellRates && 'rates' in sellRates ? sellRates.rates[period] : undefined;
  return buy === undefined || sell === undefined ? null : { buy, sell };
}

function periodName(index: number): string {
  const hh = String(Math.floor(index / 2)).padStart(2, '0');
  return `PERIOD_${hh}_${index % 2 === 0 ? '00' : '30'}`;
}

/** A half-hour on every day of the week, zero-valued fields left out as Tesla does. */
function periodSpan(index: number): TouPeriod {
  const fromHour = Math.floor(index / 2);
  const fromMinute = index % 2 === 0 ? 0 : 30;
  const toHour = index % 2 === 0 ? fromHour : fromHour + 1;
  const toMinute = index % 2 === 0 ? 30 : 0;
  return {
    toDayOfWeek: 6,
    ...(fromHour === 0 ? {} : { fromHour }),
    ...(fromMinute === 0 ? {} : { fromMinute }),
    ...(toHour === 0 ? {} : { toHour }),
    ...(toMinute === 0 ? {} : { toMinute }),
  };
}

function tariffFromSlots(slots: readonly Slot[], currency: string, name = 'Smart Power Station plan'): TariffContentV2 {
  const buy: Record<string, number> = {};
  const sell: Record<string, number> = {};
  const periods: Record<string, { periods: TouPeriod[] }> = {};
  for (const slot of slots) {
    const period = periodName(slot.index);
    buy[period] = slot.buy;
    sell[period] = slot.sell;
    periods[period] = { periods: [periodSpan(slot.index)] };
  }
  const all = { ALL: { rates: { ALL: 0 } } };
  return {
    code: 'SPS:PLAN',
    name,
    utility: 'Smart Power Station',
    currency: currency.toUpperCase(),
    version: 1,
    daily_charges: [{ name: 'Charge' }],
    demand_charges: { ...all, [SEASON]: {} },
    energy_charges: { ...all, [SEASON]: { rates: buy } },
    seasons: { [SEASON]: { fromDay: 1, toDay: 31, fromMonth: 1, toMonth: 12, tou_periods: periods } },
    sell_tariff: { name, energy_charges: { ...all, [SEASON]: { rates: sell } } },
  };
}
