import type { Clock, TimerHandle } from '@sps/core';
import type { HaStateAttributes, HaStateUpdate, HaStateValue } from './protocol.js';

/**
 * Coalesces entity states before they reach HA, so a Raspberry Pi's recorder is not flooded:
 * a throttled entity (a measurement) is written at most once per `minIntervalMs`, always with
 * its newest value; other entities (controls, binary states) go out at once. Updates that are
 * due together leave as one batch. While the sink is offline nothing is lost: the newest value
 * per entity waits, and `replayAll()` re-sends everything after a reconnect.
 */
export interface StateSink {
  /** Returns false when the session cannot take states now (they stay pending). */
  sendStates(batch: HaStateUpdate[]): boolean;
}

interface Slot {
  latest: HaStateValue;
  sent: HaStateValue | undefined;
  /** Newest attributes and their JSON (to tell a change); undefined = the entity has none. */
  attributes: HaStateAttributes | undefined;
  attributesJson: string | undefined;
  sentAttributesJson: string | undefined;
  sentAt: number;
  dueAt: number | null;
  readonly throttled: boolean;
  readonly update: { device_id: string; key: string };
}

export class StateCoalescer {
  private readonly slots = new Map<string, Slot>();
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly sink: StateSink,
    private readonly minIntervalMs = 1000,
    private readonly maxBatch = 500,
  ) {}

  /** `attributes`, when given, replace the entity's attributes; a change of them alone is sent too. */
  offer(deviceId: string, key: string, state: HaStateValue, throttled: boolean, attributes?: HaStateAttributes): void {
    const id = `${deviceId}\u0000${key}`;
    let slot = this.slots.get(id);
    if (!slot) {
      slot = {
        latest: state,
        sent: undefined,
        attributes: undefined,
        attributesJson: undefined,
        sentAttributesJson: undefined,
        sentAt: -Infinity,
        dueAt: null,
        throttled,
        update: { device_id: deviceId, key },
      };
      this.slots.set(id, slot);
    }
    slot.latest = state;
    if (attributes !== undefined) {
      slot.attributes = attributes;
      slot.attributesJson = JSON.stringify(attributes);
    }
    if (slot.dueAt === null && Object.is(slot.sent, state) && slot.sentAttributesJson === slot.attributesJson) return;
    if (slot.dueAt === null) {
      const now = this.clock.now();
      slot.dueAt = slot.throttled ? Math.max(now, slot.sentAt + this.minIntervalMs) : now;
    }
    this.schedule(slot.dueAt);
  }

  /** Forget what HA has (it restarted or we reconnected) and send every newest value again. */
  replayAll(): void {
    const now = this.clock.now();
    for (const slot of this.slots.values()) {
      slot.sent = undefined;
      slot.sentAttributesJson = undefined;
      slot.sentAt = -Infinity;
      slot.dueAt = now;
    }
    if (this.slots.size > 0) this.schedule(now);
  }

  /** Drop every entity of a device (it is no longer declared). */
  forgetDevice(deviceId: string): void {
    for (const [id, slot] of this.slots) if (slot.update.device_id === deviceId) this.slots.delete(id);
  }

  /** Send whatever is due now; the client calls this when the session becomes ready. */
  flush(): void {
    this.cancelTimer();
    const now = this.clock.now();
    const due: Slot[] = [];
    let next = Infinity;
    for (const slot of this.slots.values()) {
      if (slot.dueAt === null) continue;
      if (slot.dueAt <= now) due.push(slot);
      else next = Math.min(next, slot.dueAt);
    }
    for (let i = 0; i < due.length; i += this.maxBatch) {
      const chunk = due.slice(i, i + this.maxBatch);
      const batch: HaStateUpdate[] = chunk.map((s) => ({
        ...s.update,
        state: s.latest,
        // Only when they changed (or after a replay): a forecast is large and HA keeps the last ones.
        ...(s.attributes !== undefined && s.attributesJson !== s.sentAttributesJson
          ? { attributes: s.attributes }
          : {}),
      }));
      if (!this.sink.sendStates(batch)) return; // offline: everything stays pending
      for (const slot of chunk) {
        slot.sent = slot.latest;
        slot.sentAttributesJson = slot.attributesJson;
        slot.sentAt = now;
        slot.dueAt = null;
      }
    }
    if (next !== Infinity) this.schedule(next);
  }

  get pendingCount(): number {
    let n = 0;
    for (const slot of this.slots.values()) if (slot.dueAt !== null) n++;
    return n;
  }

  stop(): void {
    this.cancelTimer();
  }

  private schedule(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.cancelTimer();
    this.timerAt = at;
    // A 0 ms timer still batches everything offered in the same tick.
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.flush();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
  }
}
