import { z } from 'zod';
import { fetchJson, joinUrl } from '../http.js';
import { PriceFetchError } from '../errors.js';
import type { PriceProvider } from '../provider.js';
import { HOUR, MINUTE, floorTo } from '../provider.js';
import type { PriceInterval, PriceSeries } from '../series.js';
import { addLocalDays, localParts, zonedToUtc } from '@sps/core';

/*
 * Octopus Energy public REST API (no key for product/rate endpoints). Facts from
 * developer.octopus.energy and the projects cited in ../README.md:
 * - rates are p/kWh (`value_inc_vat`), returned NEWEST FIRST, paginated via `next`;
 * - `valid_to` null = open-ended; time-of-use products (Go, Flux, IOG) come back as a
 *   few long rows that we split into 30-minute slots;
 * - tariff code = E-1R-{PRODUCT}-{GSP letter};
 * - Agile day-ahead prices (23:00→23:00 UK) appear at about 16:00–17:00 UK time.
 */

export const OCTOPUS_DEFAULT_BASE_URL = 'https://api.octopus.energy/v1';
/** The 14 GSP regions; I and O are not used. */
export const OCTOPUS_REGIONS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P'] as const;
export type OctopusRegion = (typeof OCTOPUS_REGIONS)[number];

/**
 * Friendly names → product codes current at the time of writing. Octopus retires
 * products; users can always pass a product code (or a full tariff code) instead.
 */
export const OCTOPUS_PRODUCT_ALIASES: Record<string, string> = {
  agile: 'AGILE-24-10-01',
  go: 'GO-VAR-22-10-14',
  'intelligent-go': 'INTELLI-VAR-22-10-14',
  flux: 'FLUX-IMPORT-23-02-14',
  tracker: 'SILVER-25-09-02',
  'agile-outgoing': 'AGILE-OUTGOING-19-05-13',
  'flux-export': 'FLUX-EXPORT-23-02-14',
  outgoing: 'OUTGOING-VAR-24-10-26',
};

const UK = 'Europe/London';
const SLOT = 30 * MINUTE;

export function resolveOctopusProduct(productOrAlias: string): string {
  return OCTOPUS_PRODUCT_ALIASES[productOrAlias.toLowerCase()] ?? productOrAlias.toUpperCase();
}

/** E-1R-AGILE-24-10-01-C from product + region (single-register electricity). */
export function octopusTariffCode(product: string, region: OctopusRegion, register = '1R'): string {
  return `E-${register}-${resolveOctopusProduct(product)}-${region}`;
}

/** The product code inside a tariff code: E-1R-AGILE-24-10-01-C → AGILE-24-10-01. */
export function productFromTariffCode(tariffCode: string): string {
  const m = /^(?:energy-rate-)?[EG]-[A-Z0-9]+-([A-Z0-9-]+)-[A-P]$/.exec(tariffCode);
  if (!m?.[1]) throw new PriceFetchError('invalid', `not an Octopus tariff code: ${tariffCode}`);
  return m[1];
}

const rateRowSchema = z.object({
  value_exc_vat: z.number(),
  value_inc_vat: z.number(),
  valid_from: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp'),
  valid_to: z
    .string()
    .refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp')
    .nullable(),
  payment_method: z.string().nullish(),
});
export type OctopusRateRow = z.infer<typeof rateRowSchema>;
const ratePageSchema = z.object({
  count: z.number().optional(),
  next: z.string().nullable(),
  previous: z.string().nullish(),
  results: z.array(rateRowSchema),
});

export interface OctopusTariffRef {
  product: string;
  tariffCode: string;
}

export interface OctopusOptions {
  region: OctopusRegion;
  /** Import product code or alias (`agile`, `go`, `flux`, `tracker`, `intelligent-go`). */
  product?: string;
  /** Full import tariff code; overrides product + region. */
  tariffCode?: string;
  /** Export product code or alias (`agile-outgoing`, `flux-export`, `outgoing`). */
  exportProduct?: string;
  exportTariffCode?: string;
  /** Fixed export rate in GBP/kWh when there is no export product (e.g. an SEG rate); default 0. */
  exportRate?: number;
  paymentMethod?: 'direct_debit' | 'non_direct_debit';
  baseUrl?: string;
  timeoutMs?: number;
  /** How far ahead to ask for rates. */
  horizonHours?: number;
  /** Poll every this often while waiting for tomorrow's day-ahead prices (from 16:00 UK). */
  publicationPollMs?: number;
  /** Safety cap on `next` pages followed. */
  maxPages?: number;
}

export class OctopusPriceProvider implements PriceProvider {
  readonly id = 'octopus';
  readonly currency = 'GBP';
  readonly key: string;
  private readonly importRef: OctopusTariffRef;
  private readonly exportRef: OctopusTariffRef | undefined;

  constructor(private readonly opts: OctopusOptions) {
    this.importRef = tariffRef(opts.tariffCode, opts.product ?? 'agile', opts.region);
    this.exportRef =
      opts.exportTariffCode || opts.exportProduct
        ? tariffRef(opts.exportTariffCode, opts.exportProduct ?? '', opts.region)
        : undefined;
    this.key = `octopus:${this.importRef.tariffCode}:${this.exportRef?.tariffCode ?? opts.exportRate ?? 0}`;
  }

  get tariffCodes(): { import: string; export?: string } {
    return { import: this.importRef.tariffCode, export: this.exportRef?.tariffCode };
  }

  async fetch(now: number): Promise<PriceSeries> {
    const from = floorTo(now, SLOT);
    const to = from + (this.opts.horizonHours ?? 48) * HOUR;
    const [imports, exports] = await Promise.all([
      this.fetchSlots(this.importRef, from, to, now),
      this.exportRef ? this.fetchSlots(this.exportRef, from, to, now) : Promise.resolve(undefined),
    ]);
    const intervals: PriceInterval[] = [];
    for (const [start, imp] of [...imports].sort((a, b) => a[0] - b[0])) {
      let exp = this.opts.exportRate ?? 0;
      if (exports) {
        const e = exports.get(start);
        if (!e) continue; // import known but export not (yet): no made-up export price
        exp = e.value / 100;
      }
      intervals.push({ start, end: imp.end, import: imp.value / 100, export: exp, kind: 'actual' });
    }
    return { provider: this.id, currency: this.currency, fetchedAt: now, intervals };
  }

  /**
   * Day-ahead prices for tomorrow (to 23:00 UK) are published in the UK afternoon:
   * from 16:00 UK, poll often until the series reaches that far, otherwise hourly.
   */
  nextPollDelayMs(now: number, last: PriceSeries): number {
    const p = localParts(now, UK);
    const lastEnd = last.intervals[last.intervals.length - 1]?.end ?? now;
    const [y, m, d] = p.hour >= 16 ? addLocalDays(p.year, p.month, p.day, 1) : [p.year, p.month, p.day];
    const wanted = zonedToUtc(UK, y, m, d, 23);
    if (p.hour >= 16 && lastEnd < wanted) return this.opts.publicationPollMs ?? 5 * MINUTE;
    const [ty, tm, td] = p.hour >= 16 ? addLocalDays(p.year, p.month, p.day, 1) : [p.year, p.month, p.day];
    const next16 = zonedToUtc(UK, ty, tm, td, 16);
    return Math.max(MINUTE, Math.min(HOUR, next16 - now));
  }

  /** All rows for one tariff in [from, to), expanded into 30-minute slots keyed by start. */
  private async fetchSlots(
    ref: OctopusTariffRef,
    from: number,
    to: number,
    now: number,
  ): Promise<Map<number, { end: number; value: number }>> {
    const base = this.opts.baseUrl ?? OCTOPUS_DEFAULT_BASE_URL;
    const query = new URLSearchParams({
      period_from: new Date(from).toISOString(),
      period_to: new Date(to).toISOString(),
    });
    let url: string | null = joinUrl(
      base,
      `products/${encodeURIComponent(ref.product)}/electricity-tariffs/${encodeURIComponent(ref.tariffCode)}/standard-unit-rates/?${query}`,
    );
    const rows: OctopusRateRow[] = [];
    const maxPages = this.opts.maxPages ?? 20;
    for (let page = 0; url; page++) {
      if (page >= maxPages) {
        throw new PriceFetchError('invalid', `Octopus ${ref.tariffCode}: more than ${maxPages} pages of rates`);
      }
      const res: { data: z.infer<typeof ratePageSchema> } = await fetchJson(
        { url, timeoutMs: this.opts.timeoutMs ?? 15_000, what: `Octopus ${ref.tariffCode} rates`, now },
        ratePageSchema,
      );
      rows.push(...res.data.results);
      url = res.data.next ? sameOrigin(res.data.next, base) : null;
    }
    return expandRows(rows, from, to, this.opts.paymentMethod ?? 'direct_debit');
  }
}

function tariffRef(tariffCode: string | undefined, product: string, region: OctopusRegion): OctopusTariffRef {
  if (tariffCode) return { product: productFromTariffCode(tariffCode), tariffCode };
  const code = resolveOctopusProduct(product);
  return { product: code, tariffCode: octopusTariffCode(code, region) };
}

/**
 * Follow `next` on the configured host: the API returns absolute URLs, and a base
 * URL pointing at a proxy or test server must keep being used.
 */
function sameOrigin(next: string, base: string): string {
  try {
    const n = new URL(next, base);
    const b = new URL(base);
    if (n.origin === b.origin) return n.toString();
    // Keep the path below the API root (…/v1/products/…) and the query.
    const idx = n.pathname.indexOf('/products/');
    const tail = idx >= 0 ? n.pathname.slice(idx) : n.pathname;
    return joinUrl(base, tail) + n.search;
  } catch {
    throw new PriceFetchError('invalid', `Octopus: bad pagination URL ${next}`);
  }
}

/**
 * Expand rate rows into 30-minute slots in [from, to). Rows arrive newest first and
 * may overlap (a rate superseded mid-period); the row that starts later wins.
 */
export function expandRows(
  rows: readonly OctopusRateRow[],
  from: number,
  to: number,
  paymentMethod: 'direct_debit' | 'non_direct_debit',
): Map<number, { end: number; value: number }> {
  const wanted = paymentMethod === 'direct_debit' ? 'DIRECT_DEBIT' : 'NON_DIRECT_DEBIT';
  const usable = rows
    .filter((r) => r.payment_method === null || r.payment_method === undefined || r.payment_method === wanted)
    .map((r) => ({ from: Date.parse(r.valid_from), to: r.valid_to === null ? Infinity : Date.parse(r.valid_to), r }))
    .sort((a, b) => a.from - b.from);
  const slots = new Map<number, { end: number; value: number }>();
  for (const { from: rf, to: rt, r } of usable) {
    const start = Math.max(rf, from);
    const end = Math.min(rt, to);
    for (let t = floorTo(start, SLOT); t < end; t += SLOT) {
      // Rows start on half-hour boundaries; a later-starting row overrides an earlier one.
      slots.set(t, { end: Math.min(t + SLOT, end), value: r.value_inc_vat });
    }
  }
  return slots;
}
