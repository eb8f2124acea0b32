import { ManualClock } from '@sps/core';
import { AemoPriceProvider, PriceService, fetchPricesForCli, TariffConfigError, PriceFetchError } from '@sps/tariffs';
import type { PriceStatus } from '@sps/tariffs';
import type { TestServer } from '../../../tests/support/http-test-server';
import { MIN, MemoryState, json, startServer } from '../../../tests/support/http-test-server';

const nem = (utcMs: number) => new Date(utcMs + 10 * 60 * MIN).toISOString().slice(0, 19);

/** One hour of NSW1 dispatch up to `lastEnd` plus two hours of 30-minute pre-dispatch. */
function aemoReport(lastEnd: number, rrp = 80) {
  const rows = [];
  for (let end = lastEnd - 55 * MIN; end <= lastEnd; end += 5 * MIN) {
    rows.push({ SETTLEMENTDATE: nem(end), REGIONID: 'NSW1', RRP: rrp, PERIODTYPE: 'ACTUAL' });
  }
  for (let end = lastEnd + 10 * MIN; end <= lastEnd + 130 * MIN; end += 30 * MIN) {
    rows.push({ SETTLEMENTDATE: nem(end), REGIONID: 'NSW1', RRP: rrp + 20, PERIODTYPE: 'FORECAST' });
  }
  return { '5MIN': rows };
}

const T0 = Date.parse('2025-01-15T04:20:00Z');

describe('PriceService: polling, last good series, persistence, fallback', () => {
  let server: TestServer;
  let clock: ManualClock;
  let state: MemoryState;
  let service: PriceService;
  const provider = () => new AemoPriceProvider({ region: 'NSW1', baseUrl: server.url, timeoutMs: 300 });

  beforeEach(async () => {
    server = await startServer();
    clock = new ManualClock(T0 - 2 * MIN);
    state = new MemoryState();
  });
  afterEach(async () => {
    service?.stop();
    await server.close();
  });

  it('fetches on start, keeps the last good series through 500s, timeouts, 429s and bad JSON, then falls back', async () => {
    server.handle((_req, res) => json(res, 200, aemoReport(T0)));
    service = new PriceService({ provider: provider(), clock, state, retryBaseMs: 10_000 });
    expect(service.coverage()).toMatchObject({
      covered: false,
      fallback: true,
      reason: 'no price covers now: no prices fetched yet',
    });

    const statuses: PriceStatus[] = [];
    service.on('status', (s) => statuses.push(s));
    service.start();
    await clock.advance(0); // the first poll is due immediately
    await service.refresh(); // joins the poll under way
    expect(statuses[0]).toMatchObject({ lastError: undefined, consecutiveFailures: 0, lastSuccessAt: T0 - 2 * MIN });
    expect(service.coverage()).toMatchObject({ covered: true, fallback: false, horizonEnd: T0 + 130 * MIN });
    expect(service.coverage().current!.import).toBeCloseTo(0.088);
    expect(server.requests).toHaveLength(1);

    const failures: [string, (res: Parameters<Parameters<TestServer['handle']>[0]>[1]) => void, RegExp][] = [
      ['500', (res) => json(res, 500, { error: 'boom' }), /^http: AEMO 5MIN report: HTTP 500/],
      [
        'bad JSON',
        (res) => json(res, 200, '{"5MIN": [ {"SETTLE'),
        /^malformed: AEMO 5MIN report: response is not valid JSON/,
      ],
      ['wrong shape', (res) => json(res, 200, { '5MIN': 'none' }), /^invalid: .*5MIN: /],
      ['timeout', () => undefined, /^timeout: AEMO 5MIN report: no answer within 300 ms/],
    ];
    for (const [name, respond, reason] of failures) {
      server.handle((_req, res) => respond(res));
      const st = await service.refresh();
      expect([name, st.lastError]).toEqual([name, expect.stringMatching(reason)]);
      const cov = service.coverage();
      expect(cov.covered).toBe(true); // the last good series still covers now
      expect(cov.reason).toMatch(/^using prices fetched at 2025-01-15T04:18:00.000Z: /);
      expect(service.lastSeries()!.fetchedAt).toBe(T0 - 2 * MIN);
    }
    expect(service.status().consecutiveFailures).toBe(4);
    // Exponential backoff: 10 s × 2^3.
    expect(service.status().nextPollAt).toBe(clock.now() + 80_000);

    server.handle((_req, res) => json(res, 429, { message: 'slow down' }, { 'Retry-After': '600' }));
    await service.refresh();
    expect(service.status().nextPollAt).toBe(clock.now() + 600_000);

    // Once the series runs out and the provider still fails, the scheduler is told to fall back.
    clock.set(T0 + 131 * MIN);
    const cov = service.coverage();
    expect(cov).toMatchObject({ covered: false, fallback: true });
    expect(cov.reason).toMatch(/^no price covers now: rate limited: .*HTTP 429/);
  });

  it('survives a restart through the store, ignores a corrupted or foreign entry', async () => {
    server.handle((_req, res) => json(res, 200, aemoReport(T0)));
    service = new PriceService({ provider: provider(), clock, state });
    await service.refresh();
    service.stop();

    server.handle((_req, res) => json(res, 503, {}));
    const restarted = new PriceService({ provider: provider(), clock, state });
    expect(restarted.coverage()).toMatchObject({ covered: true });
    await restarted.refresh();
    expect(restarted.coverage()).toMatchObject({ covered: true, reason: expect.stringMatching(/HTTP 503/) });
    expect(restarted.upcoming()[0]!.start).toBeLessThanOrEqual(clock.now());

    state.putState('tariffs', 'aemo:NSW1', { provider: 'aemo', intervals: 'garbage' });
    const corrupted = new PriceService({ provider: provider(), clock, state });
    expect(corrupted.coverage()).toMatchObject({ covered: false, fallback: true });

    // Another region's prices are stored under another key and never used.
    const vic = new PriceService({
      provider: new AemoPriceProvider({ region: 'VIC1', baseUrl: server.url }),
      clock,
      state,
    });
    expect(vic.lastSeries()).toBeUndefined();
  });

  it('schedules the next poll from the provider hint and keeps polling with the clock', async () => {
    let n = 0;
    server.handle((_req, res) => {
      n++;
      json(res, 200, aemoReport(T0, 80 + n));
    });
    service = new PriceService({
      provider: new AemoPriceProvider({ region: 'NSW1', baseUrl: server.url, pollIntervalMs: 60_000 }),
      clock,
    });
    const seen: number[] = [];
    service.on('series', (s) => seen.push(s.fetchedAt));
    service.start();
    await clock.advance(0);
    await service.refresh();
    expect(service.status().nextPollAt).toBe(clock.now() + 60_000);
    await clock.advance(60_000);
    await service.refresh();
    expect(seen).toEqual([T0 - 2 * MIN, T0 - MIN]);
    service.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('fetchPricesForCli', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer((_req, res) => json(res, 200, aemoReport(T0, 120)));
  });
  afterEach(() => server.close());

  it('prints the normalised series with ISO Z timestamps', async () => {
    const out = await fetchPricesForCli({ provider: 'aemo', region: 'nsw1', baseUrl: server.url, now: T0 - 2 * MIN });
    expect(out.provider).toBe('aemo');
    expect(out.currency).toBe('AUD');
    expect(out.intervals[0]).toEqual({
      start: '2025-01-15T03:20:00.000Z',
      end: '2025-01-15T03:25:00.000Z',
      import: 0.132,
      export: 0.12,
      kind: 'actual',
      spike: 'none',
    });
    expect(out.intervals.at(-1)).toMatchObject({ kind: 'forecast', end: '2025-01-15T06:30:00.000Z' });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('gives a clear error naming the bad flag, and a clear fetch error', async () => {
    await expect(fetchPricesForCli({ provider: 'octopus', region: 'Z' })).rejects.toThrow(TariffConfigError);
    await expect(fetchPricesForCli({ provider: 'octopus', region: 'Z' })).rejects.toThrow(
      /region: must be a GSP region/,
    );
    await expect(fetchPricesForCli({ provider: 'amber', site: 'S' })).rejects.toThrow(/token/);
    server.handle((_req, res) => json(res, 502, {}));
    await expect(fetchPricesForCli({ provider: 'aemo', region: 'SA1', baseUrl: server.url })).rejects.toThrow(
      PriceFetchError,
    );
  });
});
