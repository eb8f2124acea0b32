import { DeviceError, systemClock, type Clock } from '@sps/core';
import type { CanBus } from './can-bus.js';
import { canFrameProblem, type CanFrame } from './frame.js';
import { Listeners } from './listeners.js';

export interface VirtualCanBusOptions {
  /** Stamps frames that arrive without a timestamp (default: the system clock). */
  readonly clock?: Clock;
  /** Where an exception thrown by a frame or down listener goes (default: dropped). */
  readonly onListenerError?: (err: unknown) => void;
}

/**
 * A CAN bus in memory: every attached endpoint that is open sees the frames the others send, in
 * send order, never its own (SocketCAN's default for the sending socket). Delivery is asynchronous
 * (a microtask per frame) as on a real bus, so a station answering inside its frame listener cannot
 * reorder frames for the others. The simulators attach here; the SocketcandServer exposes it over TCP.
 */
export class VirtualCanBus {
  private readonly endpoints = new Set<VirtualEndpoint>();
  private readonly clock: Clock;
  private readonly onListenerError: (err: unknown) => void;
  private readonly taps = new Listeners<CanFrame>();

  constructor(options: VirtualCanBusOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.onListenerError = options.onListenerError ?? (() => undefined);
  }

  /** A new endpoint (closed until `open()`); `label` names it in reasons. */
  attach(label: string): CanBus {
    const endpoint = new VirtualEndpoint(label, this, this.onListenerError);
    this.endpoints.add(endpoint);
    return endpoint;
  }

  /** Closes an endpoint and takes it off the bus for good (a gateway's client that went away). */
  detach(endpoint: CanBus): void {
    for (const candidate of this.endpoints) {
      if (candidate === endpoint) {
        this.endpoints.delete(candidate);
        void candidate.close();
      }
    }
  }

  /** Puts a frame on the bus as if from a station nobody attached (every open endpoint sees it). */
  inject(frame: CanFrame): void {
    const problem = canFrameProblem(frame);
    if (problem !== null) throw new DeviceError('rejected', `virtual CAN bus: ${problem}`);
    this.deliver(frame, null);
  }

  /** Sees every frame on the bus, whoever sent it (tests and diagnostics). */
  tap(listener: (frame: CanFrame) => void): () => void {
    return this.taps.add(listener);
  }

  /** Simulates losing the link (bus-off, cable pulled): every open endpoint closes and fires onDown. */
  bringDown(reason: string): void {
    for (const endpoint of [...this.endpoints]) endpoint.lose(reason);
  }

  /** How many endpoints are attached (open or not). */
  get attachedEndpoints(): number {
    return this.endpoints.size;
  }

  /** How many endpoints are open now. */
  get openEndpoints(): number {
    return [...this.endpoints].filter((e) => e.isOpen).length;
  }

  /** @internal Called by an endpoint's send(). */
  deliver(frame: CanFrame, from: VirtualEndpoint | null): void {
    const stamped: CanFrame = {
      id: frame.id,
      extended: frame.extended,
      data: Uint8Array.from(frame.data),
      timestampMs: frame.timestampMs ?? this.clock.now(),
    };
    queueMicrotask(() => {
      this.taps.emit(stamped);
      for (const endpoint of [...this.endpoints]) {
        if (endpoint !== from && endpoint.isOpen) endpoint.receive(stamped);
      }
    });
  }
}

class VirtualEndpoint implements CanBus {
  private opened = false;
  private readonly frames: Listeners<CanFrame>;
  private readonly downs: Listeners<string>;

  constructor(
    readonly label: string,
    private readonly bus: VirtualCanBus,
    onListenerError: (err: unknown) => void,
  ) {
    this.frames = new Listeners(onListenerError);
    this.downs = new Listeners(onListenerError);
  }

  get isOpen(): boolean {
    return this.opened;
  }

  open(): Promise<void> {
    this.opened = true;
    return Promise.resolve();
  }

  send(frame: CanFrame): Promise<void> {
    if (!this.opened) return Promise.reject(new DeviceError('not_connected', `${this.label}: the bus is not open`));
    const problem = canFrameProblem(frame);
    if (problem !== null) return Promise.reject(new DeviceError('rejected', `${this.label}: ${problem}`));
    // The sender's own timestamp is not the bus's: the bus stamps on delivery.
    this.bus.deliver({ id: frame.id, extended: frame.extended, data: frame.data }, this);
    return Promise.resolve();
  }

  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.frames.add(listener);
  }

  onDown(listener: (reason: string) => void): () => void {
    return this.downs.add(listener);
  }

  close(): Promise<void> {
    this.opened = false;
    return Promise.resolve();
  }

  receive(frame: CanFrame): void {
    this.frames.emit(frame);
  }

  lose(reason: string): void {
    if (!this.opened) return;
    this.opened = false;
    this.downs.emit(`${this.label}: ${reason}`);
  }
}

/**
 * Two endpoints of one fresh virtual bus, both open: the smallest setup for a unit test
 * (a driver on one end, the test's frames on the other).
 */
export async function createCanBusPair(
  labels: readonly [string, string] = ['a', 'b'],
  options: VirtualCanBusOptions = {},
): Promise<{ bus: VirtualCanBus; a: CanBus; b: CanBus }> {
  const bus = new VirtualCanBus(options);
  const a = bus.attach(labels[0]);
  const b = bus.attach(labels[1]);
  await a.open();
  await b.open();
  return { bus, a, b };
}
