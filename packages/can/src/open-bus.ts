import { DeviceError, type Clock } from '@sps/core';
import type { CanBus } from './can-bus.js';
import { describeCanConnection, SOCKETCAND_DEFAULT_PORT, type CanConnection } from './connection.js';
import { SocketcandCanBus, type SocketcandProblem } from './socketcand/client.js';
import type { CanFrame } from './frame.js';

export interface OpenCanBusOptions {
  /** Drives replay pacing, timeouts and timestamps (default: the system clock). */
  readonly clock?: Clock;
  /** Input a transport skipped (garbage from a gateway, a malformed log line), for a log line. */
  readonly onProblem?: (problem: CanTransportProblem) => void;
}

/** What a transport skipped without failing: one shape for every transport so a driver logs it once. */
export type CanTransportProblem = SocketcandProblem;

/**
 * The CanBus for a parsed `connection` block. Nothing is opened yet: the caller's `open()` does
 * it and reports a DeviceError naming what failed.
 */
export function openCanBus(connection: CanConnection, options: OpenCanBusOptions = {}): CanBus {
  switch (connection.transport) {
    case 'socketcand':
      return new SocketcandCanBus({
        host: connection.host ?? '127.0.0.1',
        port: connection.port ?? SOCKETCAND_DEFAULT_PORT,
        interface: connection.interface,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
      });
    default:
      return new UnavailableCanBus(
        describeCanConnection(connection),
        `the ${connection.transport} transport is not built into this version yet`,
      );
  }
}

/** A bus that can never open, with the reason why (a transport this system cannot offer). */
export class UnavailableCanBus implements CanBus {
  readonly isOpen = false;

  constructor(
    readonly label: string,
    private readonly reason: string,
  ) {}

  open(): Promise<void> {
    return Promise.reject(new DeviceError('unsupported', `${this.label}: ${this.reason}`));
  }

  send(frame: CanFrame): Promise<void> {
    void frame;
    return Promise.reject(new DeviceError('not_connected', `${this.label}: the bus is not open`));
  }

  onFrame(): () => void {
    return () => undefined;
  }

  onDown(): () => void {
    return () => undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
