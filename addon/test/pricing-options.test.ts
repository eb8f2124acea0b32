import { builtInDrivers } from '../src/drivers';
import { OptionsError, parseOptions } from '../src/options';
import { HaStatisticsLoadHistory } from '../src/pricing/load-history';

const parse = (options: Record<string, unknown>) => parseOptions(options, builtInDrivers);
const errorOf = (options: Record<string, unknown>): string => {
  try {
    parse(options);
  } catch (err) {
    if (err instanceof OptionsError) return err.message;
    throw err;
  }
  throw new Error('accepted');
};

describe('tariff and forecast options', () => {
  it('no tariff and no forecast: nothing runs', () => {
    const config = parse({});
    expect(config.tariff).toBeUndefined();
    expect(config.forecast).toEqual({ solar: { source: 'none' }, load: { source: 'none' } });
  });

  it('translates a compact time-of-use tariff into the tariffs package config', () => {
    const config = parse({
      tariff: {
        provider: 'tou',
        currency: 'AUD',
        time_zone: 'Australia/Sydney',
        periods:
          'peak weekdays 15:00-21:00 0.45/0.05 seasons=summer; offpeak all 21:00-07:00 0.15\nshoulder mon,sat 07:00-15:00 0.25',
        seasons: 'summer 12-01..02-28',
        holidays: '2026-12-25, 2026-12-26',
        import_rate: 0.3,
      },
    });
    expect(config.tariff).toMatchObject({
      provider: 'tou',
      currency: 'AUD',
      timeZone: 'Australia/Sydney',
      defaultImport: 0.3,
      holidays: ['2026-12-25', '2026-12-26'],
      seasons: [{ name: 'summer', from: 1201, to: 228 }],
      periods: [
        { name: 'peak', days: 'weekdays', start: 900, end: 1260, import: 0.45, export: 0.05, seasons: ['summer'] },
        { name: 'offpeak', days: 'all', start: 1260, end: 420, import: 0.15 },
        { name: 'shoulder', days: ['mon', 'sat'], start: 420, end: 900, import: 0.25 },
      ],
    });
    // With a tariff, the load forecast runs by default.
    expect(config.forecast.load).toMatchObject({ source: 'store' });
  });

  it('accepts periods as JSON too', () => {
    const config = parse({
      tariff: {
        provider: 'tou',
        time_zone: 'UTC',
        periods: '[{"name":"day","days":"all","start":"07:00","end":"23:00","import":0.3}]',
      },
    });
    expect(config.tariff).toMatchObject({ periods: [{ name: 'day', start: 420, end: 1380, import: 0.3 }] });
  });

  it('maps Amber, Octopus and AEMO fields and forecast fields', () => {
    expect(
      parse({ tariff: { provider: 'amber', api_token: 't', site_id: 's', poll_interval_s: 90 } }).tariff,
    ).toMatchObject({ provider: 'amber', token: 't', siteId: 's', pollIntervalMs: 90_000 });
    expect(
      parse({ tariff: { provider: 'octopus', region: 'c', export_product: 'agile-outgoing' } }).tariff,
    ).toMatchObject({
      provider: 'octopus',
      region: 'C',
      product: 'agile',
      exportProduct: 'agile-outgoing',
    });
    const config = parse({
      tariff: { provider: 'aemo', region: 'sa1', spike_threshold: 1000 },
      forecast: {
        solar: 'forecast_solar',
        latitude: -35,
        longitude: 138.6,
        kwp: 5,
        inverter_limit_w: 4600,
        azimuth: 45,
      },
    });
    expect(config.tariff).toMatchObject({ region: 'SA1', spikeThresholdPerMWh: 1000 });
    expect(config.forecast.solar).toEqual({
      source: 'forecast_solar',
      refreshMs: 30 * 60_000,
      latitude: -35,
      longitude: 138.6,
      arrays: [{ declination: 30, azimuth: 45, kwp: 5 }],
      inverterKw: 4.6,
    });
  });

  it('takes the household daily energy for the load forecast (load_daily_kwh)', () => {
    const config = parse({ forecast: { load_daily_kwh: 7.5, time_zone: 'UTC' } });
    expect(config.forecast.load).toMatchObject({ source: 'store', dailyKwh: 7.5, timeZone: 'UTC' });
  });

  it('takes several PV arrays as one line of text', () => {
    const config = parse({
      tariff: { provider: 'flat', import_rate: 0.3 },
      forecast: { solar: 'open_meteo', latitude: 51.5, longitude: -0.1, arrays: '30/0/5.2; 15/-90/3.1' },
    });
    expect(config.forecast.solar).toMatchObject({
      arrays: [
        { declination: 30, azimuth: 0, kwp: 5.2 },
        { declination: 15, azimuth: -90, kwp: 3.1 },
      ],
    });
  });

  it.each([
    [{ tariff: { provider: 'amber', site_id: 's' } }, 'tariff.api_token: is required for provider amber'],
    [{ tariff: { provider: 'octopus', region: 'C', site_id: 's' } }, 'tariff.site_id: is not used by provider octopus'],
    [{ tariff: { region: 'C' } }, 'tariff.region: needs a provider'],
    [{ tariff: { provider: 'octopus', region: 'Q' } }, 'tariff.region: must be a GSP region letter'],
    [{ tariff: { provider: 'aemo', region: 'WA1' } }, 'tariff.region: must be one of NSW1'],
    [{ tariff: { provider: 'tou', time_zone: 'UTC', periods: 'peak all 16:00-19:00' } }, 'tariff.periods: period 1'],
    [
      { tariff: { provider: 'tou', time_zone: 'UTC', periods: 'peak someday 16:00-19:00 0.4' } },
      'tariff.periods: period 1 ("peak someday',
    ],
    [
      { tariff: { provider: 'tou', time_zone: 'Mars/Olympus', periods: 'a all 00:00-24:00 0.4' } },
      'tariff.time_zone: must be an IANA',
    ],
    [{ tariff: { provider: 'flat', time_zone: 'UTC' } }, 'tariff.import_rate: is required for provider flat'],
    [{ tariff: { provider: 'flat', import_rate: 'x' } }, 'tariff.import_rate: expected a number'],
    [{ tariff: { provider: 'flat', import_rate: 0.3, colour: 'red' } }, 'tariff.colour: unknown field'],
    [
      { forecast: { solar: 'open_meteo', longitude: 1, kwp: 2 } },
      'forecast.latitude: is required when solar is open_meteo',
    ],
    [{ forecast: { solar: 'ha', kwp: 2 } }, 'forecast.kwp: is not used when solar is ha'],
    [
      { forecast: { solar: 'open_meteo', latitude: 1, longitude: 1, arrays: '30/0/5; 15/east/2' } },
      'forecast.arrays: array 2 ("15/east/2") is not declination/azimuth/kwp',
    ],
    [
      { forecast: { solar: 'open_meteo', latitude: 1, longitude: 1, arrays: '30/0/5', kwp: 2 } },
      'forecast.kwp: give either arrays or declination/azimuth/kwp',
    ],
    [
      { forecast: { solar: 'forecast_solar', latitude: 1, longitude: 1 } },
      'forecast.kwp: is required when solar is forecast_solar (or give arrays)',
    ],
    [
      { forecast: { solar: 'forecast_solar', latitude: 1, longitude: 1, kwp: 1, solar_refresh_min: 5 } },
      'forecast.solar_refresh_min: must be at least 15',
    ],
    [{ forecast: { load_device: 'Garage' } }, 'forecast.load_device: no configured device is named "Garage"'],
    [{ forecast: { time_zone: 'Nowhere/Land' } }, 'forecast.time_zone: expected an IANA time zone'],
    [{ forecast: { load_daily_kwh: 0 } }, 'forecast.load_daily_kwh:'],
    [{ forecast: { load: 'none', load_daily_kwh: 8 } }, 'forecast.load_daily_kwh: is not used when load is none'],
  ])('%j is refused naming the field', (options, message) => {
    expect(errorOf(options)).toContain(message);
    expect(errorOf(options).startsWith(message.split(':')[0]!)).toBe(true);
  });
});

describe('load history from HA long-term statistics', () => {
  it('asks recorder/statistics_during_period for hourly means in kW and turns them into samples', async () => {
    const sent: Record<string, unknown>[] = [];
    const source = new HaStatisticsLoadHistory(
      () => ({
        sendCommand: <T>(message: Record<string, unknown>) => {
          sent.push(message);
          return Promise.resolve({
            'sensor.house_load': [
              { start: Date.parse('2026-05-01T00:00:00Z'), end: Date.parse('2026-05-01T01:00:00Z'), mean: 0.8 },
              { start: '2026-05-01T01:00:00+00:00', mean: 1.2 },
              { start: Date.parse('2026-05-01T02:00:00Z'), mean: null },
            ],
          } as T);
        },
      }),
      'sensor.house_load',
    );
    const samples = await source.loadHistory(Date.parse('2026-05-01T00:00:00Z'), Date.parse('2026-05-02T00:00:00Z'));
    expect(sent[0]).toMatchObject({
      type: 'recorder/statistics_during_period',
      statistic_ids: ['sensor.house_load'],
      period: 'hour',
      types: ['mean'],
      units: { power: 'kW' },
    });
    expect(samples).toEqual([
      { start: Date.parse('2026-05-01T00:00:00Z'), end: Date.parse('2026-05-01T01:00:00Z'), kw: 0.8 },
      { start: Date.parse('2026-05-01T01:00:00Z'), end: Date.parse('2026-05-01T02:00:00Z'), kw: 1.2 },
    ]);
  });

  it('fails clearly without HA', async () => {
    await expect(new HaStatisticsLoadHistory(() => undefined, 'sensor.x').loadHistory(0, 1)).rejects.toThrow(
      'not connected to Home Assistant',
    );
  });
});
