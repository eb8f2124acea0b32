import type { Clock, TimerHandle } from '@sps/core';
import type { Logger } from '../logger.js';
import type { AlarmNotification } from './alarm-messages.js';

/** The one HA call the sender needs (HaBridgeClient.callService fits). */
export interface NotifyPort {
  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown>;
}

/** Waits before the 2nd, 3rd… attempt: a brief HA restart or reconnect is ridden out, then it gives up. */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000];

export interface NotifySenderOptions {
  readonly services: readonly string[];
  /** The HA link's client while there is one (it reconnects on its own); undefined = no HA. */
  readonly ha: () => NotifyPort | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retryDelaysMs?: readonly number[];
}

/**
 * Calls each configured HA notify service once per notification. A failing call (service missing,
 * HA down or not configured) is logged with the reason and tried again a bounded number of times
 * (NOTIFY_RETRY_DELAYS_MS), per service, so one broken service does not hold the others back.
 * Never rejects; stop() drops what is still waiting.
 */
export class NotifySender {
  private readonly timers = new Set<TimerHandle>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly delays: readonly number[];

  constructor(private readonly options: NotifySenderOptions) {
    this.delays = options.retryDelaysMs ?? NOTIFY_RETRY_DELAYS_MS;
  }

  send(notification: AlarmNotification, context: Record<string, unknown>): void {
    for (const service of this.options.services) this.attempt(service, notification, context, 0);
  }

  /** Cancel retries; calls already sent are awaited (they end with HA's answer or the connection). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private attempt(service: string, n: AlarmNotification, context: Record<string, unknown>, attempt: number): void {
    if (this.stopped) return;
    const log = { ...context, service: `notify.${service}`, attempt: attempt + 1 };
    const call = (async () => {
      const ha = this.options.ha();
      if (!ha) throw new Error('no Home Assistant connection');
      await ha.callService('notify', service, { title: n.title, message: n.message });
    })().then(
      () => this.options.logger.info(log, 'alarm notification sent'),
      (err: unknown) => {
        const reason = describe(err);
        const delay = this.delays[attempt];
        if (delay === undefined || this.stopped) {
          this.options.logger.error({ ...log, reason }, 'alarm notification not delivered; giving up');
          return;
        }
        this.options.logger.warn({ ...log, reason, retry_in_ms: delay }, 'alarm notification failed; retrying');
        const timer = this.options.clock.setTimeout(() => {
          this.timers.delete(timer);
          this.attempt(service, n, context, attempt + 1);
        }, delay);
        this.timers.add(timer);
      },
    );
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }
}

/** HA's error (`{code, message}`), an Error, or anything else, as one line. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  }
  return String(err);
}
