import { ForecastInputError, forecastSolarForCli } from '@sps/forecasts';
import type { TestServer } from '../../../tests/support/http-test-server';
import { json, startServer } from '../../../tests/support/http-test-server';

describe('forecastSolarForCli', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer((_req, res) =>
      json(res, 200, {
        utc_offset_seconds: 0,
        hourly: {
          time: ['2025-06-10T11:00', '2025-06-10T12:00'],
          global_tilted_irradiance: [600, 800],
          temperature_2m: [20, 21],
        },
      }),
    );
  });
  afterEach(() => server.close());

  it('prints kW per 5-minute interval with ISO Z timestamps', async () => {
    const out = await forecastSolarForCli({
      source: 'open-meteo',
      latitude: 51.5,
      longitude: -0.1,
      kwp: 4,
      tilt: 35,
      azimuth: 0,
      hours: 2,
      baseUrl: server.url,
      now: Date.parse('2025-06-10T10:02:00Z'),
    });
    expect(out).toMatchObject({ kind: 'solar', source: 'open_meteo', unit: 'kW', stepMinutes: 5 });
    expect(out.points).toHaveLength(24);
    expect(out.points[0]!.start).toBe('2025-06-10T10:00:00.000Z');
    expect(out.points[0]!.kw).toBeGreaterThan(1.5);
    expect(out.points[0]!.kw).toBeLessThan(2.4);
  });

  it('names the bad field', async () => {
    await expect(forecastSolarForCli({ source: 'open-meteo', latitude: 95, longitude: 0, kwp: 4 })).rejects.toThrow(
      ForecastInputError,
    );
    await expect(forecastSolarForCli({ source: 'open-meteo', latitude: 95, longitude: 0, kwp: 4 })).rejects.toThrow(
      /latitude/,
    );
    await expect(
      forecastSolarForCli({ source: 'pvgis' as 'open-meteo', latitude: 1, longitude: 0, kwp: 4 }),
    ).rejects.toThrow(/source/);
  });
});
