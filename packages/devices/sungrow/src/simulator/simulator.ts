import { systemClock, type Clock, type TimerHandle } from '@sps/core';
import {
  ModbusSimulatorServer,
  modbusException as exception,
  ILLEGAL_ADDRESS,
  ILLEGAL_VALUE,
  SERVER_BUSY,
} from '@sps/device-modbus';
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
  private readonly server: ModbusSimulatorServer;
  private ticker: TimerHandle | null = null;
  private faultState: SimulatorFaults = {
    responseDelayMs: 0,
    dropConnections: false,
    writeException: null,
    cutAfterWrites: null,
  };
  private writes = 0;

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
    this.server = new ModbusSimulatorServer(
      {
        read: (table, _unit, address, count) =>
          table === 'input' ? this.readInputs(address, count) : this.readHolding(address, count),
        write: (_unit, address, values) => this.writeHolding(address, values),
      },
      {
        unitId: this.unitId,
        faults: () => this.faultState,
      },
    );
  }

  /** Listen on host:port (port 0 = any free port); resolves with the port chosen. */
  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    const port = await this.server.start(address);
    if (this.options.realtime === true && this.ticker === null) {
      this.ticker = this.clock.setInterval(() => this.advance(), 1000);
    }
    return port;
  }

  async stop(): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    await this.server.stop();
  }

  get port(): number | null {
    return this.server.port;
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
    return this.server.requestCount;
  }

  get faults(): SimulatorFaults {
    return this.faultState;
  }

  setFaults(faults: Partial<SimulatorFaults>): void {
    this.faultState = { ...this.faultState, ...faults };
  }

  /** Close every open client connection now (the listener stays up). */
  dropConnections(): void {
    this.server.dropConnections();
  }

  /** Set a holding register directly (test setup), bypassing Modbus and the write counter. */
  setHoldingRegister(docRegister: number, value: number): void {
    this.advance();
    this.holding.set(docRegister, value);
  }

  private advance(): void {
    this.physics.advanceTo(this.clock.now(), controlsFrom(this.holding));
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
}
