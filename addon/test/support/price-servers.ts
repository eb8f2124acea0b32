import http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * Local HTTP servers answering in the providers' real formats (shapes as in
 * shared/reference/apis-dr-s2.md §2 Octopus, §3 AEMO): enough for the add-on's wiring tests.
 */

const HALF_HOUR = 30 * 60_000;

export interface PriceServer {
  readonly url: string;
  requests: string[];
  /** Answer every request with this status (e.g. 500) until cleared. */
  failWith: number | undefined;
  close(): Promise<void>;
}

async function serve(handler: (url: URL, body: string, res: http.ServerResponse) => void): Promise<PriceServer> {
  const state: { failWith: number | undefined; requests: string[] } = { failWith: undefined, requests: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      state.requests.push(`${req.method} ${req.url}`);
      if (state.failWith !== undefined) {
        res.writeHead(state.failWith, { 'content-type': 'text/plain' }).end('upstream trouble');
        return;
      }
      handler(new URL(req.url ?? '/', 'http://127.0.0.1'), body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    set requests(v) {
      state.requests = v;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(v) {
      state.failWith = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Octopus standard-unit-rates: half-hour rows (p/kWh inc VAT), newest first, filtered to period_from/to. */
export function octopusServer(priceAt: (slotStart: number) => number): Promise<PriceServer> {
  return serve((url, _body, res) => {
    if (!/\/products\/[^/]+\/electricity-tariffs\/[^/]+\/standard-unit-rates\/$/.test(url.pathname)) {
      return json(res, 404, { detail: 'Not found.' });
    }
    const from = Date.parse(url.searchParams.get('period_from') ?? '');
    const to = Date.parse(url.searchParams.get('period_to') ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to)) return json(res, 400, { detail: 'bad period' });
    const rows = [];
    // Published up to 24 h after the start of the requested period.
    for (let t = Math.floor(from / HALF_HOUR) * HALF_HOUR; t < Math.min(to, from + 24 * 3_600_000); t += HALF_HOUR) {
      const inc = priceAt(t);
      rows.push({
        value_exc_vat: Math.round((inc / 1.05) * 1000) / 1000,
        value_inc_vat: inc,
        valid_from: new Date(t).toISOString().replace('.000Z', 'Z'),
        valid_to: new Date(t + HALF_HOUR).toISOString().replace('.000Z', 'Z'),
        payment_method: null,
      });
    }
    rows.reverse();
    json(res, 200, { count: rows.length, next: null, previous: null, results: rows });
  });
}

/** AEMO visualisation 5MIN report: dispatch (interval END, NEM time UTC+10, no offset) then pre-dispatch. */
export function aemoServer(
  now: number,
  rrp: (endUtc: number, type: 'ACTUAL' | 'FORECAST') => number,
): Promise<PriceServer> {
  const nem = (ms: number) => new Date(ms + 10 * 3_600_000).toISOString().slice(0, 19);
  return serve((url, body, res) => {
    if (url.pathname !== '/aemo/apps/api/report/5MIN' || !body.includes('5MIN')) return json(res, 404, {});
    const step = 5 * 60_000;
    const lastEnd = Math.floor(now / step) * step;
    const rows = [];
    for (const region of ['NSW1', 'QLD1', 'SA1', 'TAS1', 'VIC1']) {
      for (let end = lastEnd - 11 * step; end <= lastEnd; end += step) {
        rows.push({
          SETTLEMENTDATE: nem(end),
          REGIONID: region,
          RRP: rrp(end, 'ACTUAL'),
          PERIODTYPE: 'ACTUAL',
          TOTALDEMAND: 7000,
        });
      }
      const first = Math.ceil((lastEnd + 1) / HALF_HOUR) * HALF_HOUR;
      for (let end = first; end <= first + 6 * 3_600_000; end += HALF_HOUR) {
        rows.push({
          SETTLEMENTDATE: nem(end),
          REGIONID: region,
          RRP: rrp(end, 'FORECAST'),
          PERIODTYPE: 'FORECAST',
          TOTALDEMAND: 7100,
        });
      }
    }
    json(res, 200, { '5MIN': rows });
  });
}
