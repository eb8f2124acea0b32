import { TariffConfigError, createPriceProvider, parseTariffConfig, touRateAt, touScheduleSchema } from '@sps/tariffs';

const H = 3_600_000;

describe('time-of-use and flat tariffs', () => {
  const schedule = touScheduleSchema.parse({
    currency: 'GBP',
    timeZone: 'Europe/London',
    seasons: [
      { name: 'winter', from: '11-01', to: '02-28' },
      { name: 'summer', from: '03-01', to: '10-31' },
    ],
    holidays: ['2025-12-25'],
    periods: [
      { name: 'winter_peak', days: 'weekdays', start: '16:00', end: '19:00', seasons: ['winter'], import: 0.4 },
      { name: 'peak', days: 'weekdays', start: '16:00', end: '19:00', import: 0.35, export: 0.2 },
      { name: 'night', days: 'all', start: '23:30', end: '05:30', import: 0.07 },
      { name: 'weekend', days: ['sat', 'sun'], import: 0.2 },
    ],
    defaultImport: 0.25,
    defaultExport: 0.15,
  });

  it('picks periods by weekday/weekend, local time (wrapping midnight), season and holiday', () => {
    const at = (iso: string) => touRateAt(schedule, Date.parse(iso));
    expect(at('2025-06-10T15:00:00Z')).toMatchObject({ period: 'peak', import: 0.35, export: 0.2 }); // 16:00 BST Tue
    expect(at('2025-06-10T14:59:00Z')).toMatchObject({ period: 'default', import: 0.25, export: 0.15 });
    expect(at('2025-01-14T16:00:00Z')).toMatchObject({ period: 'winter_peak', import: 0.4, export: 0.15 }); // GMT
    expect(at('2025-01-14T23:45:00Z')).toMatchObject({ period: 'night' });
    expect(at('2025-01-15T05:15:00Z')).toMatchObject({ period: 'night' });
    expect(at('2025-01-15T05:30:00Z')).toMatchObject({ period: 'default' });
    expect(at('2025-06-14T15:00:00Z')).toMatchObject({ period: 'weekend' }); // Saturday
    expect(at('2025-12-25T16:30:00Z')).toMatchObject({ period: 'weekend' }); // Thursday, but a holiday
  });

  it('moves the UTC edges of local periods across the UK clock change', async () => {
    const provider = createPriceProvider(parseTariffConfig({ provider: 'tou', ...touInput() }));
    // Friday 28 March 2025 (GMT) and Monday 31 March 2025 (BST): peak 16:00–19:00 local.
    const fri = await provider.fetch(Date.parse('2025-03-28T00:00:00Z'));
    const peakFri = fri.intervals.filter(
      (i) => i.descriptor === 'peak' && i.start < Date.parse('2025-03-29T00:00:00Z'),
    );
    expect(peakFri[0]!.start).toBe(Date.parse('2025-03-28T16:00:00Z'));
    expect(peakFri).toHaveLength(6);
    const mon = await provider.fetch(Date.parse('2025-03-31T00:00:00Z'));
    const peakMon = mon.intervals.filter(
      (i) => i.descriptor === 'peak' && i.start < Date.parse('2025-04-01T00:00:00Z'),
    );
    expect(peakMon[0]!.start).toBe(Date.parse('2025-03-31T15:00:00Z'));
    // The spring-forward Sunday has 46 half-hours, all priced.
    const sun = await provider.fetch(Date.parse('2025-03-30T00:00:00Z'));
    expect(sun.intervals.filter((i) => i.start < Date.parse('2025-03-30T23:00:00Z'))).toHaveLength(46);
  });

  it('leaves slots unpriced (a gap, never a guess) when no period matches and there is no default', async () => {
    const provider = createPriceProvider(
      parseTariffConfig({
        provider: 'tou',
        currency: 'EUR',
        timeZone: 'Europe/Berlin',
        periods: [{ name: 'day', start: '07:00', end: '22:00', import: 0.32 }],
      }),
    );
    const series = await provider.fetch(Date.parse('2025-06-10T00:00:00Z'));
    expect(series.intervals.every((i) => i.descriptor === 'day')).toBe(true);
    expect(series.intervals[0]!.start).toBe(Date.parse('2025-06-10T05:00:00Z')); // 07:00 CEST
    expect(series.intervals).toHaveLength(2 * 30);
  });

  it('flat tariff covers the horizon with one price', async () => {
    const provider = createPriceProvider(
      parseTariffConfig({ provider: 'flat', currency: 'USD', import: 0.18, export: 0.05 }),
    );
    const series = await provider.fetch(Date.parse('2025-06-10T00:10:00Z'));
    expect(series.currency).toBe('USD');
    expect(series.intervals).toHaveLength(97);
    expect(series.intervals[0]).toMatchObject({
      start: Date.parse('2025-06-10T00:00:00Z'),
      import: 0.18,
      export: 0.05,
    });
    expect(series.intervals[96]!.end - series.intervals[0]!.start).toBe(48.5 * H);
  });

  it('names the offending field in configuration errors', () => {
    const bad = (input: unknown) => {
      try {
        parseTariffConfig(input);
      } catch (e) {
        return e;
      }
      throw new Error('expected an error');
    };
    expect(bad({ provider: 'tou', timeZone: 'Mars/Olympus' })).toMatchObject({ field: 'timeZone' });
    expect(
      bad({ provider: 'tou', timeZone: 'UTC', periods: [{ name: 'p', start: '25:00', import: 1 }] }),
    ).toMatchObject({
      field: 'periods.0.start',
    });
    expect(bad({ provider: 'flat' })).toMatchObject({ field: 'import' });
    expect(bad({ provider: 'nope' })).toBeInstanceOf(TariffConfigError);
    expect(bad({ provider: 'amber', token: '', siteId: 'x' })).toMatchObject({ field: 'token' });
    expect(bad({ provider: 'aemo', region: 'WA1' })).toMatchObject({ field: 'region' });
    expect(bad({ provider: 'amber', token: 't', siteId: 's', baseUrl: 'ftp://x' })).toMatchObject({ field: 'baseUrl' });
    expect(bad({ provider: 'globird', region: 'VIC1', tou: { defaultImport: 'cheap' } })).toMatchObject({
      field: 'tou.defaultImport',
    });
  });
});

function touInput() {
  return {
    currency: 'GBP',
    timeZone: 'Europe/London',
    periods: [{ name: 'peak', days: 'weekdays' as const, start: '16:00', end: '19:00', import: 0.35 }],
    defaultImport: 0.25,
  };
}
