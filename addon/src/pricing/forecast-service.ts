import type { GridPoint, GridSpec } from '@sps/forecasts';
import { gridFrom } from '@sps/forecasts';
import { TypedEmitter, type Clock, type TimerHandle } from '@sps/core';

/** One forecast as the add-on keeps it: kW per grid interval over the next 48 h. */
export interface ForecastSnapshot {
  readonly kind: 'solar' | 'load';
  readonly source: string;
  /** One line: what the forecast is made of (e.g. how much history and how much default profile). */
  readonly basis?: string;
  /** Absent until the first success. */
  readonly points: readonly GridPoint[];
  readonly updatedAt?: number;
  readonly lastAttemptAt?: number;
  /** One line: why the last refresh failed (cleared by the next success), or a warning. */
  readonly reason?: string;
  readonly warnings: readonly string[];
  readonly nextRefreshAt?: number;
}

export interface ForecastResult {
  readonly source: string;
  readonly basis?: string;
  readonly points: GridPoint[];
  readonly warnings?: string[];
}

export interface ForecastServiceOptions {
  readonly kind: 'solar' | 'load';
  readonly source: string;
  readonly clock: Clock;
  readonly refreshMs: number;
  /** After a failure; never below what a rate-limited service allows. */
  readonly retryMs: number;
  readonly produce: (grid: GridSpec, now: number) => Promise<ForecastResult>;
  readonly hours?: number;
  readonly stepMinutes?: number;
  readonly onInternalError?: (err: unknown) => void;
}

export interface ForecastServiceEvents extends Record<string, unknown> {
  updated: ForecastSnapshot;
}

/**
 * Refreshes one forecast on its own cadence and keeps the last good one (a failed
 * refresh leaves it in place and records the reason).
 */
export class ForecastService {
  readonly events: TypedEmitter<ForecastServiceEvents>;
  private snapshot: ForecastSnapshot;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<ForecastSnapshot> | undefined;
  private running = false;

  constructor(private readonly options: ForecastServiceOptions) {
    this.events = new TypedEmitter<ForecastServiceEvents>((err) => options.onInternalError?.(err));
    this.snapshot = { kind: options.kind, source: options.source, points: [], warnings: [] };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  current(): ForecastSnapshot {
    return this.snapshot;
  }

  /** Refresh now (joins one under way). Never throws. */
  refresh(): Promise<ForecastSnapshot> {
    this.inFlight ??= this.run().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async run(): Promise<ForecastSnapshot> {
    const { clock } = this.options;
    const now = clock.now();
    const grid = gridFrom(now, this.options.hours ?? 48, this.options.stepMinutes ?? 5);
    let delay: number;
    try {
      const result = await this.options.produce(grid, now);
      this.snapshot = {
        kind: this.options.kind,
        source: result.source,
        ...(result.basis === undefined ? {} : { basis: result.basis }),
        points: result.points,
        updatedAt: now,
        lastAttemptAt: now,
        warnings: result.warnings ?? [],
        ...(result.warnings?.length ? { reason: result.warnings.join('; ') } : {}),
      };
      delay = this.options.refreshMs;
    } catch (err) {
      const { reason: _old, ...rest } = this.snapshot;
      this.snapshot = { ...rest, lastAttemptAt: now, reason: describe(err) };
      const asked = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
      delay = Math.max(this.options.retryMs, typeof asked === 'number' ? asked : 0);
    }
    if (this.running) this.schedule(delay);
    this.events.emit('updated', this.snapshot);
    return this.snapshot;
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    this.snapshot = { ...this.snapshot, nextRefreshAt: this.options.clock.now() + delayMs };
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }
}

function describe(err: unknown): string {
  const e = err as { reason?: unknown; message?: unknown } | null;
  if (e && typeof e.reason === 'string') return e.reason;
  return err instanceof Error ? err.message : String(err);
}
