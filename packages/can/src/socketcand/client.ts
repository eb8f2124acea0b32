import { createConnection, type Socket } from 'node:net';
import { DeviceError, systemClock, toDeviceError, type Clock } from '@sps/core';
import type { CanBus } from '../can-bus.js';
import { canFrameProblem, type CanFrame } from '../frame.js';
import { Listeners } from '../listeners.js';
import { DEFAULT_MAX_ELEMENT_LENGTH, SocketcandElementReader, type ElementReaderProblem } from './element-reader.js';
import { EchoLiveness } from './liveness.js';
import { formatSendCommand, parseSocketcandMessage } from './protocol.js';

/** Something the gateway sent that was skipped; the link stays up. */
export type SocketcandProblem =
  | ElementReaderProblem
  /** An element that is not a message this client understands (bad id, bad data…). */
  | { readonly kind: 'malformed'; readonly text: string; readonly reason: string }
  /** `< error … >` from the gateway: a bus error frame or a refused command. */
  | { readonly kind: 'gateway_error'; readonly text: string }
  /** A well-formed message out of place (e.g. `< hi >` twice). */
  | { readonly kind: 'unexpected'; readonly text: string };

export interface SocketcandStats {
  framesReceived: number;
  framesSent: number;
  garbage: number;
  overlong: number;
  malformed: number;
  gatewayErrors: number;
  echoesSent: number;
  echoReplies: number;
}

export interface SocketcandClientOptions {
  readonly host: string;
  /** Default 29536. */
  readonly port?: number;
  /** The gateway's bus name; default can0. */
  readonly interface?: string;
  /** Runs the connect/handshake timeout (default: the system clock). */
  readonly clock?: Clock;
  /** How long the TCP connect plus the hi/open/rawmode handshake may take. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * After this long with nothing from the gateway, ask `< echo >`; 0 turns the probe off. Default 10000 ms.
   * A silent bus is normal; a silent gateway is not.
   */
  readonly livenessIntervalMs?: number;
  /** How long the echo (or anything else) may take before the link counts as lost. Default 5000 ms. */
  readonly livenessTimeoutMs?: number;
  /** Longest element accepted; longer ones are skipped and reported. Default 4096. */
  readonly maxElementLength?: number;
  /** Every skipped input (for a log line or a counter); never throws into the socket. */
  readonly onProblem?: (problem: SocketcandProblem) => void;
  /** Where an exception thrown by a frame or down listener goes (default: dropped). */
  readonly onListenerError?: (err: unknown) => void;
}

type HandshakePhase = 'connecting' | 'hi' | 'open' | 'rawmode';

interface PendingOpen {
  readonly socket: Socket;
  fail(err: DeviceError): void;
}

/**
 * A CanBus on a socketcand gateway: one persistent TCP connection, raw mode (every frame on the
 * bus, with the gateway's timestamps). A lost connection fires onDown once; `open()` may be called
 * again to reconnect (reconnect policy belongs to the caller, which knows its device's cadence).
 */
export class SocketcandCanBus implements CanBus {
  readonly label: string;
  readonly stats: SocketcandStats = {
    framesReceived: 0,
    framesSent: 0,
    garbage: 0,
    overlong: 0,
    malformed: 0,
    gatewayErrors: 0,
    echoesSent: 0,
    echoReplies: 0,
  };

  private readonly host: string;
  private readonly port: number;
  private readonly busName: string;
  private readonly clock: Clock;
  private readonly connectTimeoutMs: number;
  private readonly maxElementLength: number;
  private readonly frames: Listeners<CanFrame>;
  private readonly downs: Listeners<string>;
  private socket: Socket | null = null;
  private opening: Promise<void> | null = null;
  private pending: PendingOpen | null = null;

  constructor(private readonly options: SocketcandClientOptions) {
    this.host = options.host;
    this.port = options.port ?? 29536;
    this.busName = options.interface ?? 'can0';
    this.clock = options.clock ?? systemClock;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.maxElementLength = options.maxElementLength ?? DEFAULT_MAX_ELEMENT_LENGTH;
    this.label = `socketcand ${this.host}:${this.port} ${this.busName}`;
    this.frames = new Listeners(options.onListenerError);
    this.downs = new Listeners(options.onListenerError);
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  open(): Promise<void> {
    if (this.socket !== null) return Promise.resolve();
    this.opening ??= this.connect().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  send(frame: CanFrame): Promise<void> {
    const socket = this.socket;
    if (socket === null) return Promise.reject(new DeviceError('not_connected', `${this.label}: the bus is not open`));
    const problem = canFrameProblem(frame);
    if (problem !== null) return Promise.reject(new DeviceError('rejected', `${this.label}: ${problem}`));
    return new Promise((resolve, reject) => {
      socket.write(formatSendCommand(frame), 'latin1', (err) => {
        if (err) {
          reject(new DeviceError('connection_lost', `${this.label}: could not send (${err.message})`, { cause: err }));
        } else {
          this.stats.framesSent += 1;
          resolve();
        }
      });
    });
  }

  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.frames.add(listener);
  }

  onDown(listener: (reason: string) => void): () => void {
    return this.downs.add(listener);
  }

  close(): Promise<void> {
    this.pending?.fail(new DeviceError('not_connected', `${this.label}: closed while opening`));
    const socket = this.socket;
    this.socket = null;
    if (socket === null || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private report(problem: SocketcandProblem): void {
    switch (problem.kind) {
      case 'garbage':
        this.stats.garbage += 1;
        break;
      case 'overlong':
        this.stats.overlong += 1;
        break;
      case 'malformed':
      case 'unexpected':
        this.stats.malformed += 1;
        break;
      case 'gateway_error':
        this.stats.gatewayErrors += 1;
        break;
    }
    try {
      this.options.onProblem?.(problem);
    } catch {
      // A diagnostics callback must not break the link.
    }
  }

  private connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let phase: HandshakePhase = 'connecting';
      let settled = false;
      let lastError: Error | null = null;
      let lossReason: string | null = null;
      const liveness = new EchoLiveness(
        this.clock,
        this.options.livenessIntervalMs ?? 10_000,
        this.options.livenessTimeoutMs ?? 5000,
        () => {
          this.stats.echoesSent += 1;
          socket.write('< echo >', 'latin1');
        },
        (reason) => {
          lossReason = reason;
          socket.destroy();
        },
      );
      const socket = createConnection({ host: this.host, port: this.port });
      socket.setEncoding('latin1');
      socket.setNoDelay(true);

      const timer = this.clock.setTimeout(() => {
        const what = phase === 'connecting' ? 'no TCP connection' : `no answer to the ${phase} step`;
        fail(new DeviceError('timeout', `${this.label}: ${what} within ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);

      const fail = (err: DeviceError): void => {
        if (settled) return;
        settled = true;
        this.pending = null;
        timer.cancel();
        socket.destroy();
        reject(err);
      };
      const succeed = (): void => {
        settled = true;
        this.pending = null;
        timer.cancel();
        this.socket = socket;
        // Half-open links (gateway powered off, Wi-Fi gone) surface as a TCP keep-alive failure.
        socket.setKeepAlive(true, 15_000);
        liveness.start();
        resolve();
      };
      this.pending = { socket, fail };

      const handle = (inner: string): void => {
        const parsed = parseSocketcandMessage(inner);
        if (!parsed.ok) {
          this.report({ kind: 'malformed', text: inner.slice(0, 200), reason: parsed.reason });
          return;
        }
        const message = parsed.value;
        if (settled) {
          if (this.socket !== socket) return;
          switch (message.kind) {
            case 'frame':
              this.stats.framesReceived += 1;
              this.frames.emit(message.frame);
              return;
            case 'error':
              this.report({ kind: 'gateway_error', text: message.text });
              return;
            case 'echo':
              this.stats.echoReplies += 1;
              return;
            case 'ignored':
              return;
            default:
              this.report({ kind: 'unexpected', text: inner.slice(0, 200) });
              return;
          }
        }
        if (message.kind === 'error') {
          fail(
            new DeviceError(
              'rejected',
              `${this.label}: the gateway refused ${phase === 'open' ? `to open ${this.busName}` : phase}: ${message.text}`,
            ),
          );
          return;
        }
        if (phase === 'hi' && message.kind === 'hi') {
          phase = 'open';
          socket.write(`< open ${this.busName} >`, 'latin1');
        } else if (phase === 'open' && message.kind === 'ok') {
          phase = 'rawmode';
          socket.write('< rawmode >', 'latin1');
        } else if (phase === 'rawmode' && message.kind === 'ok') {
          succeed();
        } else if (message.kind !== 'ignored' && message.kind !== 'frame') {
          this.report({ kind: 'unexpected', text: inner.slice(0, 200) });
        }
      };
      const reader = new SocketcandElementReader(handle, (problem) => this.report(problem), this.maxElementLength);

      socket.on('connect', () => {
        phase = 'hi';
      });
      socket.on('data', (chunk: string) => {
        liveness.heard();
        reader.push(chunk);
      });
      socket.on('error', (err) => {
        lastError = err;
        if (!settled) {
          const mapped = toDeviceError(err);
          fail(new DeviceError(mapped.kind, `${this.label}: ${mapped.message}`, { cause: err }));
        }
      });
      socket.on('close', () => {
        liveness.stop();
        if (!settled) {
          fail(
            new DeviceError(
              'connection_lost',
              `${this.label}: the gateway closed the connection during the ${phase} step`,
            ),
          );
          return;
        }
        if (this.socket !== socket) return; // closed by close(): not a loss
        this.socket = null;
        const reason =
          lossReason !== null
            ? `${this.label}: ${lossReason}`
            : lastError === null
              ? `${this.label}: the gateway closed the connection`
              : `${this.label}: connection lost (${lastError.message})`;
        this.downs.emit(reason);
      });
    });
  }
}
