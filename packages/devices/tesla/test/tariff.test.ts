import { TariffContentV2, TouSettingsBody, forcedTariff, planToTariff, type TariffPlan } from '@sps/device-tesla';

/** Brisbane is UTC+10 all year: 14:00Z is 00:00 local. */
const NOW = Date.parse('2026-06-01T14:10:00Z');
const TZ = 'Australia/Brisbane';

function plan48h(action: (i: number) => 'CHARGE' | 'EXPORT' | 'IDLE' | 'SELF_CONSUMPTION'): TariffPlan {
  const start = Date.parse('2026-06-01T14:05:00Z');
  return {
    currency: 'AUD',
    interval_minutes: 5,
    intervals: Array.from({ length: 576 }, (_, i) => ({
      start: new Date(start + i * 300_000).toISOString(),
      action: action(i),
      import_price: 0.2 + (i % 12) * 0.01,
      export_price: 0.06,
    })),
  };
}

describe('plan → tariff_content_v2', () => {
  it('gives 48 half-hour periods on every weekday, priced buy and sell, valid against the documented shape', () => {
    const tariff = planToTariff(
      plan48h(() => 'SELF_CONSUMPTION'),
      { now: NOW, timeZone: TZ },
    );
    expect(TouSettingsBody.safeParse({ tou_settings: { tariff_content_v2: tariff } }).success).toBe(true);
    const season = tariff.seasons['Summer'];
    expect(season && 'tou_periods' in season ? Object.keys(season.tou_periods) : []).toHaveLength(48);
    expect(tariff).toMatchObject({
      code: 'SPS:PLAN',
      currency: 'AUD',
      version: 1,
      daily_charges: [{ name: 'Charge' }],
      demand_charges: { ALL: { rates: { ALL: 0 } }, Summer: {} },
      energy_charges: { ALL: { rates: { ALL: 0 } } },
      seasons: { Summer: { fromDay: 1, toDay: 31, fromMonth: 1, toMonth: 12 } },
    });
    // Zero-valued fields are left out, as in Tesla's own tariffs; 23:30 runs to 24:00.
    const periods = season && 'tou_periods' in season ? season.tou_periods : {};
    expect(periods['PERIOD_00_00']).toEqual({ periods: [{ toDayOfWeek: 6, toMinute: 30 }] });
    expect(periods['PERIOD_00_30']).toEqual({ periods: [{ toDayOfWeek: 6, fromMinute: 30, toHour: 1 }] });
    expect(periods['PERIOD_23_30']).toEqual({
      periods: [{ toDayOfWeek: 6, fromHour: 23, fromMinute: 30, toHour: 24 }],
    });
  });

  it('makes CHARGE half-hours free to buy and EXPORT half-hours the best paid, in site-local time', () => {
    // First hour of the plan (00:05–01:05 local) charges, 18:00–19:00 local exports.
    const tariff = planToTariff(
      plan48h((i) => (i < 12 ? 'CHARGE' : i >= 216 && i < 228 ? 'EXPORT' : 'SELF_CONSUMPTION')),
      { now: NOW, timeZone: TZ },
    );
    const buy = (tariff.energy_charges['Summer'] as { rates: Record<string, number> }).rates;
    const sell = (tariff.sell_tariff.energy_charges['Summer'] as { rates: Record<string, number> }).rates;
    expect(buy['PERIOD_00_00']).toBe(0);
    expect(buy['PERIOD_00_30']).toBe(0);
    expect(buy['PERIOD_01_30']).toBeGreaterThan(0.2);
    expect(sell['PERIOD_18_00']).toBeGreaterThan(Math.max(...Object.values(buy).filter((_, i) => i < 36)));
    expect(sell['PERIOD_18_00']).toBe(buy['PERIOD_18_00']);
    for (const [period, price] of Object.entries(sell)) {
      expect(price).toBeLessThanOrEqual(buy[period] as number); // never sell above buy
      expect(price).toBeGreaterThanOrEqual(0);
    }
  });

  it('forced tariffs: cheap now for a charge, a high sell price now for a discharge', () => {
    const charge = forcedTariff('charge', { now: NOW, timeZone: TZ, currency: 'AUD', untilMs: NOW + 3_600_000 });
    const buy = (charge.energy_charges['Summer'] as { rates: Record<string, number> }).rates;
    expect([buy['PERIOD_00_00'], buy['PERIOD_00_30'], buy['PERIOD_01_00']]).toEqual([0, 0, 0]);
    expect(buy['PERIOD_02_00']).toBe(0.3);
    const discharge = forcedTariff('discharge', { now: NOW, timeZone: TZ, currency: 'AUD' });
    const sell = (discharge.sell_tariff.energy_charges['Summer'] as { rates: Record<string, number> }).rates;
    expect(sell['PERIOD_00_00']).toBeGreaterThan(0.3);
    expect(TariffContentV2.safeParse(discharge).success).toBe(true);
  });

  it('refuses bodies that break the shape, naming the field', () => {
    const good = planToTariff(
      plan48h(() => 'IDLE'),
      { now: NOW, timeZone: TZ },
    );
    const firstIssue = (tariff: unknown): string => {
      const r = TouSettingsBody.safeParse({ tou_settings: { tariff_content_v2: tariff } });
      if (r.success) return 'valid';
      const issue = r.error.issues[0];
      return `${issue?.path.slice(2).join('.') ?? ''}: ${issue?.message ?? ''}`;
    };
    expect(firstIssue(good)).toBe('valid');
    expect(firstIssue({ ...good, currency: 'aud' })).toBe('currency: expected a 3-letter currency code');
    const buy = { ...(good.energy_charges['Summer'] as { rates: Record<string, number> }).rates };
    delete buy['PERIOD_12_00'];
    expect(firstIssue({ ...good, energy_charges: { ...good.energy_charges, Summer: { rates: buy } } })).toBe(
      'energy_charges.Summer.rates.PERIOD_12_00: period has no price',
    );
    const season = good.seasons['Summer'] as { tou_periods: Record<string, { periods: object[] }> };
    const gap = { ...season, tou_periods: { ...season.tou_periods } };
    delete gap.tou_periods['PERIOD_12_00'];
    const noPrice = { ...good, seasons: { Summer: gap } };
    expect(firstIssue(noPrice)).toMatch(/rates\.PERIOD_12_00: no such period in the season|periods cover/);
    const overlap = {
      ...season,
      tou_periods: { ...season.tou_periods, PERIOD_12_00: { periods: [{ toDayOfWeek: 6, fromHour: 11, toHour: 13 }] } },
    };
    expect(firstIssue({ ...good, seasons: { Summer: overlap } })).toMatch(
      /^seasons\.Summer\.tou_periods\.PERIOD_1[12]_\d\d\.periods\.0: overlaps PERIOD_/,
    );
    expect(firstIssue({ ...good, seasons: { Summer: { ...season, fromMonth: 13 } } })).toMatch(/^seasons\.Summer/);
  });
});
