import type { Clock, TimerHandle } from '@sps/core';
import type { AlarmStatus } from './alarm-engine.js';

/** What the owner was last told about one alarm, kept across restarts. */
export interface NotifiedSnapshot {
  readonly key: string;
  /** The last notification sent said "started" (true) or "cleared" (false). */
  readonly active: boolean;
  /** When it was sent (ms since the epoch). */
  readonly sentAt: number;
}

export type AlarmNotice = 'started' | 'cleared';

export interface NotificationPolicyOptions {
  readonly clock: Clock;
  /** At most one notification per alarm within this window. */
  readonly cooldownMs: number;
  /** The alarm as it is now (the policy sends the latest truth, not a stale event). */
  readonly current: (key: string) => AlarmStatus | undefined;
  /** Send one notification (the sender retries and never throws). */
  readonly send: (notice: AlarmNotice, alarm: AlarmStatus) => void;
  /** Told whenever what was sent changes (to persist it). */
  readonly onChange?: () => void;
}

/**
 * When to tell the owner, per alarm: once when it starts, once when it clears, and never more
 * than once per cooldown. The rule is "report the alarm's current state, at most once per cooldown":
 *
 * - a start is sent at once unless a notification for this alarm went out less than a cooldown ago;
 *   then it is held, and sent when the cooldown ends if the alarm is still on;
 * - a clear whose start was held (never sent) cancels it: the owner hears of neither;
 * - a clear within the cooldown of its start notification is held too; if the alarm has started
 *   again when the cooldown ends, the clear and the new start are folded away (the owner was told
 *   "on", and it is on); if it is still clear, one clear is sent then.
 *
 * So notifications for one alarm always alternate started/cleared, at least a cooldown apart, and
 * the last one sent matches the alarm once the cooldown has passed.
 */
export class AlarmNotificationPolicy {
  private readonly notified = new Map<string, NotifiedSnapshot>();
  private readonly held = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(private readonly options: NotificationPolicyOptions) {}

  /** What was sent before a restart; an alarm still on after it is not announced again. */
  restore(snapshots: readonly NotifiedSnapshot[]): void {
    for (const s of snapshots) this.notified.set(s.key, s);
    // A clear (or start) that was held when the add-on stopped is settled once its cooldown ends.
    for (const s of snapshots) this.reconcile(s.key);
  }

  /** The engine's events. */
  changed(alarm: AlarmStatus): void {
    if (!this.stopped) this.reconcile(alarm.key);
  }

  snapshot(): NotifiedSnapshot[] {
    return [...this.notified.values()];
  }

  /** A notification is being held for this alarm (tests, the API). */
  isHeld(key: string): boolean {
    return this.held.has(key);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.held.values()) timer.cancel();
    this.held.clear();
  }

  private reconcile(key: string): void {
    const alarm = this.options.current(key);
    const wantActive = alarm?.active ?? false;
    const last = this.notified.get(key);
    const toldActive = last?.active ?? false;
    if (wantActive === toldActive) {
      // Nothing to say (a held start cancelled by its clear, or a clear folded by a new start).
      this.unhold(key);
      return;
    }
    const now = this.options.clock.now();
    const readyAt = last === undefined ? now : last.sentAt + this.options.cooldownMs;
    if (!alarm) {
      // Not evaluated yet (a restart, the device has not answered): settled when it is, through `changed`.
      this.unhold(key);
      return;
    }
    if (readyAt <= now) {
      this.unhold(key);
      this.notified.set(key, { key, active: wantActive, sentAt: now });
      this.options.onChange?.();
      this.options.send(wantActive ? 'started' : 'cleared', alarm);
      return;
    }
    if (this.held.has(key)) return;
    this.held.set(
      key,
      this.options.clock.setTimeout(() => {
        this.held.delete(key);
        if (!this.stopped) this.reconcile(key);
      }, readyAt - now),
    );
  }

  private unhold(key: string): void {
    this.held.get(key)?.cancel();
    this.held.delete(key);
  }
}
