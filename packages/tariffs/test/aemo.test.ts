import {
  AemoPriceProvider,
  FlowPowerPriceProvider,
  createPriceProvider,
  parseNemTime,
  parseTariffConfig,
} from '@sps/tariffs';
import type { TestServer } from '../../../tests/support/http-test-server';
import { MIN, json, startServer } from '../../../tests/support/http-test-server';

/** SETTLEMENTDATE as the visualisation API writes it: interval END, NEM time (UTC+10), no offset. */
function nem(utcMs: number): string {
  return new Date(utcMs + 10 * 60 * MIN).toISOString().slice(0, 19);
}

interface Row {
  SETTLEMENTDATE: string;
  REGIONID: string;
  RRP: number;
  PERIODTYPE: 'ACTUAL' | 'FORECAST';
  TOTALDEMAND: number;
  NETINTERCHANGE: number;
  SCHEDULEDGENERATION: number;
  SEMISCHEDULEDGENERATION: number;
  APCFLAG: number;
}

function row(region: string, endUtc: number, rrp: number, type: 'ACTUAL' | 'FORECAST'): Row {
  return {
    SETTLEMENTDATE: nem(endUtc),
    REGIONID: region,
    RRP: rrp,
    PERIODTYPE: type,
    TOTALDEMAND: 7000,
    NETINTERCHANGE: -200,
    SCHEDULEDGENERATION: 5000,
    SEMISCHEDULEDGENERATION: 1500,
    APCFLAG: 0,
  };
}

/** A report: 5-minute dispatch up to `lastActualEnd`, then 30-minute pre-dispatch, for several regions. */
function report(lastActualEnd: number, rrp: (region: string, end: number, type: string) => number) {
  const rows: Row[] = [];
  for (const region of ['NSW1', 'QLD1', 'SA1', 'TAS1', 'VIC1']) {
    for (let end = lastActualEnd - 47 * 5 * MIN; end <= lastActualEnd; end += 5 * MIN) {
      rows.push(row(region, end, rrp(region, end, 'ACTUAL'), 'ACTUAL'));
    }
    const firstForecastEnd = Math.ceil(lastActualEnd / (30 * MIN)) * 30 * MIN;
    for (let end = firstForecastEnd; end <= firstForecastEnd + 16 * 60 * MIN; end += 30 * MIN) {
      rows.push(row(region, end, rrp(region, end, 'FORECAST'), 'FORECAST'));
    }
  }
  return { '5MIN': rows };
}

describe('AEMO-based providers against a local server speaking the 5MIN report', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('reads interval-ending NEM time (UTC+10, no DST)', () => {
    expect(new Date(parseNemTime('2025-01-15T14:05:00')).toISOString()).toBe('2025-01-15T04:05:00.000Z');
    expect(new Date(parseNemTime('2025/07/15 14:05:00')).toISOString()).toBe('2025-07-15T04:05:00.000Z');
    expect(parseNemTime('yesterday')).toBeNaN();
  });

  it('turns $/MWh ex GST into per-kWh prices, 5-minute actuals then 30-minute forecasts, spikes by threshold', async () => {
    const lastEnd = Date.parse('2025-01-15T04:20:00Z'); // 14:20 NEM, 15:20 in Sydney (AEDT)
    server.handle((req, res) =>
      req.method === 'POST'
        ? json(
            res,
            200,
            report(lastEnd, (region, end, type) => {
              if (region !== 'NSW1') return 55;
              if (type === 'ACTUAL' && end === lastEnd) return 5000; // spike now
              if (type === 'FORECAST' && end === Date.parse('2025-01-15T07:00:00Z')) return 4000;
              if (type === 'FORECAST' && end === Date.parse('2025-01-15T10:00:00Z')) return -120;
              return 100;
            }),
          )
        : json(res, 405, {}),
    );
    const provider = new AemoPriceProvider({ region: 'NSW1', baseUrl: server.url, spikeThresholdPerMWh: 3000 });
    const series = await provider.fetch(lastEnd - 3 * MIN);

    expect(server.requests[0]!.url).toBe('/aemo/apps/api/report/5MIN');
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ timeScale: ['5MIN'] });
    const current = series.intervals.find((i) => i.start <= lastEnd - 3 * MIN && i.end > lastEnd - 3 * MIN)!;
    expect(current).toMatchObject({ start: lastEnd - 5 * MIN, end: lastEnd, kind: 'actual', spike: 'spike' });
    expect(current.import).toBeCloseTo(5.5); // 5000 $/MWh × 1.1 = 5.5 $/kWh
    expect(current.export).toBeCloseTo(5.0);
    const normal = series.intervals.find((i) => i.end === lastEnd - 5 * MIN)!;
    expect(normal.import).toBeCloseTo(0.11);
    // First pre-dispatch half-hour (04:00–04:30Z) is trimmed to what dispatch has not covered yet.
    const next = series.intervals[series.intervals.indexOf(current) + 1]!;
    expect(next).toMatchObject({ start: lastEnd, end: Date.parse('2025-01-15T04:30:00Z'), kind: 'forecast' });
    expect(series.intervals.find((i) => i.end === Date.parse('2025-01-15T07:00:00Z'))).toMatchObject({
      spike: 'potential',
      start: Date.parse('2025-01-15T06:30:00Z'),
    });
    expect(series.intervals.some((i) => i.import < 0 && i.export < 0)).toBe(true); // negative prices kept
    // Only the last hour of dispatch is kept.
    expect(series.intervals[0]!.end).toBeGreaterThan(lastEnd - 3 * MIN - 60 * MIN);
    for (let i = 1; i < series.intervals.length; i++) {
      expect(series.intervals[i]!.start).toBe(series.intervals[i - 1]!.end);
    }
  });

  it('Flow Power: import = base + PEA, export only in Happy Hour in LOCAL time (daylight saving vs NEM time)', async () => {
    // Summer: Sydney is UTC+11, NEM is UTC+10. 17:30 local = 16:30 NEM = 06:30Z.
    const lastEndSummer = Date.parse('2025-01-15T09:00:00Z');
    server.handle((_req, res) =>
      json(
        res,
        200,
        report(lastEndSummer, () => 100),
      ),
    );
    const nsw = new FlowPowerPriceProvider({ region: 'NSW1', baseUrl: server.url, pastMs: 3 * 60 * MIN });
    const summer = await nsw.fetch(lastEndSummer);
    const at = (series: typeof summer, startIso: string) =>
      series.intervals.find((i) => i.start === Date.parse(startIso));
    expect(at(summer, '2025-01-15T06:30:00Z')).toMatchObject({ export: 0.45, descriptor: 'happy_hour' }); // 17:30 AEDT
    expect(at(summer, '2025-01-15T06:25:00Z')!.export).toBe(0); // 17:25 AEDT
    expect(at(summer, '2025-01-15T08:25:00Z')!.export).toBe(0.45); // 19:25 AEDT
    expect(at(summer, '2025-01-15T08:30:00Z')!.export).toBe(0); // 19:30 AEDT
    // 0.34 + 1.1 × (0.10 − 0.08) − 0.017 = 0.345
    expect(at(summer, '2025-01-15T06:30:00Z')!.import).toBeCloseTo(0.345);

    // Queensland has no daylight saving: 17:30 local = 07:30Z all year.
    const qld = new FlowPowerPriceProvider({ region: 'QLD1', baseUrl: server.url, pastMs: 3 * 60 * MIN });
    const q = await qld.fetch(lastEndSummer);
    expect(at(q, '2025-01-15T07:25:00Z')!.export).toBe(0);
    expect(at(q, '2025-01-15T07:30:00Z')!.export).toBe(0.45);

    // Winter in Sydney: local = NEM = UTC+10, so the window is 07:30Z–09:30Z.
    const lastEndWinter = Date.parse('2025-07-15T10:00:00Z');
    server.handle((_req, res) =>
      json(
        res,
        200,
        report(lastEndWinter, () => -500),
      ),
    );
    const winter = await nsw.fetch(lastEndWinter);
    expect(at(winter, '2025-07-15T07:25:00Z')!.export).toBe(0);
    expect(at(winter, '2025-07-15T07:30:00Z')!.export).toBe(0.45);
    // −500 $/MWh: 0.34 + 1.1 × (−0.5 − 0.08) − 0.017 < 0, so the import price is floored at 0.
    expect(at(winter, '2025-07-15T07:30:00Z')!.import).toBe(0);
  });

  it('GloBird: fixed TOU prices with spikes from AEMO ≥ $3000/MWh; AEMO down → prices kept, spike unknown', async () => {
    const lastEnd = Date.parse('2025-01-15T07:05:00Z'); // 18:05 AEDT
    server.handle((_req, res) =>
      json(
        res,
        200,
        report(lastEnd, (region, end) => (region === 'VIC1' && end === lastEnd ? 3500 : 90)),
      ),
    );
    const config = parseTariffConfig({
      provider: 'globird',
      region: 'VIC1',
      baseUrl: server.url,
      spikeExportRate: 1.0,
    });
    const provider = createPriceProvider(config);
    const series = await provider.fetch(lastEnd - 2 * MIN);
    const slot = (isoStart: string) => series.intervals.find((i) => i.start === Date.parse(isoStart))!;
    // 18:00–18:30 AEDT (07:00Z): in the Super Export window and spiking.
    expect(slot('2025-01-15T07:00:00Z')).toMatchObject({ spike: 'spike', export: 1.0, descriptor: 'super_export' });
    expect(slot('2025-01-15T07:30:00Z')).toMatchObject({ spike: 'none', export: 0.1 });
    // 11:00 AEDT next day = 00:00Z: free import window, beyond the pre-dispatch horizon → spike unknown.
    expect(slot('2025-01-16T00:00:00Z')).toMatchObject({ import: 0, descriptor: 'free_import' });
    expect(slot('2025-01-16T00:00:00Z').spike).toBeUndefined();

    server.handle((_req, res) => json(res, 500, { error: 'Internal Server Error' }));
    const degraded = await provider.fetch(lastEnd);
    expect(degraded.intervals.length).toBe(series.intervals.length);
    expect(degraded.intervals.every((i) => i.spike === undefined)).toBe(true);
    expect(degraded.warnings?.[0]).toMatch(/spike status unknown: http: AEMO 5MIN report: HTTP 500/);
  });

  it('rejects a report without the region and a malformed report with clear errors', async () => {
    const provider = new AemoPriceProvider({ region: 'TAS1', baseUrl: server.url });
    server.handle((_req, res) =>
      json(res, 200, { '5MIN': [row('NSW1', Date.parse('2025-01-15T04:00:00Z'), 80, 'ACTUAL')] }),
    );
    await expect(provider.fetch(Date.parse('2025-01-15T04:00:00Z'))).rejects.toThrow(/no rows for region TAS1/);
    server.handle((_req, res) =>
      json(res, 200, { '5MIN': [{ SETTLEMENTDATE: 'soon', REGIONID: 'TAS1', RRP: 1, PERIODTYPE: 'ACTUAL' }] }),
    );
    await expect(provider.fetch(0)).rejects.toThrow(/5MIN\.0\.SETTLEMENTDATE: must be a NEM date-time/);
  });
});
