import {
  AlarmEngine,
  AlarmNotificationPolicy,
  alarmKey,
  type AlarmNotice,
  type AlarmRule,
  type AlarmStatus,
} from '@sps/control';
import { TypedEmitter, type Clock } from '@sps/core';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';
import { alarmNotification } from './alarm-messages.js';
import type { AlarmSettings } from './alarm-options.js';
import { AlarmStateFile } from './alarm-state.js';
import { NotifySender, type NotifyPort } from './notify-sender.js';

/** The shutdown's wait for notify calls already sent (HA answers in milliseconds when it answers at all). */
export const ALARM_STOP_BUDGET_MS = 1000;

export interface AlarmRuntimeOptions {
  readonly settings: AlarmSettings;
  readonly hub: ReadingHub;
  /** The configured devices (device_unavailable watches each). */
  readonly deviceIds: readonly string[];
  readonly deviceName: (deviceId: string) => string;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** HA's client while linked (the notify calls); undefined = no HA. */
  readonly ha: () => NotifyPort | undefined;
  /** Test knob: the notify retry waits. */
  readonly notifyRetryDelaysMs?: readonly number[];
}

export interface AlarmRuntimeEvents extends Record<string, unknown> {
  /** An alarm started, cleared, or came into existence. */
  changed: AlarmStatus;
  /** A new alarm exists (HA needs a new declaration). */
  discovered: AlarmStatus;
}

/**
 * Alarms in the add-on: the hub's readings and availability go into the rule engine, its
 * transitions into the notification policy and the notify services, and everything that must
 * survive a restart (active alarms with their `since`, what was notified, which alarms exist)
 * into the store.
 */
export class AlarmRuntime {
  readonly events: TypedEmitter<AlarmRuntimeEvents>;
  readonly engine: AlarmEngine;
  private readonly policy: AlarmNotificationPolicy;
  private readonly sender: NotifySender;
  private readonly state: AlarmStateFile;
  private readonly known = new Map<string, [string, string]>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;
  private started = false;

  constructor(private readonly o: AlarmRuntimeOptions) {
    this.log = o.logger.child({ component: 'alarms' });
    const onError = (err: unknown) => this.log.error({ err }, 'an alarm listener failed');
    this.events = new TypedEmitter<AlarmRuntimeEvents>(onError);
    this.engine = new AlarmEngine(o.settings.rules, o.clock, onError);
    this.state = new AlarmStateFile(o.store, this.log);
    this.sender = new NotifySender({
      services: o.settings.notify,
      ha: o.ha,
      clock: o.clock,
      logger: this.log,
      ...(o.notifyRetryDelaysMs === undefined ? {} : { retryDelaysMs: o.notifyRetryDelaysMs }),
    });
    this.policy = new AlarmNotificationPolicy({
      clock: o.clock,
      cooldownMs: o.settings.cooldownMs,
      current: (key) => this.engine.status(key),
      send: (notice, alarm) => this.notify(notice, alarm),
      onChange: () => this.persist(),
    });
  }

  get rules(): readonly AlarmRule[] {
    return this.o.settings.rules;
  }

  get notifyServices(): readonly string[] {
    return this.o.settings.notify;
  }

  get cooldownMs(): number {
    return this.o.settings.cooldownMs;
  }

  /** Restore the last run's alarms, then follow the hub (its current snapshot first). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const saved = this.state.load();
    const ruleIds = new Set(this.rules.map((r) => r.id));
    const deviceIds = new Set(this.o.deviceIds);
    for (const [ruleId, deviceId] of saved.known) {
      // A removed rule or device must vanish from HA, not linger as an orphan entity.
      if (ruleIds.has(ruleId) && deviceIds.has(deviceId))
        this.known.set(alarmKey(ruleId, deviceId), [ruleId, deviceId]);
    }
    this.engine.restore(saved.active.filter((a) => deviceIds.has(a.deviceId)));
    this.unsubscribe.push(
      this.engine.events.on('discovered', (alarm) => this.discovered(alarm)),
      this.engine.events.on('started', (alarm) => this.transition(alarm)),
      this.engine.events.on('cleared', (alarm) => this.transition(alarm)),
    );
    this.policy.restore(saved.notified.filter((n) => this.known.has(n.key) || this.engine.status(n.key)));
    this.engine.watchDevices(this.o.deviceIds);
    for (const [deviceId, readings] of this.o.hub.latestAll()) this.engine.observeReadings(deviceId, readings.values);
    for (const [deviceId, a] of this.o.hub.availabilityAll()) {
      this.engine.observeAvailability(deviceId, a.available, a.since, a.reason);
    }
    this.unsubscribe.push(
      this.o.hub.on('readings', ({ deviceId }) => {
        // The merged latest set: a partial push must not hide a bit an earlier frame set.
        const latest = this.o.hub.latest(deviceId);
        if (latest) this.engine.observeReadings(deviceId, latest.values);
      }),
      this.o.hub.on('availability', ({ deviceId, availability: a }) =>
        this.engine.observeAvailability(deviceId, a.available, a.since, a.reason),
      ),
    );
    this.persist();
    const active = this.engine.active();
    this.log.info(
      { rules: this.rules.map((r) => r.id), notify: this.notifyServices, active: active.length },
      'alarms watching',
    );
  }

  /** Every alarm that exists, active first is up to the caller; in rule order. */
  list(): AlarmStatus[] {
    const live = new Map(this.engine.list().map((a) => [a.key, a]));
    // Alarms known from the last run whose device has not answered yet: off until it does.
    for (const [key, [ruleId, deviceId]] of this.known) {
      if (live.has(key)) continue;
      const rule = this.rules.find((r) => r.id === ruleId);
      if (!rule) continue;
      live.set(key, { key, ruleId, kind: rule.kind, deviceId, active: false, value: null, reading: '' });
    }
    const order = new Map(this.rules.map((r, i) => [r.id, i]));
    return [...live.values()].sort(
      (a, b) => (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0) || a.deviceId.localeCompare(b.deviceId),
    );
  }

  rule(ruleId: string): AlarmRule | undefined {
    return this.rules.find((r) => r.id === ruleId);
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.engine.stop();
    this.policy.stop();
    if (this.started) this.persist();
    await this.sender.stop();
  }

  private discovered(alarm: AlarmStatus): void {
    // A notification held when the add-on stopped (a clear within the cooldown) is settled now that the alarm is
    // evaluated again; after this turn, so the verdict that created the alarm has been applied.
    queueMicrotask(() => this.policy.changed(alarm));
    if (this.known.has(alarm.key)) return;
    this.known.set(alarm.key, [alarm.ruleId, alarm.deviceId]);
    this.persist();
    this.events.emit('discovered', alarm);
    this.events.emit('changed', alarm);
  }

  private transition(alarm: AlarmStatus): void {
    this.log[alarm.active ? 'warn' : 'info'](
      {
        alarm: alarm.key,
        value: alarm.value,
        ...(alarm.since === undefined ? {} : { since: new Date(alarm.since).toISOString() }),
      },
      alarm.active ? 'alarm started' : 'alarm cleared',
    );
    this.persist();
    this.policy.changed(alarm);
    this.events.emit('changed', alarm);
  }

  private notify(notice: AlarmNotice, alarm: AlarmStatus): void {
    if (this.notifyServices.length === 0) return;
    const n = alarmNotification(
      notice,
      alarm,
      this.rule(alarm.ruleId),
      this.o.deviceName(alarm.deviceId),
      this.o.clock.now(),
    );
    this.sender.send(n, { alarm: alarm.key, notice });
  }

  private persist(): void {
    this.state.save(this.engine.active(), this.policy.snapshot(), [...this.known.values()]);
  }
}
