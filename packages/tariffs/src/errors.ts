import type { z } from 'zod';

/**
 * Why a price fetch failed. The kind drives the PriceService's retry policy;
 * `reason` is the one line shown in HA and the web panel.
 */
export type PriceFetchErrorKind =
  | 'timeout'
  | 'network'
  | 'http' // 5xx or unexpected status
  | 'rate_limited' // 429
  | 'auth' // 401/403
  | 'malformed' // body is not JSON
  | 'invalid'; // JSON that does not match the provider's documented shape

export class PriceFetchError extends Error {
  override readonly name = 'PriceFetchError';
  constructor(
    readonly kind: PriceFetchErrorKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get status(): number | undefined {
    return this.options.status;
  }

  /** How long the server asked us to wait (Retry-After / RateLimit-Reset), if it said. */
  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }

  get reason(): string {
    return `${this.kind.replaceAll('_', ' ')}: ${this.message}`;
  }
}

/** Invalid tariff configuration (add-on options or CLI flags); names the field. */
export class TariffConfigError extends Error {
  override readonly name = 'TariffConfigError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** First few zod issues as `path: message`, so an error names the offending field. */
export function describeZodError(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (error.issues.length > max) parts.push(`… and ${error.issues.length - max} more`);
  return parts.join('; ');
}

export function toPriceFetchError(err: unknown): PriceFetchError {
  if (err instanceof PriceFetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PriceFetchError('network', message, { cause: err });
}
