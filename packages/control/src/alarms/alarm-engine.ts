import { TypedEmitter, type Clock, type ReadingValue, type TimerHandle } from '@sps/core';
import { evaluateReadings, ruleWatches, type AlarmKind, type AlarmRule } from './alarm-rules.js';

/** One alarm: a rule on a device. */
export interface AlarmStatus {
  /** `<rule id>:<device id>`, stable across restarts. */
  readonly key: string;
  readonly ruleId: string;
  readonly kind: AlarmKind;
  readonly deviceId: string;
  readonly active: boolean;
  /** When the condition began (ms since the epoch); set while active. */
  readonly since?: number;
  /** The value that tripped it (kept while active); the last one seen otherwise. */
  readonly value: ReadingValue | null;
  /** The reading(s) it is about (`battery_soc`, `alarm_cell_undervoltage`, `availability`). */
  readonly reading: string;
}

/** What a restart carries over: the alarms that were on, with their original start. */
export interface ActiveAlarmSnapshot {
  readonly ruleId: string;
  readonly deviceId: string;
  readonly since: number;
  readonly value: ReadingValue | null;
  readonly reading: string;
}

export interface AlarmEngineEvents extends Record<string, unknown> {
  started: AlarmStatus;
  cleared: AlarmStatus;
  /** An alarm exists for a device it did not exist for before (a new entity to show). */
  discovered: AlarmStatus;
}

interface Slot {
  readonly rule: AlarmRule;
  readonly deviceId: string;
  phase: 'idle' | 'pending' | 'active';
  /** When the condition began (pending and active). */
  conditionSince: number;
  value: ReadingValue | null;
  reading: string;
  timer: TimerHandle | undefined;
}

export const alarmKey = (ruleId: string, deviceId: string): string => `${ruleId}:${deviceId}`;

/**
 * Turns readings and availability into alarms. Each (rule, device) pair goes idle → pending (the
 * condition holds, its delay runs on the injected clock) → active (event `started`) → idle (event
 * `cleared`). A condition that ends while pending starts nothing. Alarms restored from a snapshot
 * are active at once with their original `since`, and clear only when a fresh evaluation says so:
 * the same alarm seen again after a restart is the same alarm, not a new one.
 */
export class AlarmEngine {
  readonly events: TypedEmitter<AlarmEngineEvents>;
  private readonly slots = new Map<string, Slot>();
  private stopped = false;

  constructor(
    readonly rules: readonly AlarmRule[],
    private readonly clock: Clock,
    onListenerError: (err: unknown) => void = () => undefined,
  ) {
    this.events = new TypedEmitter<AlarmEngineEvents>(onListenerError);
  }

  /** Bring back the alarms that were active before a restart (unknown rules are dropped). */
  restore(snapshots: readonly ActiveAlarmSnapshot[]): void {
    for (const s of snapshots) {
      const rule = this.rules.find((r) => r.id === s.ruleId);
      if (!rule || !ruleWatches(rule, s.deviceId)) continue;
      const slot = this.slot(rule, s.deviceId, false);
      slot.phase = 'active';
      slot.conditionSince = s.since;
      slot.value = s.value;
      slot.reading = s.reading;
    }
  }

  /** A device's latest readings (the whole merged set, so a partial push does not hide a bit still set). */
  observeReadings(deviceId: string, values: Readonly<Record<string, ReadingValue | null>>): void {
    if (this.stopped) return;
    for (const rule of this.rules) {
      if (rule.kind === 'device_unavailable' || !ruleWatches(rule, deviceId)) continue;
      const existing = this.slots.get(alarmKey(rule.id, deviceId));
      const verdict = evaluateReadings(rule, values, existing !== undefined && existing.phase !== 'idle');
      if (!verdict.applies && !existing) continue;
      const slot = existing ?? this.slot(rule, deviceId, true);
      // A reading that disappeared (a bit no longer reported) leaves the alarm as it is.
      if (!verdict.applies) continue;
      this.apply(slot, verdict.on, verdict.value, verdict.reading, this.clock.now());
    }
  }

  /** A device's availability; `since` is when it began (the device runner's own figure). */
  observeAvailability(deviceId: string, available: boolean, since: number, reason?: string): void {
    if (this.stopped) return;
    for (const rule of this.rules) {
      if (rule.kind !== 'device_unavailable' || !ruleWatches(rule, deviceId)) continue;
      const slot = this.slots.get(alarmKey(rule.id, deviceId)) ?? this.slot(rule, deviceId, true);
      this.apply(slot, !available, available ? null : (reason ?? 'unavailable'), 'availability', since);
    }
  }

  /** Declare that these devices exist for the rules that need no reading (device_unavailable). */
  watchDevices(deviceIds: readonly string[]): void {
    for (const rule of this.rules) {
      if (rule.kind !== 'device_unavailable') continue;
      for (const id of deviceIds) {
        if (ruleWatches(rule, id) && !this.slots.has(alarmKey(rule.id, id))) this.slot(rule, id, true);
      }
    }
  }

  status(key: string): AlarmStatus | undefined {
    const slot = this.slots.get(key);
    return slot ? toStatus(slot) : undefined;
  }

  /** Every alarm that exists (for a device the rule applies to), in rule order. */
  list(): AlarmStatus[] {
    const order = new Map(this.rules.map((r, i) => [r.id, i]));
    return [...this.slots.values()]
      .sort((a, b) => (order.get(a.rule.id) ?? 0) - (order.get(b.rule.id) ?? 0) || a.deviceId.localeCompare(b.deviceId))
      .map(toStatus);
  }

  active(): ActiveAlarmSnapshot[] {
    return [...this.slots.values()]
      .filter((s) => s.phase === 'active')
      .map((s) => ({
        ruleId: s.rule.id,
        deviceId: s.deviceId,
        since: s.conditionSince,
        value: s.value,
        reading: s.reading,
      }));
  }

  stop(): void {
    this.stopped = true;
    for (const slot of this.slots.values()) {
      slot.timer?.cancel();
      slot.timer = undefined;
    }
  }

  private slot(rule: AlarmRule, deviceId: string, announce: boolean): Slot {
    const slot: Slot = {
      rule,
      deviceId,
      phase: 'idle',
      conditionSince: 0,
      value: null,
      reading: rule.kind === 'device_unavailable' ? 'availability' : '',
      timer: undefined,
    };
    this.slots.set(alarmKey(rule.id, deviceId), slot);
    if (announce) this.events.emit('discovered', toStatus(slot));
    return slot;
  }

  private apply(slot: Slot, on: boolean, value: ReadingValue | null, reading: string, conditionSince: number): void {
    if (!on) {
      slot.timer?.cancel();
      slot.timer = undefined;
      const wasActive = slot.phase === 'active';
      slot.phase = 'idle';
      slot.value = value;
      if (reading) slot.reading = reading;
      if (wasActive) this.events.emit('cleared', toStatus(slot));
      return;
    }
    if (slot.phase === 'active') return; // the value that tripped it stays, so does since
    // The value that crossed the threshold is what tripped it; for an absent device the latest
    // reason says more than the first (`connecting` after a restart).
    if (slot.phase === 'idle' || slot.rule.kind === 'device_unavailable') {
      slot.value = value;
      slot.reading = reading;
    }
    if (slot.phase === 'idle') {
      slot.phase = 'pending';
      slot.conditionSince = Math.min(conditionSince, this.clock.now());
    }
    if (slot.timer) return;
    const due = slot.conditionSince + slot.rule.delayMs - this.clock.now();
    if (due <= 0) {
      this.start(slot);
      return;
    }
    slot.timer = this.clock.setTimeout(() => {
      slot.timer = undefined;
      if (!this.stopped && slot.phase === 'pending') this.start(slot);
    }, due);
  }

  private start(slot: Slot): void {
    slot.phase = 'active';
    this.events.emit('started', toStatus(slot));
  }
}

function toStatus(slot: Slot): AlarmStatus {
  const active = slot.phase === 'active';
  return {
    key: alarmKey(slot.rule.id, slot.deviceId),
    ruleId: slot.rule.id,
    kind: slot.rule.kind,
    deviceId: slot.deviceId,
    active,
    ...(active ? { since: slot.conditionSince } : {}),
    value: slot.value,
    reading: slot.reading,
  };
}
