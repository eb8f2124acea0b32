import { CommandRejectedError, type Clock, type Command } from '@sps/core';
import type { RelayChange, WriteLedger } from './write-ledger.js';

/** One relay channel that switches a transfer switch (a power station's P1 or P3). */
export interface RelayHoldSpec {
  readonly deviceId: string;
  /** The relay channel (0 when the relay has one). */
  readonly channel: number;
  /** A change less than this after the previous one is refused, ms. */
  readonly minOnOffMs: number;
  /** Who asked for the hold, for the refusal (e.g. `P1 of power_station`). */
  readonly label?: string;
}

/** A set_relay refused because the relay changed less than its minimum on/off time ago. */
export class RelayHoldError extends CommandRejectedError {
  constructor(
    message: string,
    /** When the relay may change again, ms from now. */
    readonly retryAfterMs: number,
  ) {
    super(message, 'on');
  }
}

interface HeldRelay {
  readonly spec: RelayHoldSpec;
  /** The state last written (or attempted: a failed write may have switched it) and when it changed. */
  last?: RelayChange;
}

/**
 * Anti-chatter for relays in front of a transfer switch, kept by the write path every caller shares
 * (the station composite, a direct `set_relay` through the API, HA or the CLI), keyed by device and
 * channel. Only a change is held: writing the state the relay was last given again is no chatter.
 * A relay whose history is unknown (first write since start) may change at once.
 */
export class RelayHolds {
  private readonly held = new Map<string, HeldRelay>();

  constructor(
    private readonly clock: Clock,
    /** Changes made by other processes (the CLI and the add-on share one). */
    private readonly ledger?: WriteLedger,
  ) {}

  add(spec: RelayHoldSpec): void {
    const key = holdKey(spec.deviceId, spec.channel);
    const existing = this.held.get(key);
    // Two stations on one relay (unusual): the longer hold wins.
    if (existing && existing.spec.minOnOffMs >= spec.minOnOffMs) return;
    this.held.set(key, { spec, ...(existing?.last === undefined ? {} : { last: existing.last }) });
  }

  /** Milliseconds until the channel may change again (0: now, or not held). */
  waitMs(deviceId: string, channel: number): number {
    const relay = this.held.get(holdKey(deviceId, channel));
    const last = relay && this.lastChange(relay);
    if (!relay || !last) return 0;
    return Math.max(0, last.at + relay.spec.minOnOffMs - this.clock.now());
  }

  /** Throws RelayHoldError when `command` would change a held relay inside its minimum on/off time. */
  check(deviceId: string, command: Command): void {
    if (command.type !== 'set_relay') return;
    const channel = command.channel ?? 0;
    const relay = this.held.get(holdKey(deviceId, channel));
    const last = relay && this.lastChange(relay);
    if (!relay || !last || last.on === command.on) return;
    const wait = this.waitMs(deviceId, channel);
    if (wait === 0) return;
    const since = this.clock.now() - last.at;
    const who = relay.spec.label === undefined ? '' : ` (${relay.spec.label})`;
    throw new RelayHoldError(
      `on: relay ${deviceId} channel ${channel}${who} was switched ${last.on ? 'on' : 'off'} ` +
        `${Math.floor(since / 1000)} s ago; its minimum on/off time is ${seconds(relay.spec.minOnOffMs)}, ` +
        `try again in ${seconds(wait)}`,
      wait,
    );
  }

  /** A set_relay is being written: a change starts the hold. */
  noteWrite(deviceId: string, command: Command): void {
    if (command.type !== 'set_relay') return;
    const channel = command.channel ?? 0;
    const relay = this.held.get(holdKey(deviceId, channel));
    if (!relay || this.lastChange(relay)?.on === command.on) return;
    relay.last = { on: command.on, at: this.clock.now() };
    this.ledger?.recordRelayChange(deviceId, channel, relay.last);
  }

  /** The later of what this process did and what the shared ledger says. */
  private lastChange(relay: HeldRelay): RelayChange | undefined {
    const shared = this.ledger?.lastRelayChange(relay.spec.deviceId, relay.spec.channel);
    if (!shared) return relay.last;
    if (!relay.last) return shared;
    return shared.at > relay.last.at ? shared : relay.last;
  }
}

function holdKey(deviceId: string, channel: number): string {
  return `${deviceId}#${channel}`;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}
