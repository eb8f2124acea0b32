import { AmberPriceProvider, PriceFetchError, listAmberSites } from '@sps/tariffs';
import type { TestServer } from '../../../tests/support/http-test-server';
import { MIN, iso, json, startServer } from '../../../tests/support/http-test-server';

type Channel = 'general' | 'feedIn' | 'controlledLoad';
type Kind = 'ActualInterval' | 'CurrentInterval' | 'ForecastInterval';

/** An interval in Amber's real shape: startTime = start + 1 s, nemTime = end at +10:00, c/kWh incl. GST. */
function amberRow(type: Kind, channelType: Channel, end: number, perKwh: number, extra: Record<string, unknown> = {}) {
  const nem = new Date(end + 10 * 60 * MIN).toISOString().slice(0, 19) + '+10:00';
  return {
    type,
    date: nem.slice(0, 10),
    duration: 5,
    startTime: iso(end - 5 * MIN + 1000),
    endTime: iso(end),
    nemTime: nem,
    perKwh,
    spotPerKwh: 8.71696,
    renewables: 41.3,
    channelType,
    spikeStatus: 'none',
    descriptor: 'neutral',
    tariffInformation: { period: 'offPeak', season: 'default', demandWindow: false },
    ...(type === 'CurrentInterval' ? { estimate: true, range: null } : {}),
    ...(type === 'ForecastInterval'
      ? { range: null, advancedPrice: { low: perKwh - 2, predicted: perKwh + 1, high: perKwh + 5 } }
      : {}),
    ...extra,
  };
}

const T0 = Date.parse('2025-01-15T02:00:00Z');

describe('Amber provider against a local server speaking the Amber API', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('lists the sites for the config flow with the bearer token', async () => {
    server.handle((_req, res) =>
      json(res, 200, [
        {
          id: '01F5A5CRKMZ5BCX9P1S4V990AM',
          nmi: '3052282872',
          channels: [
            { identifier: 'E1', type: 'general', tariff: 'A100' },
            { identifier: 'B1', type: 'feedIn', tariff: 'A100' },
          ],
          network: 'Jemena',
          status: 'active',
          activeFrom: '2022-01-01',
          intervalLength: 30,
        },
      ]),
    );
    const sites = await listAmberSites({ token: 'psk_abc', baseUrl: server.url });
    expect(sites.map((s) => s.id)).toEqual(['01F5A5CRKMZ5BCX9P1S4V990AM']);
    expect(server.requests[0]!.url).toBe('/sites');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer psk_abc');
  });

  it('normalises general + feed-in channels: exact starts, feed-in sign flipped, spikes, renewables', async () => {
    const rows = [
      // feed-in first and a controlled-load channel: grouping must be by channelType, not index.
      amberRow('ActualInterval', 'feedIn', T0, -6.5),
      amberRow('ActualInterval', 'general', T0, 25.1),
      amberRow('ActualInterval', 'controlledLoad', T0, 15.0),
      amberRow('CurrentInterval', 'general', T0 + 5 * MIN, -3.2, { descriptor: 'extremelyLow' }),
      amberRow('CurrentInterval', 'feedIn', T0 + 5 * MIN, 4.1), // positive feed-in: exporting costs money
      amberRow('ForecastInterval', 'general', T0 + 10 * MIN, 1500.0, { spikeStatus: 'spike', descriptor: 'spike' }),
      amberRow('ForecastInterval', 'feedIn', T0 + 10 * MIN, -1400.0, { spikeStatus: 'spike' }),
      amberRow('ForecastInterval', 'general', T0 + 15 * MIN, 60.0, { spikeStatus: 'potential', renewables: 108.6 }),
      amberRow('ForecastInterval', 'feedIn', T0 + 15 * MIN, -50.0),
    ];
    server.handle((_req, res) => json(res, 200, rows, { 'RateLimit-Remaining': '45', 'RateLimit-Reset': '200' }));
    const provider = new AmberPriceProvider({ token: 't', siteId: 'SITE1', baseUrl: server.url, resolution: 5 });
    const series = await provider.fetch(T0 + 6 * MIN);

    expect(server.requests[0]!.url).toBe('/sites/SITE1/prices/current?next=288&previous=12&resolution=5');
    expect(series.currency).toBe('AUD');
    expect(series.intervals).toHaveLength(4);
    const [a, c, f1, f2] = series.intervals;
    expect(a).toMatchObject({ start: T0 - 5 * MIN, end: T0, kind: 'actual', import: 0.251, export: 0.065 });
    expect(c).toMatchObject({ kind: 'forecast', descriptor: 'extremelyLow' });
    expect(c!.import).toBeCloseTo(-0.032);
    expect(c!.export).toBeCloseTo(-0.041);
    expect(f1).toMatchObject({ spike: 'spike', import: 15, export: 14 });
    expect(f2).toMatchObject({ spike: 'potential', renewables: 108.6 });
  });

  it('uses export 0 for a site without a feed-in channel and honours the advanced forecast price', async () => {
    server.handle((_req, res) =>
      json(res, 200, [
        amberRow('CurrentInterval', 'general', T0, 20, { estimate: false }),
        amberRow('ForecastInterval', 'general', T0 + 5 * MIN, 30),
      ]),
    );
    const provider = new AmberPriceProvider({
      token: 't',
      siteId: 'S',
      baseUrl: server.url,
      forecastPrice: 'advancedPredicted',
    });
    const series = await provider.fetch(T0 - MIN);
    expect(series.intervals.map((i) => [i.kind, i.import, i.export])).toEqual([
      ['actual', 0.2, 0],
      ['forecast', 0.31, 0],
    ]);
  });

  it('polls about once a minute and slows down when the rate-limit budget is spent', async () => {
    const provider = new AmberPriceProvider({ token: 't', siteId: 'S', baseUrl: server.url });
    server.handle((_req, res) =>
      json(res, 200, [amberRow('CurrentInterval', 'general', T0, 20)], {
        'RateLimit-Limit': '50',
        'RateLimit-Remaining': '40',
        'RateLimit-Reset': '100',
        'RateLimit-Policy': '50;w=300',
      }),
    );
    const s = await provider.fetch(T0);
    const d = provider.nextPollDelayMs(T0);
    expect(d).toBeGreaterThanOrEqual(5_000);
    expect(d).toBeLessThanOrEqual(65_000);
    expect((T0 + d) % MIN).toBe(30_000); // at :30 s, after Amber publishes the new 5-minute price
    expect(s.intervals).toHaveLength(1);

    server.handle((_req, res) =>
      json(res, 200, [amberRow('CurrentInterval', 'general', T0, 20)], {
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '240',
      }),
    );
    await provider.fetch(T0);
    expect(provider.nextPollDelayMs(T0)).toBe(242_000);
  });

  it('reports 429 with Retry-After, 401 and malformed JSON as clear errors', async () => {
    const provider = new AmberPriceProvider({ token: 't', siteId: 'S', baseUrl: server.url });
    server.handle((_req, res) => json(res, 429, { message: 'Too many requests' }, { 'Retry-After': '37' }));
    const err = await provider.fetch(T0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PriceFetchError);
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 37_000 });
    expect(provider.nextPollDelayMs(T0)).toBeGreaterThanOrEqual(37_000);

    server.handle((_req, res) => json(res, 401, { message: 'Unauthorized' }));
    await expect(provider.fetch(T0)).rejects.toMatchObject({ kind: 'auth' });

    server.handle((_req, res) => json(res, 200, '[{"type":"ActualInterval",'));
    await expect(provider.fetch(T0)).rejects.toMatchObject({ kind: 'malformed' });

    server.handle((_req, res) => json(res, 200, [{ type: 'ActualInterval', perKwh: 'ten' }]));
    await expect(provider.fetch(T0)).rejects.toThrow(/0\.duration|0\.perKwh/);
  });
});
