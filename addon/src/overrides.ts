import { isoUtc, type Clock, type Command, type TimerHandle } from '@sps/core';
import { z } from 'zod';
import type { Logger } from './logger.js';
import type { StateStore } from './state-store.js';

/** Where pending overrides are kept between restarts. */
export const OVERRIDES_NAMESPACE = 'overrides';
export const OVERRIDES_KEY = 'pending';

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
  /** The add-on's hand-back (DeviceHandBack fits): ends the forced mode, persistently. */
  readonly handBack: OverrideHandBack;
}

/** What timed overrides need of the hand-back. */
export interface OverrideHandBack {
  /** Hand the device back, retrying transient failures until it is in its own mode. */
  restore(deviceId: string, why: string): Promise<unknown>;
  /** A device an earlier run left forced: record it and hand it back. */
  leftForced(deviceId: string, command: string, since?: string): void;
  isForced(deviceId: string): boolean;
}

/**
 * Timed force_charge/force_discharge commands end by themselves. Inverters have no expiry
 * register (Sungrow's forced mode runs until told otherwise), so the add-on owns the timer:
 * at `until` the device is handed back (DeviceHandBack: retried until it is in its own mode).
 * HA restarts do not matter: HA only asked; the timer lives here.
 *
 * An add-on restart ends a timed override: shutdown hands every forced device back, and a
 * pending override found at the next start (e.g. after a crash) is not re-applied — its device
 * is handed back at once, whether or not its `until` has passed. The person who asked for it
 * sees it end early in the log and forces again if they still want it; the add-on never
 * re-forces a battery on the strength of a request from before a restart.
 */
export class TimedOverrides {
  private readonly pending = new Map<string, PendingOverride>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly deps: TimedOverridesDeps) {
    this.log = deps.logger.child({ component: 'overrides' });
  }

  /** Pending overrides from before a restart are not re-applied: their devices are handed back. */
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
      this.persist();
      return;
    }
    for (const [deviceId, override] of Object.entries(parsed.data)) {
      this.log.warn(
        { device: deviceId, command: override.command, until: override.until },
        'a timed override from before the restart ends now; the device is handed back to its own mode',
      );
      if (!this.deps.handBack.isForced(deviceId)) {
        this.deps.handBack.leftForced(deviceId, `${override.command} ${override.power_w} W`, override.set_at);
      }
    }
    this.persist();
  }

  /** Called with every command a device accepted, from any source (HA, web panel, controller). */
  noteApplied(deviceId: string, command: Command): void {
    switch (command.type) {
      case 'force_charge':
      case 'force_discharge':
        // After stop() nothing new is tracked (the shutdown's hand-back ends every force anyway).
        if (this.stopped) return;
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
        // The forced mode was ended or replaced explicitly; also after stop(): the shutdown's
        // hand-back ends it, and the next start must not find it pending.
        this.forget(deviceId);
        return;
      default:
        // Limits and reserves do not end a forced mode.
        return;
    }
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
      this.deps.clock.setTimeout(() => this.expire(deviceId), delayMs),
    );
  }

  private expire(deviceId: string): void {
    this.timers.delete(deviceId);
    const override = this.pending.get(deviceId);
    if (!override || this.stopped) return;
    this.log.info({ device: deviceId, until: override.until }, 'timed override ended; restoring normal operation');
    // From here the hand-back owns it: it keeps its own durable record and retries until the
    // device is back in its own mode (or refuses for good, which raises restore_failed).
    this.forget(deviceId);
    void this.deps.handBack.restore(deviceId, `timed ${override.command} ended at ${override.until}`);
  }

  private persist(): void {
    try {
      this.deps.store.putState(OVERRIDES_NAMESPACE, OVERRIDES_KEY, Object.fromEntries(this.pending));
    } catch (err) {
      this.log.error({ err }, 'cannot persist pending overrides');
    }
  }
}
