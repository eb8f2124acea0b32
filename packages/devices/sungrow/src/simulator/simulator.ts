import { createServer } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import { systemClock, type Clock, type TimerHandle } from '@sps/core';
import { fromWireAddress } from '../registers.js';
import { SungrowPhysics, type SungrowPhysicalState, type SungrowPhysicsConfig } from './physics.js';
import {
  controlsFrom,
  initialHoldingRegisters,
  renderInputRegisters,
  WRITABLE_HOLDING,
  type SimulatedIdentity,
} from './register-image.js';

export interface SungrowSimulatorOptions {
  /** Drives the physics; a ManualClock lets tests run a day in milliseconds. */
  readonly clock?: Clock;
  /** Step the physics every second on `clock` (the demo); otherwise it advances on each request. */
  readonly realtime?: boolean;
  readonly unitId?: number;
  readonly deviceTypeCode?: number;
  readonly serial?: string;
  readonly batteryPowerSign?: SimulatedIdentity['batteryPowerSign'];
  readonly transport?: SimulatedIdentity['transport'];
  readonly physics?: Partial<SungrowPhysicsConfig>;
}

export interface SimulatorFaults {
  /** Answer every request this late (longer than the client's timeout to make it time out). */
  readonly responseDelayMs: number;
  /** Drop the TCP connection instead of answering. */
  readonly dropConnections: boolean;
  /**
   * Answer every register write with this Modbus exception instead of applying it (6 = server
   * device busy, 3 = illegal data value, …); null = write normally. Reads are not affected.
   */
  readonly writeException: number | null;
  /** After this many more register writes are applied, answer nothing more (a link cut mid-command); null = never. */
  readonly cutAfterWrites: number | null;
}

/** Modbus exception as modbus-serial's server expects it in a callback. */
const exception = (code: number, msg: string) => ({ modbusErrorCode: code, msg });
const ILLEGAL_ADDRESS = 2;
const ILLEGAL_VALUE = 3;
const SERVER_BUSY = 6;

type Callback<T> = (err: unknown, value?: T) => void;

/**
 * A Sungrow SH that speaks real Modbus TCP (modbus-serial's ServerTCP) on loopback, backed by a
 * physical model: registers are rendered from the physics at request time, writes to the control
 * registers change what the battery does. Answers exception 02 outside its register map, can
 * emulate both 13022 firmware generations and the WiNet-S (missing blocks), and can be made slow
 * or to drop connections for fault tests.
 */
export class SungrowSimulator {
  readonly unitId: number;
  readonly identity: SimulatedIdentity;
  private readonly clock: Clock;
  private readonly physics: SungrowPhysics;
  private readonly holding: Map<number, number>;
  private server: ServerTCP | null = null;
  private ticker: TimerHandle | null = null;
  private readonly pendingReplies = new Set<NodeJS.Timeout>();
  private faultState: SimulatorFaults = {
    responseDelayMs: 0,
    dropConnections: false,
    writeException: null,
    cutAfterWrites: null,
  };
  private boundPort: number | null = null;
  private writes = 0;
  private requests = 0;

  constructor(private readonly options: SungrowSimulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.unitId = options.unitId ?? 1;
    this.physics = new SungrowPhysics(this.clock.now(), options.physics);
    const rated = this.physics.config.ratedPowerW;
    const code = options.deviceTypeCode ?? 0x0e03;
    this.identity = {
      deviceTypeCode: code,
      serial: options.serial ?? 'SIM0000001',
      armSoftware: 'SIM-ARM_V1.0.0',
      dspSoftware: 'SIM-DSP_V1.0.0',
      ratedPowerW: rated,
      // 0x0Dxx are the single-phase RS/K models, 0x0Exx the three-phase RT models.
      phases: code >> 8 === 0x0d ? 1 : 3,
      batteryPowerSign: options.batteryPowerSign ?? 'signed',
      transport: options.transport ?? 'lan',
    };
    this.holding = initialHoldingRegisters(rated);
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
        this.server = await listen(this.vector(), host, port, this.unitId);
        this.boundPort = port;
        break;
      } catch (err) {
        lastError = err;
        if (address.port && address.port > 0) break;
      }
    }
    if (!this.server) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    if (this.options.realtime === true && this.ticker === null) {
      this.ticker = this.clock.setInterval(() => this.advance(), 1000);
    }
    return this.boundPort as number;
  }

  async stop(): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    for (const t of this.pendingReplies) clearTimeout(t);
    this.pendingReplies.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get port(): number | null {
    return this.boundPort;
  }

  /** The physical state now (advancing the model to the clock first). */
  get state(): SungrowPhysicalState {
    this.advance();
    return this.physics.state;
  }

  /** Holding registers by doc number. */
  get holdingRegisters(): ReadonlyMap<number, number> {
    return new Map(this.holding);
  }

  /** The input registers as a client would read them now, by doc number. */
  inputRegisters(): ReadonlyMap<number, number> {
    return renderInputRegisters(this.state, this.identity);
  }

  /** Register writes received (FC6 counts 1, FC16 counts its registers). */
  get writeCount(): number {
    return this.writes;
  }

  get requestCount(): number {
    return this.requests;
  }

  get faults(): SimulatorFaults {
    return this.faultState;
  }

  setFaults(faults: Partial<SimulatorFaults>): void {
    this.faultState = { ...this.faultState, ...faults };
  }

  /** Close every open client connection now (the listener stays up). */
  dropConnections(): void {
    this.server?.socks.forEach((_, sock) => sock.destroy());
  }

  /** Set a holding register directly (test setup), bypassing Modbus and the write counter. */
  setHoldingRegister(docRegister: number, value: number): void {
    this.advance();
    this.holding.set(docRegister, value);
  }

  private advance(): void {
    this.physics.advanceTo(this.clock.now(), controlsFrom(this.holding));
  }

  /** Run `answer` with the configured faults applied: late, or never (connection dropped). */
  private respond<T>(cb: Callback<T>, answer: () => T): void {
    this.requests++;
    if (this.faultState.dropConnections) {
      this.dropConnections();
      return;
    }
    const reply = (): void => {
      let value: T;
      try {
        value = answer();
      } catch (err) {
        // modbus-serial's FC4 handler indexes the value array even on error; an empty one keeps
        // it from turning our exception 02 into a TypeError (answered as exception 04).
        cb(err, [] as unknown as T);
        return;
      }
      cb(null, value);
    };
    if (this.faultState.responseDelayMs <= 0) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      this.pendingReplies.delete(timer);
      if (this.server) reply();
    }, this.faultState.responseDelayMs);
    this.pendingReplies.add(timer);
  }

  private readInputs(wireStart: number, count: number): number[] {
    const regs = this.inputRegisters();
    return this.readRange(regs, wireStart, count);
  }

  private readHolding(wireStart: number, count: number): number[] {
    this.advance();
    return this.readRange(this.holding, wireStart, count);
  }

  private readRange(regs: ReadonlyMap<number, number>, wireStart: number, count: number): number[] {
    const start = fromWireAddress(wireStart);
    const words: number[] = [];
    for (let r = start; r < start + count; r++) {
      const w = regs.get(r);
      if (w === undefined) throw exception(ILLEGAL_ADDRESS, `register ${r} is not mapped`);
      words.push(w);
    }
    return words;
  }

  private writeHolding(wireStart: number, values: readonly number[]): void {
    const start = fromWireAddress(wireStart);
    const { writeException, cutAfterWrites } = this.faultState;
    if (writeException !== null)
      throw exception(writeException, `write refused (simulated exception ${writeException})`);
    if (cutAfterWrites !== null) {
      if (cutAfterWrites <= 0) {
        // The link is cut: nothing more reaches the registers.
        this.dropConnections();
        throw exception(SERVER_BUSY, 'link cut');
      }
      this.faultState = { ...this.faultState, cutAfterWrites: cutAfterWrites - values.length };
    }
    // Validate the whole request before changing anything, so a rejected FC16 leaves no trace.
    values.forEach((value, i) => {
      const accepts = WRITABLE_HOLDING.get(start + i);
      if (!accepts) throw exception(ILLEGAL_ADDRESS, `register ${start + i} is not writable`);
      if (!accepts(value)) throw exception(ILLEGAL_VALUE, `register ${start + i} does not accept ${value}`);
    });
    this.advance(); // settle the physics under the old controls up to now
    values.forEach((value, i) => this.holding.set(start + i, value));
    this.writes += values.length;
    this.advance();
  }

  private vector() {
    return {
      getInputRegister: (addr: number, _unit: number, cb: Callback<number>) =>
        this.respond(cb, () => this.readInputs(addr, 1)[0] as number),
      getMultipleInputRegisters: (addr: number, length: number, _unit: number, cb: Callback<number[]>) =>
        this.respond(cb, () => this.readInputs(addr, length)),
      getHoldingRegister: (addr: number, _unit: number, cb: Callback<number>) =>
        this.respond(cb, () => this.readHolding(addr, 1)[0] as number),
      getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: Callback<number[]>) =>
        this.respond(cb, () => this.readHolding(addr, length)),
      setRegister: (addr: number, value: number, _unit: number, cb: Callback<void>) =>
        this.respond(cb, () => this.writeHolding(addr, [value])),
      setRegisterArray: (addr: number, values: number[], _unit: number, cb: Callback<void>) =>
        this.respond(cb, () => this.writeHolding(addr, values)),
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

function listen(vector: object, host: string, port: number, unitId: number): Promise<ServerTCP> {
  return new Promise((resolve, reject) => {
    const server = new ServerTCP(vector, { host, port, unitID: unitId });
    // Client sockets that vanish mid-reply are routine here (fault tests); never let them crash us.
    server.on('socketError', () => undefined);
    server.on('error', () => undefined);
    server.once('serverError', (err) => {
      server.close(() => reject(err ?? new Error(`cannot listen on ${host}:${port}`)));
    });
    server.once('initialized', () => resolve(server));
  });
}
