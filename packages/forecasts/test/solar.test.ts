import {
  ForecastFetchError,
  ForecastSolarProvider,
  HaSolarForecastProvider,
  OpenMeteoPvProvider,
  SolcastAttributeProvider,
  arrayPowerKw,
  sunPosition,
} from '@sps/forecasts';
import type { HaForecastBridge } from '@sps/forecasts';
import type { TestServer } from '../../../tests/support/http-test-server';
import { json, startServer } from '../../../tests/support/http-test-server';

const MIN = 60_000;
const H = 60 * MIN;

function bridge(solar: unknown, attrs: Record<string, Record<string, unknown>> = {}): HaForecastBridge {
  return {
    solarForecast: () => Promise.resolve(solar),
    entityAttributes: (id) => Promise.resolve(attrs[id]),
  };
}

describe('solar forecast from Home Assistant', () => {
  const T = Date.parse('2025-06-10T00:00:00Z');
  const grid = { from: T, to: T + 24 * H, stepMs: 5 * MIN };

  it('energy/solar_forecast: Wh per hour (keyed by hour start) from every entry → summed kW on the grid', async () => {
    // Two Forecast.Solar entries; local keys with offsets; night hours absent between days.
    const east = {
      '2025-06-10T06:00:00+02:00': 500,
      '2025-06-10T07:00:00+02:00': 1500,
      '2025-06-10T20:00:00+02:00': 0,
    };
    const west = { '2025-06-10T06:00:00+02:00': 100, '2025-06-10T07:00:00+02:00': 300, '2025-06-10T20:00:00+02:00': 0 };
    const provider = new HaSolarForecastProvider(
      bridge({ entry_east: { wh_hours: east }, entry_west: { wh_hours: west } }),
    );
    const f = await provider.forecast(grid);
    const at = (iso: string) => f.points.find((p) => p.start === Date.parse(iso))?.kw;
    expect(at('2025-06-10T04:00:00Z')).toBeCloseTo(0.6);
    expect(at('2025-06-10T05:55:00Z')).toBeCloseTo(1.8);
    expect(at('2025-06-10T12:00:00Z')).toBe(0); // inside the span, no key: zero, not unknown
    expect(at('2025-06-10T03:55:00Z')).toBeUndefined(); // before the data: unknown
    expect(at('2025-06-10T21:00:00Z')).toBeUndefined(); // after the data: unknown

    const onlyEast = await new HaSolarForecastProvider(
      bridge({ entry_east: { wh_hours: east }, entry_west: { wh_hours: west } }),
      ['entry_east'],
    ).forecast(grid);
    expect(onlyEast.points.find((p) => p.start === Date.parse('2025-06-10T04:00:00Z'))!.kw).toBeCloseTo(0.5);
  });

  it('rejects a malformed answer and an empty Energy dashboard with clear errors', async () => {
    await expect(new HaSolarForecastProvider(bridge({ e: { wh_hours: { nope: 5 } } })).forecast(grid)).rejects.toThrow(
      /e\.wh_hours\.nope: /,
    );
    await expect(new HaSolarForecastProvider(bridge({})).forecast(grid)).rejects.toThrow(
      /no solar forecast is configured/,
    );
    const failing: HaForecastBridge = {
      solarForecast: () => Promise.reject(new Error('not connected')),
      entityAttributes: () => Promise.resolve(undefined),
    };
    await expect(new HaSolarForecastProvider(failing).forecast(grid)).rejects.toThrow(ForecastFetchError);
  });

  it('Solcast detailedForecast: 30-minute kW with p10/p90 across the day sensors', async () => {
    const today = [
      { period_start: '2025-06-10T10:00:00+10:00', pv_estimate: 2.0, pv_estimate10: 1.0, pv_estimate90: 2.6 },
      { period_start: '2025-06-10T10:30:00+10:00', pv_estimate: 3.0, pv_estimate10: 2.0, pv_estimate90: 3.4 },
    ];
    const tomorrow = [
      { period_start: '2025-06-11T10:00:00+10:00', pv_estimate: 1.0, pv_estimate10: 0.5, pv_estimate90: 1.5 },
    ];
    const provider = new SolcastAttributeProvider(
      bridge(null, {
        'sensor.solcast_pv_forecast_forecast_today': { detailedForecast: today, friendly_name: 'Forecast today' },
        'sensor.solcast_pv_forecast_forecast_tomorrow': { detailedForecast: tomorrow },
      }),
    );
    const f = await provider.forecast({
      from: Date.parse('2025-06-10T00:00:00Z'),
      to: Date.parse('2025-06-11T01:00:00Z'),
      stepMs: 5 * MIN,
    });
    expect(f.points.find((p) => p.start === Date.parse('2025-06-10T00:25:00Z'))).toMatchObject({
      kw: 2,
      kwP10: 1,
      kwP90: 2.6,
    });
    expect(f.points.find((p) => p.start === Date.parse('2025-06-10T00:30:00Z'))).toMatchObject({
      kw: 3,
      kwP10: 2,
      kwP90: 3.4,
    });
    expect(f.points.find((p) => p.start === Date.parse('2025-06-10T12:00:00Z'))).toMatchObject({
      kw: 0,
      kwP10: 0,
      kwP90: 0,
    });
    expect(f.warnings).toEqual(['sensor.solcast_pv_forecast_forecast_day_3: entity not found']);
  });
});

describe('Forecast.Solar and Open-Meteo against a local server', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('Forecast.Solar estimate/watts per array: interpolated, summed, clipped at the inverter', async () => {
    server.handle((req, res) => {
      const m = /^\/(?:KEY\/)?estimate\/watts\/([-\d.]+)\/([-\d.]+)\/(\d+)\/(-?\d+)\/([\d.]+)\?time=iso8601$/.exec(
        req.url,
      );
      if (!m) return json(res, 400, { message: { code: 400, type: 'error', text: 'bad request' } });
      const kwp = Number(m[5]);
      json(res, 200, {
        result: {
          '2025-06-10T05:13:00+02:00': 0, // sunrise at an odd minute
          '2025-06-10T06:00:00+02:00': 100 * kwp,
          '2025-06-10T12:00:00+02:00': 800 * kwp,
          '2025-06-10T21:47:00+02:00': 0,
        },
        message: {
          code: 0,
          type: 'success',
          text: '',
          info: { latitude: 52.16, longitude: 4.47, place: 'Leiden', timezone: 'Europe/Amsterdam' },
          ratelimit: { period: 3600, limit: 12, remaining: 10 },
        },
      });
    });
    const provider = new ForecastSolarProvider({
      latitude: 52.16,
      longitude: 4.47,
      arrays: [
        { declination: 30, azimuth: -90, kwp: 3 },
        { declination: 30, azimuth: 90, kwp: 2 },
      ],
      inverterKw: 3.6,
      apiKey: 'KEY',
      baseUrl: server.url,
    });
    const f = await provider.forecast({
      from: Date.parse('2025-06-10T03:00:00Z'),
      to: Date.parse('2025-06-10T20:00:00Z'),
      stepMs: 5 * MIN,
    });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/KEY/estimate/watts/52.16/4.47/30/-90/3?time=iso8601',
      '/KEY/estimate/watts/52.16/4.47/30/90/2?time=iso8601',
    ]);
    const at = (iso: string) => f.points.find((p) => p.start === Date.parse(iso))?.kw;
    expect(at('2025-06-10T03:05:00Z')).toBeUndefined(); // before the sunrise sample
    // 04:00–04:05Z: linear from 0.5 kW (5 kWp × 100 W) towards 4 kW at 10:00Z.
    expect(at('2025-06-10T04:00:00Z')).toBeCloseTo(0.5 + (3.5 * 2.5) / 360, 3);
    expect(at('2025-06-10T09:55:00Z')).toBe(3.6); // clipped
  });

  it('Forecast.Solar 429 and malformed bodies are clear errors', async () => {
    const provider = new ForecastSolarProvider({
      latitude: 1,
      longitude: 2,
      arrays: [{ declination: 0, azimuth: 0, kwp: 1 }],
      baseUrl: server.url,
    });
    const grid = { from: 0, to: H, stepMs: 5 * MIN };
    server.handle((_req, res) =>
      json(
        res,
        429,
        {
          message: {
            code: 429,
            type: 'error',
            text: 'Rate limit for API calls reached.',
            ratelimit: { 'retry-at': '2025-06-10T13:00:00+02:00' },
          },
        },
        { 'retry-after': '1200' },
      ),
    );
    await expect(provider.forecast(grid)).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 1_200_000 });
    server.handle((_req, res) => json(res, 200, '<html>'));
    await expect(provider.forecast(grid)).rejects.toMatchObject({ kind: 'malformed' });
  });

  it('Open-Meteo GTI per array: hour-ending means → [t−1h, t), PV model with losses and clipping', async () => {
    server.handle((req, res) => {
      const url = new URL(req.url, server.url);
      const tilt = Number(url.searchParams.get('tilt'));
      json(res, 200, {
        latitude: -33.875,
        longitude: 151.25,
        generationtime_ms: 0.1,
        utc_offset_seconds: 0,
        timezone: 'GMT',
        timezone_abbreviation: 'GMT',
        elevation: 30,
        hourly_units: { time: 'iso8601', global_tilted_irradiance: 'W/m²', temperature_2m: '°C' },
        hourly: {
          time: ['2025-01-15T01:00', '2025-01-15T02:00', '2025-01-15T03:00'],
          global_tilted_irradiance: tilt === 20 ? [500, 1000, null] : [250, 500, 750],
          temperature_2m: [25, 25, 25],
        },
      });
    });
    const arrays = [
      { tilt: 20, azimuth: 180, kwp: 5, lossesPct: 10 },
      { tilt: 10, azimuth: 0, kwp: 2 },
    ];
    const provider = new OpenMeteoPvProvider({
      latitude: -33.875,
      longitude: 151.25,
      arrays,
      inverterKw: 4,
      baseUrl: server.url,
    });
    const f = await provider.forecast({
      from: Date.parse('2025-01-15T00:00:00Z'),
      to: Date.parse('2025-01-15T03:00:00Z'),
      stepMs: 5 * MIN,
    });
    const first = new URL(server.requests[0]!.url, server.url).searchParams;
    expect(first.get('hourly')).toBe('global_tilted_irradiance,temperature_2m');
    expect([first.get('tilt'), first.get('azimuth'), first.get('timezone')]).toEqual(['20', '180', 'GMT']);
    const expected0 = arrayPowerKw(arrays[0]!, 500, 25) + arrayPowerKw(arrays[1]!, 250, 25);
    expect(f.points[0]).toMatchObject({ start: Date.parse('2025-01-15T00:00:00Z') });
    expect(f.points[0]!.kw).toBeCloseTo(expected0);
    expect(arrayPowerKw(arrays[0]!, 500, 25)).toBeLessThan(5 * 0.5 * 0.9); // hot cells lose a little
    expect(f.points.find((p) => p.start === Date.parse('2025-01-15T01:30:00Z'))!.kw).toBe(4); // clipped
    expect(f.points.find((p) => p.start === Date.parse('2025-01-15T02:30:00Z'))).toBeUndefined(); // null → unknown
  });

  it('Open-Meteo components: east and west arrays peak either side of solar noon', async () => {
    const hours = Array.from({ length: 24 }, (_, i) => `2025-06-21T${String(i).padStart(2, '0')}:00`);
    server.handle((_req, res) => {
      const ghi = hours.map((_, i) => Math.max(0, Math.round(900 * Math.sin(((i - 4) / 16) * Math.PI))));
      json(res, 200, {
        utc_offset_seconds: 0,
        hourly: {
          time: hours,
          shortwave_radiation: ghi,
          direct_normal_irradiance: ghi.map((g) => Math.round(g * 0.8)),
          diffuse_radiation: ghi.map((g) => Math.round(g * 0.2)),
          temperature_2m: hours.map(() => 18),
        },
      });
    });
    const base = { latitude: 51.5, longitude: 0, mode: 'components' as const, baseUrl: server.url };
    const grid = { from: Date.parse('2025-06-21T00:00:00Z'), to: Date.parse('2025-06-22T00:00:00Z'), stepMs: 60 * MIN };
    const east = await new OpenMeteoPvProvider({ ...base, arrays: [{ tilt: 35, azimuth: -90, kwp: 4 }] }).forecast(
      grid,
    );
    const west = await new OpenMeteoPvProvider({ ...base, arrays: [{ tilt: 35, azimuth: 90, kwp: 4 }] }).forecast(grid);
    const at = (f: typeof east, h: number) => f.points.find((p) => p.start === grid.from + h * H)!.kw;
    expect(at(east, 8)).toBeGreaterThan(at(west, 8));
    expect(at(west, 15)).toBeGreaterThan(at(east, 15));
    expect(at(east, 1)).toBe(0);
  });

  it('sun position: south at noon in London, north at noon in Sydney', () => {
    const london = sunPosition(Date.parse('2025-06-21T12:02:00Z'), 51.5, 0);
    expect(Math.abs(london.azimuth)).toBeLessThan(3);
    expect(london.zenith).toBeCloseTo(51.5 - 23.44, 0);
    const sydney = sunPosition(Date.parse('2025-06-21T01:55:00Z'), -33.87, 151.21);
    expect(Math.abs(sydney.azimuth)).toBeGreaterThan(175);
    expect(sydney.zenith).toBeCloseTo(33.87 + 23.44, 0);
  });
});
