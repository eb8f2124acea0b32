/**
 * The seed's daily battery cycle as a price signal, for a household that takes part in demand
 * response but has no tariff configured: the optimiser plans against prices only, so a
 * synthetic time-of-use tariff makes it do what the community station's "normal" mode does
 * (communityvirtualpowerplant/smartPowerStation: discharge from `dischargeTime`, default 16:00,
 * for 4 h; recharge otherwise). Three levels:
 *  - the discharge window is 2.5× the rest, far beyond any round-trip loss, so the plan runs the
 *    load from the battery there;
 *  - the night (00:00–06:00) is 2.5 % cheaper than the day, so recharging prefers the night; the
 *    gap is kept below the loss of a round trip (even 97.5 %), or the plan would also cycle
 *    night energy into the daytime hours, which the seed's cycle does not do.
 *
 * The prices are not money: the currency is "XXX" (ISO 4217's "no currency"), so no figure
 * derived from them can pass for a bill. The seed's SOC band (20–75 %) is not a price: the
 * optimiser's floor is the user's backup reserve and its ceiling the battery's maximum SOC
 * (DAILY_CYCLE_SOC_BAND says what the seed used).
 */
import { z } from 'zod';
import { TariffConfigError, parseTariffConfig, type TariffConfig } from '@sps/tariffs';

/** Synthetic price levels (per kWh of "XXX"): the ratios matter, not the values. */
export const DAILY_CYCLE_PRICES = { discharge: 0.5, day: 0.2, night: 0.195 } as const;
/** The seed's normal-mode band (minSetPoint, maxSetPoint in rules.json). */
export const DAILY_CYCLE_SOC_BAND = { minPct: 20, maxPct: 75 } as const;
/** The cheapest hours: where the plan recharges first. */
const NIGHT = { start: '00:00', end: '06:00' } as const;

export const dailyCycleOptionsSchema = z.object({
  /** Local start of the discharge window (the seed's `dischargeTime`). */
  dischargeFrom: z
    .string()
    .regex(/^([01]\d|2[0-3]):(00|30)$/, 'must be HH:MM on the hour or half hour, e.g. 16:00')
    .default('16:00'),
  /** Length of the discharge window (the seed's 4 h); half hours allowed. */
  hours: z
    .number()
    .min(0.5, 'must be at least 0.5')
    .max(12, 'must be at most 12')
    .refine((h) => Number.isInteger(h * 2), 'must be a whole number of half hours')
    .default(4),
});
export type DailyCycleOptions = z.input<typeof dailyCycleOptionsSchema>;

function hhmm(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * A `tou` tariff config the existing PriceService/optimiser take as is (createPriceProvider).
 * Throws TariffConfigError naming the field for a bad zone or window.
 */
export function dailyCycleTariff(timeZone: string, options: DailyCycleOptions = {}): TariffConfig {
  const parsed = dailyCycleOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new TariffConfigError(`invalid daily cycle: ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const { dischargeFrom, hours } = parsed.data;
  const start = Number(dischargeFrom.slice(0, 2)) * 60 + Number(dischargeFrom.slice(3, 5));
  return parseTariffConfig({
    provider: 'tou',
    currency: 'XXX',
    timeZone,
    slotMinutes: 30,
    horizonHours: 48,
    // First match wins: the discharge window beats the night if a user puts it there.
    periods: [
      {
        name: 'daily_cycle_discharge',
        start: dischargeFrom,
        end: hhmm(start + hours * 60),
        import: DAILY_CYCLE_PRICES.discharge,
      },
      { name: 'daily_cycle_night', start: NIGHT.start, end: NIGHT.end, import: DAILY_CYCLE_PRICES.night },
    ],
    defaultImport: DAILY_CYCLE_PRICES.day,
    defaultExport: 0,
  });
}
