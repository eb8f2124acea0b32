import {
  OctopusPriceProvider,
  TariffConfigError,
  createPriceProvider,
  octopusTariffCode,
  parseTariffConfig,
} from '@sps/tariffs';
import type { PriceSeries } from '@sps/tariffs';
import type { TestServer } from '../../../tests/support/http-test-server';
import { MIN, iso, json, startServer } from '../../../tests/support/http-test-server';

const SLOT = 30 * MIN;

interface Row {
  value_exc_vat: number;
  value_inc_vat: number;
  valid_from: string;
  valid_to: string | null;
  payment_method: string | null;
}

function row(from: number, to: number | null, incVat: number, payment: string | null = null): Row {
  return {
    value_exc_vat: Math.round((incVat / 1.05) * 1000) / 1000,
    value_inc_vat: incVat,
    valid_from: iso(from),
    valid_to: to === null ? null : iso(to),
    payment_method: payment,
  };
}

/** Half-hourly Agile-like rows for [from, to), with a price that varies by slot (some negative). */
function agileRows(from: number, to: number, price = (i: number) => ((i * 7) % 40) - 5): Row[] {
  const rows: Row[] = [];
  for (let t = from, i = 0; t < to; t += SLOT, i++) rows.push(row(t, t + SLOT, price(i)));
  return rows;
}

/**
 * Serves rows the way Octopus does: filtered to the requested period, NEWEST FIRST,
 * paginated with an absolute `next` URL.
 */
function octopusRates(server: TestServer, byTariff: Record<string, Row[]>, pageSize = 100) {
  server.handle((req, res) => {
    const url = new URL(req.url, server.url);
    const m = /\/products\/([^/]+)\/electricity-tariffs\/([^/]+)\/standard-unit-rates\/$/.exec(url.pathname);
    const rows = m ? byTariff[m[2]!] : undefined;
    if (!m || !rows) return json(res, 404, { detail: 'Not found.' });
    const from = Date.parse(url.searchParams.get('period_from')!);
    const to = Date.parse(url.searchParams.get('period_to')!);
    const visible = rows
      .filter((r) => Date.parse(r.valid_from) < to && (r.valid_to === null || Date.parse(r.valid_to) > from))
      .sort((a, b) => Date.parse(b.valid_from) - Date.parse(a.valid_from));
    const page = Number(url.searchParams.get('page') ?? '1');
    const results = visible.slice((page - 1) * pageSize, page * pageSize);
    const nextUrl = new URL(url.toString());
    nextUrl.searchParams.set('page', String(page + 1));
    json(res, 200, {
      count: visible.length,
      next: page * pageSize < visible.length ? nextUrl.toString() : null,
      previous: page > 1 ? 'prev' : null,
      results,
    });
  });
}

function localDay(series: PriceSeries, from: number, to: number) {
  return series.intervals.filter((i) => i.start >= from && i.end <= to);
}

describe('Octopus provider against a local server speaking the Octopus REST API', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('builds tariff codes from product and GSP region', () => {
    expect(octopusTariffCode('agile', 'C')).toBe('E-1R-AGILE-24-10-01-C');
    expect(octopusTariffCode('AGILE-OUTGOING-19-05-13', 'P')).toBe('E-1R-AGILE-OUTGOING-19-05-13-P');
    expect(() => parseTariffConfig({ provider: 'octopus', region: 'I' })).toThrow(TariffConfigError);
    expect(() => parseTariffConfig({ provider: 'octopus', region: 'I' })).toThrow(/region/);
  });

  it('follows pagination, sorts newest-first rows and joins Agile Outgoing export prices', async () => {
    const now = Date.parse('2025-06-10T10:05:00Z');
    const from = Date.parse('2025-06-09T22:00:00Z'); // 23:00 BST
    const importRows = agileRows(from, from + 48 * SLOT);
    const exportRows = agileRows(from, from + 48 * SLOT, (i) => (i % 10) + 1);
    octopusRates(server, { 'E-1R-AGILE-24-10-01-C': importRows, 'E-1R-AGILE-OUTGOING-19-05-13-C': exportRows }, 10);
    const provider = createPriceProvider(
      parseTariffConfig({
        provider: 'octopus',
        product: 'agile',
        region: 'c',
        exportProduct: 'agile-outgoing',
        baseUrl: server.url,
      }),
    );
    const series = await provider.fetch(now);
    // 10:00Z → 22:00Z = 24 slots published; 3 pages of 10 per tariff.
    expect(series.intervals).toHaveLength(24);
    expect(server.requests.filter((r) => r.url.includes('AGILE-24-10-01-C')).length).toBe(3);
    expect(series.intervals[0]).toMatchObject({ start: Date.parse('2025-06-10T10:00:00Z'), kind: 'actual' });
    for (let i = 1; i < series.intervals.length; i++) {
      expect(series.intervals[i]!.start).toBe(series.intervals[i - 1]!.end);
    }
    const slotIndex = 24; // 10:00Z is the 25th slot after 22:00Z
    expect(series.intervals[0]!.import).toBeCloseTo((((slotIndex * 7) % 40) - 5) / 100);
    expect(series.intervals[0]!.export).toBeCloseTo(((slotIndex % 10) + 1) / 100);
    expect(series.intervals.some((i) => i.import < 0)).toBe(true);
    expect(series.currency).toBe('GBP');
  });

  it('splits long time-of-use rows (Go) with an open-ended valid_to into 30-minute slots', async () => {
    const now = Date.parse('2025-01-20T12:10:00Z');
    const d = (s: string) => Date.parse(s);
    const rows = [
      row(d('2025-01-19T05:30:00Z'), d('2025-01-20T00:30:00Z'), 27.5, 'DIRECT_DEBIT'),
      row(d('2025-01-19T05:30:00Z'), d('2025-01-20T00:30:00Z'), 29.0, 'NON_DIRECT_DEBIT'),
      row(d('2025-01-20T00:30:00Z'), d('2025-01-20T05:30:00Z'), 8.5, 'DIRECT_DEBIT'),
      row(d('2025-01-20T05:30:00Z'), d('2025-01-21T00:30:00Z'), 27.5, 'DIRECT_DEBIT'),
      row(d('2025-01-21T00:30:00Z'), d('2025-01-21T05:30:00Z'), 8.5, 'DIRECT_DEBIT'),
      row(d('2025-01-21T05:30:00Z'), null, 28.0, 'DIRECT_DEBIT'), // price change, open-ended
      row(d('2025-01-21T05:30:00Z'), null, 30.0, 'NON_DIRECT_DEBIT'),
    ];
    octopusRates(server, { 'E-1R-GO-VAR-22-10-14-B': rows });
    const provider = new OctopusPriceProvider({ product: 'go', region: 'B', baseUrl: server.url, exportRate: 0.15 });
    const series = await provider.fetch(now);
    expect(series.intervals).toHaveLength(96);
    expect(series.intervals.every((i) => i.end - i.start === SLOT && i.export === 0.15)).toBe(true);
    const at = (s: string) => series.intervals.find((i) => i.start === d(s))!.import;
    expect(at('2025-01-20T12:00:00Z')).toBeCloseTo(0.275);
    expect(at('2025-01-21T00:30:00Z')).toBeCloseTo(0.085);
    expect(at('2025-01-21T05:00:00Z')).toBeCloseTo(0.085);
    expect(at('2025-01-22T11:30:00Z')).toBeCloseTo(0.28); // open-ended row up to the horizon

    const ndd = new OctopusPriceProvider({
      product: 'go',
      region: 'B',
      baseUrl: server.url,
      paymentMethod: 'non_direct_debit',
    });
    const s2 = await ndd.fetch(now);
    expect(s2.intervals.find((i) => i.start === d('2025-01-22T11:30:00Z'))!.import).toBeCloseTo(0.3);
  });

  it.each([
    ['spring forward', '2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z', 46],
    ['fall back', '2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z', 50],
  ])(
    'UK clock change (%s): the 23:00–23:00 Agile day from %s to %s has %i half-hours',
    async (_name, fromIso, toIso, expected) => {
      const from = Date.parse(fromIso);
      const to = Date.parse(toIso);
      octopusRates(server, { 'E-1R-AGILE-24-10-01-A': agileRows(from - 4 * SLOT, to + 4 * SLOT) });
      const provider = new OctopusPriceProvider({ region: 'A', baseUrl: server.url });
      const series = await provider.fetch(from);
      expect(localDay(series, from, to)).toHaveLength(expected);
    },
  );

  it('polls often from 16:00 UK until tomorrow’s Agile prices appear, hourly otherwise', () => {
    const provider = new OctopusPriceProvider({ region: 'A' });
    const series = (end: string): PriceSeries => ({
      provider: 'octopus',
      currency: 'GBP',
      fetchedAt: 0,
      intervals: [{ start: Date.parse(end) - SLOT, end: Date.parse(end), import: 0.2, export: 0, kind: 'actual' }],
    });
    // 14:40 BST, today's prices to 23:00 BST: wait for 16:00 BST (80 min) but at most an hour.
    expect(provider.nextPollDelayMs(Date.parse('2025-06-10T13:40:00Z'), series('2025-06-10T22:00:00Z'))).toBe(60 * MIN);
    expect(provider.nextPollDelayMs(Date.parse('2025-06-10T14:40:00Z'), series('2025-06-10T22:00:00Z'))).toBe(20 * MIN);
    // 16:30 BST, tomorrow not yet published: every 5 minutes.
    expect(provider.nextPollDelayMs(Date.parse('2025-06-10T15:30:00Z'), series('2025-06-10T22:00:00Z'))).toBe(5 * MIN);
    // 16:30 BST, tomorrow published (to 23:00 BST tomorrow): back to hourly.
    expect(provider.nextPollDelayMs(Date.parse('2025-06-10T15:30:00Z'), series('2025-06-11T22:00:00Z'))).toBe(60 * MIN);
    // 23:30 GMT in winter with prices to tomorrow 23:00: nothing to wait for.
    expect(provider.nextPollDelayMs(Date.parse('2025-01-10T23:30:00Z'), series('2025-01-11T23:00:00Z'))).toBe(60 * MIN);
  });

  it('drops slots whose export price is not yet known instead of inventing one', async () => {
    const from = Date.parse('2025-06-10T10:00:00Z');
    octopusRates(server, {
      'E-1R-AGILE-24-10-01-C': agileRows(from, from + 10 * SLOT),
      'E-1R-AGILE-OUTGOING-19-05-13-C': agileRows(from, from + 6 * SLOT),
    });
    const provider = new OctopusPriceProvider({ region: 'C', exportProduct: 'agile-outgoing', baseUrl: server.url });
    expect((await provider.fetch(from)).intervals).toHaveLength(6);
  });
});
