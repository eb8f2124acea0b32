import type { Clock, TimerHandle } from '@sps/core';
import { TypedEmitter, systemClock } from '@sps/core';
import { toPriceFetchError } from './errors.js';
import type { PriceProvider } from './provider.js';
import { MINUTE } from './provider.js';
import type { PriceInterval, PriceSeries } from './series.js';
import { contiguousEnd, intervalAt, priceSeriesSchema, upcoming } from './series.js';

/** The store's key-value interface (exactly what @sps/store offers); injected so tariffs need no database. */
export interface KeyValueState {
  getState<T>(namespace: string, key: string): T | undefined;
  putState(namespace: string, key: string, value: unknown): void;
}

export interface PriceStatus {
  provider: string;
  currency: string;
  /** Last successful fetch (UTC ms). */
  lastSuccessAt?: number;
  lastAttemptAt?: number;
  /** One-line reason of the last failure; cleared by the next success. */
  lastError?: string;
  consecutiveFailures: number;
  nextPollAt?: number;
  /** Non-fatal provider warnings from the last good series. */
  warnings: string[];
}

/** What the scheduler and HA need to know about "now". */
export interface PriceCoverage {
  /** A price covers `now`. */
  covered: boolean;
  /** Nothing covers now: the scheduler must fall back to self-consumption (never guess a price). */
  fallback: boolean;
  current?: PriceInterval;
  /** End of the gap-free run of prices starting now. */
  horizonEnd?: number;
  /** Why prices are missing or old (a provider failure while the last good series is still used). */
  reason?: string;
}

export interface PriceServiceOptions {
  provider: PriceProvider;
  clock?: Clock;
  state?: KeyValueState;
  /** Store namespace; the key is the provider's key so another tariff's prices are never reused. */
  namespace?: string;
  /** Poll period when the provider gives no hint. */
  defaultPollMs?: number;
  /** First retry delay after a failure; doubles up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Called with unexpected errors from listeners or the store (never thrown). */
  onInternalError?: (err: unknown) => void;
}

export interface PriceServiceEvents extends Record<string, unknown> {
  /** A new good series. */
  series: PriceSeries;
  /** Status after every attempt. */
  status: PriceStatus;
}

/**
 * Polls one provider, keeps the last good series (also across restarts through the
 * store), reports failures as a reason, and tells callers when nothing covers now.
 */
export class PriceService extends TypedEmitter<PriceServiceEvents> {
  private readonly clock: Clock;
  private readonly namespace: string;
  private series: PriceSeries | undefined;
  private readonly st: PriceStatus;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<PriceStatus> | undefined;
  private running = false;

  constructor(private readonly opts: PriceServiceOptions) {
    super((err) => opts.onInternalError?.(err));
    this.clock = opts.clock ?? systemClock;
    this.namespace = opts.namespace ?? 'tariffs';
    this.st = {
      provider: opts.provider.id,
      currency: opts.provider.currency,
      consecutiveFailures: 0,
      warnings: [],
    };
    this.restore();
  }

  /** Start polling: the first fetch happens immediately. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.st.nextPollAt = undefined;
  }

  /** Fetch now (joins a fetch already under way). Never throws. */
  refresh(): Promise<PriceStatus> {
    this.inFlight ??= this.poll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  status(): PriceStatus {
    return { ...this.st, warnings: [...this.st.warnings] };
  }

  /** The last good series (possibly restored from the store), if any. */
  lastSeries(): PriceSeries | undefined {
    return this.series;
  }

  /** Current and future intervals of the last good series. */
  upcoming(now = this.clock.now()): PriceInterval[] {
    return this.series ? upcoming(this.series, now) : [];
  }

  coverage(now = this.clock.now()): PriceCoverage {
    const current = intervalAt(this.series, now);
    if (!current || !this.series) {
      const why = this.st.lastError ?? (this.st.lastAttemptAt === undefined ? 'no prices fetched yet' : undefined);
      return {
        covered: false,
        fallback: true,
        reason: why ? `no price covers now: ${why}` : 'no price covers now: the last series has run out',
      };
    }
    const out: PriceCoverage = {
      covered: true,
      fallback: false,
      current,
      horizonEnd: contiguousEnd(this.series, now),
    };
    if (this.st.lastError) {
      out.reason = `using prices fetched at ${new Date(this.series.fetchedAt).toISOString()}: ${this.st.lastError}`;
    }
    return out;
  }

  private async poll(): Promise<PriceStatus> {
    const now = this.clock.now();
    this.st.lastAttemptAt = now;
    let delay: number;
    try {
      const series = await this.opts.provider.fetch(now);
      this.series = series;
      this.st.lastSuccessAt = now;
      this.st.lastError = undefined;
      this.st.consecutiveFailures = 0;
      this.st.warnings = series.warnings ?? [];
      this.persist(series);
      delay = this.opts.provider.nextPollDelayMs?.(this.clock.now(), series) ?? this.opts.defaultPollMs ?? MINUTE;
      this.emit('series', series);
    } catch (err) {
      const e = toPriceFetchError(err);
      this.st.lastError = e.reason;
      this.st.consecutiveFailures += 1;
      const base = this.opts.retryBaseMs ?? 30_000;
      const backoff = Math.min(this.opts.retryMaxMs ?? 15 * MINUTE, base * 2 ** (this.st.consecutiveFailures - 1));
      delay = Math.max(backoff, e.retryAfterMs ?? 0);
    }
    if (this.running) this.schedule(delay);
    const status = this.status();
    this.emit('status', status);
    return status;
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    this.st.nextPollAt = this.clock.now() + delayMs;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  private persist(series: PriceSeries): void {
    try {
      this.opts.state?.putState(this.namespace, this.opts.provider.key, series);
    } catch (err) {
      this.opts.onInternalError?.(err);
    }
  }

  /** Prices survive a restart; anything unreadable in the store is ignored, never trusted. */
  private restore(): void {
    try {
      const stored = this.opts.state?.getState<unknown>(this.namespace, this.opts.provider.key);
      if (stored === undefined) return;
      const parsed = priceSeriesSchema.safeParse(stored);
      if (parsed.success && parsed.data.provider === this.opts.provider.id) {
        const s = parsed.data;
        this.series = {
          provider: s.provider,
          currency: s.currency,
          fetchedAt: s.fetchedAt,
          intervals: s.intervals.map((i) => ({ ...i })),
          ...(s.warnings ? { warnings: s.warnings } : {}),
        };
      }
    } catch (err) {
      this.opts.onInternalError?.(err);
    }
  }
}
