import type { Clock } from '@sps/core';
import type { CanBus } from './can-bus.js';
import { SOCKETCAND_DEFAULT_PORT, type CanConnection } from './connection.js';
import { CandumpReplayBus, type CandumpProblem } from './candump/replay.js';
import { SocketcanBus, type SocketcanProblem } from './socketcan/socketcan-bus.js';
import { SocketcandCanBus, type SocketcandClientOptions, type SocketcandProblem } from './socketcand/client.js';

export interface OpenCanBusOptions {
  /** Drives replay pacing, timeouts and timestamps (default: the system clock). */
  readonly clock?: Clock;
  /** Input a transport skipped (garbage from a gateway, a malformed log line), for a log line. */
  readonly onProblem?: (problem: CanTransportProblem) => void;
  /** Tuning for the socketcand client (timeouts, the echo probe, the element cap); defaults suit a LAN gateway. */
  readonly socketcand?: Pick<
    SocketcandClientOptions,
    'connectTimeoutMs' | 'livenessIntervalMs' | 'livenessTimeoutMs' | 'maxElementLength'
  >;
}

/** What a transport skipped without failing: one shape for every transport so a driver logs it once. */
export type CanTransportProblem = SocketcandProblem | CandumpProblem | SocketcanProblem;

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
        ...options.socketcand,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
      });
    case 'candump':
      return new CandumpReplayBus({
        file: connection.file ?? '',
        interface: connection.interface,
        replaySpeed: connection.replay_speed ?? 1,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
      });
    case 'socketcan':
      return new SocketcanBus({
        interface: connection.interface,
        ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
      });
  }
}

/** One line for a log: what was skipped and why. */
export function describeCanProblem(problem: CanTransportProblem): string {
  switch (problem.kind) {
    case 'garbage':
      return `garbage skipped: ${problem.text}`;
    case 'overlong':
      return `over-long input skipped (${problem.length} characters)`;
    case 'malformed':
      return `${'line' in problem ? `line ${problem.line}: ` : ''}malformed, skipped (${problem.reason}): ${problem.text}`;
    case 'gateway_error':
      return `gateway error: ${problem.text}`;
    case 'unexpected':
      return `unexpected message skipped: ${problem.text}`;
    case 'note':
      return problem.text;
    case 'error_frame':
      return `CAN error frame (class 0x${problem.id.toString(16)})`;
  }
}
