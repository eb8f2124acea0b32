import { systemClock, type Clock, type TimerHandle } from '@sps/core';
import {
  GATEWAY_TARGET_FAILED,
  ILLEGAL_ADDRESS,
  ILLEGAL_VALUE,
  ModbusSimulatorServer,
  modbusException as exception,
  SERVER_BUSY,
} from '@sps/device-modbus';
import { PLANT_HOLDING } from '../registers.js';
import { SigenergyPhysics, type SigenergyPhysicalState, type SigenergyPhysicsConfig } from './physics.js';
import {
  controlsFrom,
  initialPlantHolding,
  PLANT_U32_HOLDING,
  renderInverterInputs,
  renderPlantInputs,
  WRITABLE_PLANT_HOLDING,
  type SimulatedFirmware,
  type SimulatedInverter,
} from './register-image.js';

export interface SigenergySimulatorOptions {
  /** Drives the physics; a ManualClock lets tests run a day in milliseconds. */
  readonly clock?: Clock;
  /** Step the physics every second on `clock` (the demo, `sps simulate`); otherwise it advances on each request. */
  readonly realtime?: boolean;
  readonly plantUnitId?: number;
  /** Unit id of the first inverter; the others follow it. Default 1. */
  readonly firstInverterUnitId?: number;
  readonly inverterCount?: number;
  readonly firmware?: Partial<SimulatedFirmware>;
  readonly physics?: Partial<SigenergyPhysicsConfig>;
}

export interface SigenergySimulatorFaults {
  /** Answer every request this late (longer than the client's timeout makes it time out: a hung reply). */
  readonly responseDelayMs: number;
  /** Drop the TCP connection instead of answering. */
  readonly dropConnections: boolean;
  /** Answer every read with this Modbus exception (6 busy, 4 failure…); null = read normally. */
  readonly readException: number | null;
  /** Answer every write with this Modbus exception instead of applying it; null = write normally. */
  readonly writeException: number | null;
  /** After this many more register writes are applied, answer nothing more (a link cut mid-command); null = never. */
  readonly cutAfterWrites: number | null;
}

/** Which device a request's unit id reaches. */
type Target = { kind: 'plant' } | { kind: 'inverter'; index: number } | { kind: 'none' };

/**
 * A SigenStor that speaks real Modbus TCP (modbus-serial's ServerTCP, all unit ids) on loopback:
 * the plant on unit 247 and the inverters on 1.. (options), backed by a physical model. Registers
 * are rendered from the physics at request time; writes to the remote EMS registers change what
 * the battery does. Answers exception 02 outside its map, 03 for bad values, 11 for unknown units.
 */
export class SigenergySimulator {
  readonly plantUnitId: number;
  readonly inverters: readonly SimulatedInverter[];
  private firmwareState: SimulatedFirmware;
  private readonly clock: Clock;
  private readonly physics: SigenergyPhysics;
  private readonly holding: Map<number, number>;
  private readonly server: ModbusSimulatorServer;
  private ticker: TimerHandle | null = null;
  private faultState: SigenergySimulatorFaults = {
    responseDelayMs: 0,
    dropConnections: false,
    readException: null,
    writeException: null,
    cutAfterWrites: null,
  };
  private writes = 0;
  private readonly writeLog: { register: number; words: number[] }[] = [];

  constructor(private readonly options: SigenergySimulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.plantUnitId = options.plantUnitId ?? 247;
    const first = options.firstInverterUnitId ?? 1;
    this.inverters = Array.from({ length: options.inverterCount ?? 1 }, (_, i) => ({
      unitId: first + i,
      model: 'SigenStor EC 10.0 TP',
      serial: `SIMSIG${String(i + 1).padStart(4, '0')}`,
      firmware: 'V100R001C22SPC112',
    }));
    this.firmwareState = {
      plantPvReadsZero: false,
      withoutV27Registers: false,
      withoutBackupSoc: false,
      ...options.firmware,
    };
    this.physics = new SigenergyPhysics(this.clock.now(), options.physics);
    this.holding = initialPlantHolding(this.physics.config);
    this.server = new ModbusSimulatorServer(
      {
        read: (table, unit, address, count) => this.read(table, unit, address, count),
        write: (unit, address, values) => this.write(unit, address, values),
      },
      // The plant is the gateway to its inverters: one server answers every unit id.
      { unitId: 'any', faults: () => this.faultState },
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
  get state(): SigenergyPhysicalState {
    this.advance();
    return this.physics.state;
  }

  get firmware(): SimulatedFirmware {
    return this.firmwareState;
  }

  /** Switch firmware behaviour at run time (e.g. the PV-reads-0 release arrives by update). */
  setFirmware(firmware: Partial<SimulatedFirmware>): void {
    this.firmwareState = { ...this.firmwareState, ...firmware };
  }

  /** The plant's holding registers by address. */
  get holdingRegisters(): ReadonlyMap<number, number> {
    return new Map(this.holding);
  }

  /** Every applied write in order (FC6 one word, FC16 its words), for tests of write order. */
  get appliedWrites(): readonly { register: number; words: number[] }[] {
    return this.writeLog;
  }

  plantInputRegisters(): ReadonlyMap<number, number> {
    const state = this.state;
    return renderPlantInputs(state, this.physics.config, controlsFrom(this.holding), this.firmwareState);
  }

  inverterInputRegisters(index: number): ReadonlyMap<number, number> {
    const inverter = this.inverters[index];
    if (!inverter) throw new Error(`no inverter ${index}`);
    return renderInverterInputs(inverter, index, this.inverters.length, this.state, this.physics.config);
  }

  /** Registers written (FC6 counts 1, FC16 counts its registers). */
  get writeCount(): number {
    return this.writes;
  }

  get requestCount(): number {
    return this.server.requestCount;
  }

  setFaults(faults: Partial<SigenergySimulatorFaults>): void {
    this.faultState = { ...this.faultState, ...faults };
  }

  /** Close every open client connection now (the listener stays up). */
  dropConnections(): void {
    this.server.dropConnections();
  }

  /** Set a plant holding register directly (test setup), bypassing Modbus and the counters. */
  setHoldingRegister(register: number, value: number): void {
    this.advance();
    this.holding.set(register, value);
  }

  /** The holding registers this firmware has. */
  private visibleHolding(): ReadonlyMap<number, number> {
    if (!this.firmwareState.withoutBackupSoc) return this.holding;
    const regs = new Map(this.holding);
    regs.delete(PLANT_HOLDING.BACKUP_SOC);
    return regs;
  }

  private advance(): void {
    this.physics.advanceTo(this.clock.now(), controlsFrom(this.holding));
  }

  private target(unit: number): Target {
    if (unit === this.plantUnitId) return { kind: 'plant' };
    const index = this.inverters.findIndex((i) => i.unitId === unit);
    return index >= 0 ? { kind: 'inverter', index } : { kind: 'none' };
  }

  private read(table: 'input' | 'holding', unit: number, start: number, count: number): number[] {
    const { readException } = this.faultState;
    if (readException !== null) throw exception(readException, `read refused (simulated exception ${readException})`);
    const target = this.target(unit);
    if (target.kind === 'none') throw exception(GATEWAY_TARGET_FAILED, `no device at unit ${unit}`);
    let regs: ReadonlyMap<number, number>;
    if (table === 'holding') {
      if (target.kind !== 'plant') throw exception(ILLEGAL_ADDRESS, 'inverter holding registers are not simulated');
      this.advance();
      regs = this.visibleHolding();
    } else {
      regs = target.kind === 'plant' ? this.plantInputRegisters() : this.inverterInputRegisters(target.index);
    }
    const words: number[] = [];
    for (let r = start; r < start + count; r++) {
      const w = regs.get(r);
      if (w === undefined) throw exception(ILLEGAL_ADDRESS, `register ${r} is not mapped`);
      words.push(w);
    }
    return words;
  }

  private write(unit: number, start: number, values: readonly number[]): void {
    const { writeException, cutAfterWrites } = this.faultState;
    if (writeException !== null)
      throw exception(writeException, `write refused (simulated exception ${writeException})`);
    const target = this.target(unit);
    if (target.kind === 'none') throw exception(GATEWAY_TARGET_FAILED, `no device at unit ${unit}`);
    if (target.kind !== 'plant') throw exception(ILLEGAL_ADDRESS, 'inverter holding registers are not simulated');
    if (cutAfterWrites !== null) {
      if (cutAfterWrites <= 0) {
        this.dropConnections();
        throw exception(SERVER_BUSY, 'link cut');
      }
      this.faultState = { ...this.faultState, cutAfterWrites: cutAfterWrites - 1 };
    }
    // Validate the whole request first, so a refused FC16 leaves no trace.
    const visible = this.visibleHolding();
    values.forEach((value, i) => {
      const accepts = visible.has(start + i) ? WRITABLE_PLANT_HOLDING.get(start + i) : undefined;
      if (!accepts) throw exception(ILLEGAL_ADDRESS, `register ${start + i} is not writable`);
      if (!accepts(value)) throw exception(ILLEGAL_VALUE, `register ${start + i} does not accept ${value}`);
    });
    for (const r of PLANT_U32_HOLDING) {
      const touchesHigh = start <= r && r < start + values.length;
      const touchesLow = start <= r + 1 && r + 1 < start + values.length;
      if (touchesHigh !== touchesLow) throw exception(ILLEGAL_VALUE, `U32 register ${r} must be written as two words`);
    }
    this.advance(); // settle the physics under the old controls up to now
    values.forEach((value, i) => this.holding.set(start + i, value));
    this.writes += values.length;
    this.writeLog.push({ register: start, words: [...values] });
    this.advance();
  }
}
