import { createServer } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import type { RegisterTable } from './client.js';

/** Modbus exception as modbus-serial's server expects it thrown from a handler. */
export const modbusException = (code: number, msg: string): { modbusErrorCode: number; msg: string } => ({
  modbusErrorCode: code,
  msg,
});

export const ILLEGAL_ADDRESS = 2;
export const ILLEGAL_VALUE = 3;
export const SERVER_BUSY = 6;
/** A gateway (e.g. a Sigenergy plant in front of its inverters) has nobody at that unit id. */
export const GATEWAY_TARGET_FAILED = 11;

/** What a simulated device does with a request; throw `modbusException(…)` to answer an exception. */
export interface SimulatedRegisters {
  read(table: RegisterTable, unitId: number, address: number, count: number): number[];
  write(unitId: number, address: number, values: readonly number[]): void;
}

/** The transport faults every simulated device offers, read afresh on each request. */
export interface TransportFaults {
  /** Answer every request this late (longer than the client's timeout makes it time out). */
  readonly responseDelayMs: number;
  /** Drop the TCP connection instead of answering. */
  readonly dropConnections: boolean;
}

export interface SimulatorServerOptions {
  /** The unit id answered; 'any' answers every unit id and hands it to the registers (a gateway). */
  readonly unitId: number | 'any';
  readonly faults: () => TransportFaults;
}

type Callback<T> = (err: unknown, value?: T) => void;

/**
 * The Modbus TCP side of a device simulator: real Modbus TCP (modbus-serial's ServerTCP) on
 * loopback, a free port found for port 0, the transport faults (late answers, dropped
 * connections) applied to every request. What the registers hold is the vendor simulator's job.
 */
export class ModbusSimulatorServer {
  private server: ServerTCP | null = null;
  private boundPort: number | null = null;
  private readonly pendingReplies = new Set<NodeJS.Timeout>();
  private requests = 0;

  constructor(
    private readonly registers: SimulatedRegisters,
    private readonly options: SimulatorServerOptions,
  ) {}

  get port(): number | null {
    return this.boundPort;
  }

  get isListening(): boolean {
    return this.server !== null;
  }

  get requestCount(): number {
    return this.requests;
  }

  /** Listen on host:port (port 0 = any free port); resolves with the port chosen. */
  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    if (this.server) throw new Error('simulator already started');
    const host = address.host ?? '127.0.0.1';
    let lastError: unknown;
    // modbus-serial's ServerTCP treats port 0 as "use 502", so a free port is found first; another
    // process may take it in between, hence the retries.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = address.port && address.port > 0 ? address.port : await freePort(host);
      try {
        this.server = await listen(this.vector(), host, port, this.options.unitId);
        this.boundPort = port;
        break;
      } catch (err) {
        lastError = err;
        if (address.port && address.port > 0) break;
      }
    }
    if (!this.server) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    return this.boundPort as number;
  }

  async stop(): Promise<void> {
    for (const t of this.pendingReplies) clearTimeout(t);
    this.pendingReplies.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Close every open client connection now (the listener stays up). */
  dropConnections(): void {
    this.server?.socks.forEach((_, sock) => sock.destroy());
  }

  /** Run `answer` with the transport faults applied: late, or never (connection dropped). */
  private respond<T>(cb: Callback<T>, answer: () => T): void {
    this.requests++;
    const faults = this.options.faults();
    if (faults.dropConnections) {
      this.dropConnections();
      return;
    }
    const reply = (): void => {
      let value: T;
      try {
        value = answer();
      } catch (err) {
        // modbus-serial's FC4 handler indexes the value array even on error; an empty one keeps
        // it from turning our exception into a TypeError (answered as exception 04).
        cb(err, [] as unknown as T);
        return;
      }
      cb(null, value);
    };
    if (faults.responseDelayMs <= 0) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      this.pendingReplies.delete(timer);
      if (this.server) reply();
    }, faults.responseDelayMs);
    this.pendingReplies.add(timer);
  }

  private vector() {
    const r = this.registers;
    return {
      getInputRegister: (addr: number, unit: number, cb: Callback<number>) =>
        this.respond(cb, () => r.read('input', unit, addr, 1)[0] as number),
      getMultipleInputRegisters: (addr: number, length: number, unit: number, cb: Callback<number[]>) =>
        this.respond(cb, () => r.read('input', unit, addr, length)),
      getHoldingRegister: (addr: number, unit: number, cb: Callback<number>) =>
        this.respond(cb, () => r.read('holding', unit, addr, 1)[0] as number),
      getMultipleHoldingRegisters: (addr: number, length: number, unit: number, cb: Callback<number[]>) =>
        this.respond(cb, () => r.read('holding', unit, addr, length)),
      setRegister: (addr: number, value: number, unit: number, cb: Callback<void>) =>
        this.respond(cb, () => r.write(unit, addr, [value])),
      setRegisterArray: (addr: number, values: number[], unit: number, cb: Callback<void>) =>
        this.respond(cb, () => r.write(unit, addr, values)),
    };
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function listen(vector: object, host: string, port: number, unitId: number | 'any'): Promise<ServerTCP> {
  return new Promise((resolve, reject) => {
    // unitID 255: modbus-serial's server then answers every unit id and hands it to the vector.
    const server = new ServerTCP(vector, { host, port, unitID: unitId === 'any' ? 255 : unitId });
    // Client sockets that vanish mid-reply are routine here (fault tests); never let them crash us.
    server.on('socketError', () => undefined);
    server.on('error', () => undefined);
    server.once('serverError', (err) => {
      server.close(() => reject(err ?? new Error(`cannot listen on ${host}:${port}`)));
    });
    server.once('initialized', () => resolve(server));
  });
}
