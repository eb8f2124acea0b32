import { WriteRateLimitedError } from '@sps/control';
import { CommandRejectedError, DeviceError, isoUtc, type Clock, type Command, type TimerHandle } from '@sps/core';
import { z } from 'zod';
import type { Logger } from './logger.js';
import type { StateStore } from './state-store.js';

/** Where pending overrides are kept between restarts. */
export const OVERRIDES_NAMESPACE = 'overrides';
export const OVERRIDES_KEY = 'pending';
/** How long to wait before trying again when the device could not be returned to normal. */
export const DEFAULT_RESTORE_RETRY_MS = 10_000;

const utc = z.iso.datetime({ offset: false });
const PendingOverride = z.object({
  command: z.enum(['force_charge', 'force_discharge']),
  power_w: z.number().finite().nonnegative(),
  until: utc,
  set_at: utc,
});
export type PendingOverride = z.infer<typeof PendingOverride>;
const PendingOverrides = z.record(z.string(), PendingOverride);

export interface TimedOverridesDeps {
  readonly clock: Clock;
  readonly store: StateStore;
  readonly logger: Logger;
  /** Ends the forced mode through the normal command path (device manager → safety guard → adapter). */
  readonly restoreNormal: (deviceId: string) => Promise<unknown>;
  readonly retryMs?: number;
}

/**
 * Timed force_charge/force_discharge commands end by themselves. Inverters have no expiry
 * register (Sungrow's forced mode runs until told otherwise), so the add-on owns the timer:
 * at `until` it sends restore_normal. Pending overrides are persisted, so an add-on restart
 * picks them up again and one that expired while the add-on was down is ended at once.
 * HA restarts do not matter: HA only asked; the timer lives here.
 */
export class TimedOverrides {
  private readonly pending = new Map<string, PendingOverride>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly deps: TimedOverridesDeps) {
    this.log = deps.logger.child({ component: 'overrides' });
  }

  /** Load persisted overrides: expired ones are ended now, the others get their timers back. */
  resume(): void {
    let stored: unknown;
    try {
      stored = this.deps.store.getState(OVERRIDES_NAMESPACE, OVERRIDES_KEY);
    } catch (err) {
      this.log.error({ err }, 'cannot read pending overrides');
      return;
    }
    if (stored === undefined) return;
    const parsed = PendingOverrides.safeParse(stored);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.log.warn(
        { field: issue?.path.join('.') ?? '(root)', reason: issue?.message },
        'ignoring unreadable pending overrides',
      );
      return;
    }
    for (const [deviceId, override] of Object.entries(parsed.data)) {
      this.pending.set(deviceId, override);
      const remaining = Date.parse(override.until) - this.deps.clock.now();
      this.log.info({ device: deviceId, until: override.until, command: override.command }, 'resuming timed override');
      this.schedule(deviceId, Math.max(0, remaining));
    }
  }

  /** Called with every command a device accepted, from any source (HA, web panel, controller). */
  noteApplied(deviceId: string, command: Command): void {
    if (this.stopped) return;
    switch (command.type) {
      case 'force_charge':
      case 'force_discharge':
        if (command.until === undefined) {
          // An open-ended force replaces the timed one: nothing is to end by itself any more.
          this.forget(deviceId);
        } else {
          this.track(deviceId, {
            command: command.type,
            power_w: command.power_w,
            until: command.until,
            set_at: isoUtc(this.deps.clock.now()),
          });
        }
        return;
      case 'restore_normal':
      case 'set_operating_mode':
        // The forced mode was ended or replaced explicitly.
        this.forget(deviceId);
        return;
      default:
        // Limits and reserves do not end a forced mode.
        return;
    }
  }

  /**
   * The device is reachable again: an override whose end already passed (e.g. it expired while
   * the add-on was down and the device had not answered yet) is ended now, not at the next retry.
   */
  deviceAvailable(deviceId: string): void {
    const override = this.pending.get(deviceId);
    if (this.stopped || !override || Date.parse(override.until) > this.deps.clock.now()) return;
    this.schedule(deviceId, 0);
  }

  /** Overrides waiting for their end, by device. */
  list(): ReadonlyMap<string, PendingOverride> {
    return new Map(this.pending);
  }

  /** Cancel the timers; what is pending stays persisted for the next start. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private track(deviceId: string, override: PendingOverride): void {
    this.pending.set(deviceId, override);
    this.persist();
    this.schedule(deviceId, Math.max(0, Date.parse(override.until) - this.deps.clock.now()));
    this.log.info({ device: deviceId, command: override.command, until: override.until }, 'timed override set');
  }

  private forget(deviceId: string): void {
    this.timers.get(deviceId)?.cancel();
    this.timers.delete(deviceId);
    if (this.pending.delete(deviceId)) this.persist();
  }

  private schedule(deviceId: string, delayMs: number): void {
    this.timers.get(deviceId)?.cancel();
    this.timers.set(
      deviceId,
      this.deps.clock.setTimeout(() => void this.expire(deviceId), delayMs),
    );
  }

  private async expire(deviceId: string): Promise<void> {
    this.timers.delete(deviceId);
    const override = this.pending.get(deviceId);
    if (!override || this.stopped) return;
    this.log.info({ device: deviceId, until: override.until }, 'timed override ended; restoring normal operation');
    try {
      await this.deps.restoreNormal(deviceId);
      // The applied restore_normal normally clears it already; this covers a skipped duplicate.
      if (this.pending.get(deviceId) === override) this.forget(deviceId);
    } catch (err) {
      if (this.stopped || this.pending.get(deviceId) !== override) return;
      if (err instanceof WriteRateLimitedError) {
        this.schedule(deviceId, Math.max(1000, err.retryAfterMs));
        return;
      }
      const refused = err instanceof CommandRejectedError || (err instanceof DeviceError && err.isRefusal);
      if (refused) {
        // The device will never accept it; retrying would only hammer it.
        this.log.error({ device: deviceId, reason: describe(err) }, 'cannot restore normal operation; giving up');
        this.forget(deviceId);
        return;
      }
      const retryMs = this.deps.retryMs ?? DEFAULT_RESTORE_RETRY_MS;
      this.log.warn({ device: deviceId, reason: describe(err), retry_ms: retryMs }, 'restore normal failed; retrying');
      this.schedule(deviceId, retryMs);
    }
  }

  private persist(): void {
    try {
      this.deps.store.putState(OVERRIDES_NAMESPACE, OVERRIDES_KEY, Object.fromEntries(this.pending));
    } catch (err) {
      this.log.error({ err }, 'cannot persist pending overrides');
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof DeviceError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
