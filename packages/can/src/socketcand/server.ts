import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '@sps/core';
import type { CanBus } from '../can-bus.js';
import type { VirtualCanBus } from '../virtual-bus.js';
import { DEFAULT_MAX_ELEMENT_LENGTH, SocketcandElementReader, type ElementReaderProblem } from './element-reader.js';
import { formatFrameMessage, parseSocketcandCommand, type SocketcandCommand } from './protocol.js';

export type SocketcandServerProblem =
  ElementReaderProblem | { readonly kind: 'malformed'; readonly text: string; readonly reason: string };

export interface SocketcandServerOptions {
  readonly bus: VirtualCanBus;
  /** Bus names a client may open (default ["can0"]); any other gets `< error could not open bus >`. */
  readonly interfaces?: readonly string[];
  /** Stamps the frames sent to raw-mode clients (default: the system clock). */
  readonly clock?: Clock;
  readonly maxElementLength?: number;
  /** Every skipped client input (for tests and logs). */
  readonly onProblem?: (problem: SocketcandServerProblem) => void;
}

/**
 * The gateway side of the socketcand protocol over a VirtualCanBus: what the simulators, the tests
 * and the demo put on loopback so the production socketcand client is what talks to them. Each
 * client gets its own endpoint on the bus, so a client's `< send >` reaches the bus and every other
 * raw-mode client (and not itself, as with the daemon's RAW socket). Like the daemon
 * (linux-can/socketcand src/state_nobus.c, state_raw.c): `< hi >` on connect, `< open bus >` →
 * `< ok >` or `< error could not open bus >` and a closed connection, `< rawmode >`/`< bcmmode >` →
 * `< ok >`, `< echo >` echoed. BCM jobs and filters are not offered: they are answered with
 * `< error … >`, as are malformed commands (the daemon only logs those; an answer is kinder to the
 * person debugging a simulator).
 */
export class SocketcandServer {
  private readonly bus: VirtualCanBus;
  private readonly interfaces: readonly string[];
  private readonly clock: Clock;
  private readonly maxElementLength: number;
  private server: Server | null = null;
  private readonly sessions = new Set<Session>();

  constructor(private readonly options: SocketcandServerOptions) {
    this.bus = options.bus;
    this.interfaces = options.interfaces ?? ['can0'];
    this.clock = options.clock ?? systemClock;
    this.maxElementLength = options.maxElementLength ?? DEFAULT_MAX_ELEMENT_LENGTH;
  }

  /** Listens on `host`:`port` (default 127.0.0.1 and a free port); resolves with the port. */
  start(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server !== null) return Promise.resolve(this.port);
    const server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        // Later server errors (none expected once listening) must not crash the process.
        server.on('error', () => undefined);
        this.server = server;
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? (address as AddressInfo).port : 0;
  }

  /** Connected clients. */
  get clientCount(): number {
    return this.sessions.size;
  }

  /** Drops every client's TCP connection and keeps listening (a gateway restart, for tests). */
  disconnectAll(): void {
    for (const session of [...this.sessions]) session.drop();
  }

  /** Stops listening and drops every client. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = [...this.sessions].map((session) => session.drop());
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(closed);
  }

  private accept(socket: Socket): void {
    const session = new Session(socket, this.bus, this.interfaces, this.clock, this.maxElementLength, (p) => {
      try {
        this.options.onProblem?.(p);
      } catch {
        // Diagnostics must not break the server.
      }
    });
    this.sessions.add(session);
    socket.once('close', () => this.sessions.delete(session));
  }
}

/** One client connection through its protocol states (NO_BUS → BCM ⇄ RAW). */
class Session {
  private state: 'nobus' | 'bcm' | 'raw' = 'nobus';
  private endpoint: CanBus | null = null;
  private readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly bus: VirtualCanBus,
    private readonly interfaces: readonly string[],
    private readonly clock: Clock,
    maxElementLength: number,
    private readonly onProblem: (problem: SocketcandServerProblem) => void,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    // A client that vanished without closing (a crashed test, a laptop gone to sleep) is found by TCP keep-alive.
    socket.setKeepAlive(true, 30_000);
    const reader = new SocketcandElementReader((inner) => this.handle(inner), onProblem, maxElementLength);
    socket.on('data', (chunk: string) => reader.push(chunk));
    // A client resetting the connection is its business; 'close' follows and cleans up.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.endpoint !== null) this.bus.detach(this.endpoint);
      this.endpoint = null;
    });
    this.write('< hi >');
  }

  drop(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private write(text: string): void {
    if (this.socket.writable) this.socket.write(text, 'latin1');
  }

  private handle(inner: string): void {
    const parsed = parseSocketcandCommand(inner);
    if (!parsed.ok) {
      this.onProblem({ kind: 'malformed', text: inner.slice(0, 200), reason: parsed.reason });
      this.write(`< error ${parsed.reason.replaceAll(/[<>]/g, '')} >`);
      return;
    }
    if (this.state === 'nobus') this.handleNoBus(parsed.value);
    else this.handleOpen(parsed.value);
  }

  private handleNoBus(command: SocketcandCommand): void {
    if (command.kind !== 'open') {
      this.write('< error unknown command >');
      return;
    }
    if (!this.interfaces.includes(command.bus)) {
      this.write('< error could not open bus >');
      this.socket.end();
      return;
    }
    const endpoint = this.bus.attach(
      `socketcand client ${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0} on ${command.bus}`,
    );
    endpoint.onFrame((frame) => {
      if (this.state === 'raw') this.write(formatFrameMessage(frame, this.clock.now()));
    });
    // The bus failing ends the session, as the daemon shuts a client down when its CAN socket fails.
    endpoint.onDown(() => this.socket.destroy());
    this.endpoint = endpoint;
    // A virtual endpoint is open as soon as open() returns (its promise never rejects), so the state
    // changes now: a client may send `< rawmode >` in the same TCP chunk as `< open … >`.
    void endpoint.open();
    this.state = 'bcm';
    this.write('< ok >');
  }

  private handleOpen(command: SocketcandCommand): void {
    switch (command.kind) {
      case 'rawmode':
        this.state = 'raw';
        this.write('< ok >');
        return;
      case 'bcmmode':
        this.state = 'bcm';
        this.write('< ok >');
        return;
      case 'echo':
        this.write('< echo >');
        return;
      case 'send':
        this.endpoint?.send(command.frame).catch((err: unknown) => {
          this.write(`< error ${err instanceof Error ? err.message.replaceAll(/[<>]/g, '') : 'send failed'} >`);
        });
        return;
      case 'open':
        this.write('< error a bus is already open >');
        return;
      case 'unsupported':
        this.write(`< error ${command.command} is not supported by this gateway >`);
        return;
    }
  }
}
