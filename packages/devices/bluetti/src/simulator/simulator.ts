import { randomBytes } from 'node:crypto';
import { DeviceError, systemClock, type Clock } from '@sps/core';
import { CHARGING_MODES, UPS_MODES } from '../codec/fields.js';
import { encodeHandshakeFrame, HandshakeType } from '../codec/handshake.js';
import {
  decodeRequest,
  encodeException,
  encodeReadResponse,
  encodeWriteEcho,
  FC_READ_HOLDING,
  FC_WRITE_SINGLE,
  MAX_READ_COUNT,
  type ModbusRequest,
} from '../codec/modbus-frames.js';
import { findModel, type BluettiModel } from '../codec/models.js';
import { DEFAULT_NOTIFICATION_SIZE } from '../gatt.js';
import type { GattCentralLink, GattPeripheral, GattPeripheralSession } from '../transport/gatt-peripheral.js';
import { GattTunnelServer } from '../transport/tunnel-server.js';
import { BluettiPhysics, type BluettiPhysicalState, type BluettiPhysicsConfig, type ChargingMode } from './physics.js';
import { renderRegisters, type SimulatedIdentity } from './register-image.js';

export interface BluettiSimulatorOptions {
  /** Model name from the model table; AC180 (V2) unless told. */
  readonly model?: string;
  readonly serial?: string;
  readonly address?: string;
  /** Drives the physics; a ManualClock lets tests run hours in milliseconds. */
  readonly clock?: Clock;
  readonly physics?: Partial<BluettiPhysicsConfig>;
  readonly initial?: Partial<Omit<BluettiPhysicalState, 'capacityWh'>>;
}

export interface BluettiSimulatorFaults {
  /** Bytes per FF01 notification; 20 is what the default ATT MTU of 23 allows. */
  readonly notificationSize: number;
  /** The next N answers go out with a broken CRC. */
  readonly corruptResponses: number;
  /** The next N answers are well-formed frames with a wrong byte count (a confused station). */
  readonly malformedResponses: number;
  /** The next N requests get no answer at all. */
  readonly dropRequests: number;
  /** No request gets an answer. */
  readonly unresponsive: boolean;
  /** Newer firmware: sends the key-exchange challenge and never answers plain Modbus (§1.4). */
  readonly encrypted: boolean;
}

const NO_FAULTS: BluettiSimulatorFaults = {
  notificationSize: DEFAULT_NOTIFICATION_SIZE,
  corruptResponses: 0,
  malformedResponses: 0,
  dropRequests: 0,
  unresponsive: false,
  encrypted: false,
};

/** The simulator's Bluetooth address unless told otherwise (locally administered, never a real station). */
export const DEFAULT_SIMULATOR_ADDRESS = 'F2:0B:1E:77:00:01';

const ILLEGAL_ADDRESS = 2;
const ILLEGAL_VALUE = 3;

/**
 * A Bluetti station that speaks the real frames: Modbus-RTU over GATT, answers split into
 * MTU-sized notifications, identity registers for model detection, FC6 control writes that
 * switch the physics. Reachable in-process (InMemoryBleTransport) or from another process
 * through the loopback GATT tunnel (`start()`). Faults: corrupt CRCs, malformed answers,
 * swallowed requests, tiny notifications, the encrypted firmware's challenge, the AT-command
 * chatter of a broken link, and vanishing out of range.
 */
export class BluettiSimulator implements GattPeripheral {
  readonly model: BluettiModel;
  readonly identity: SimulatedIdentity;
  readonly address: string;
  readonly localName: string;
  private readonly clock: Clock;
  private readonly physics: BluettiPhysics;
  private faultState: BluettiSimulatorFaults = NO_FAULTS;
  private session: { link: GattCentralLink; subscribed: boolean } | null = null;
  private absentReason: string | null = null;
  private tunnel: GattTunnelServer | null = null;
  private requests = 0;
  private writes = 0;
  private connections = 0;

  constructor(options: BluettiSimulatorOptions = {}) {
    const model = findModel(options.model ?? 'AC180');
    if (!model) throw new Error(`unknown Bluetti model ${options.model ?? ''}`);
    this.model = model;
    this.clock = options.clock ?? systemClock;
    const serial = options.serial ?? '2400000000001';
    if (!/^\d{1,19}$/.test(serial)) throw new Error('serial must be decimal digits');
    this.identity = { model, serial, armVersion: 4030.15, dspVersion: 4005.07 };
    this.address = (options.address ?? DEFAULT_SIMULATOR_ADDRESS).toUpperCase();
    this.localName = `${model.name}${serial}`;
    this.physics = new BluettiPhysics(
      this.clock.now(),
      { ...(model.capacityWh === undefined ? {} : { capacityWh: model.capacityWh }), ...options.physics },
      options.initial,
    );
  }

  // ---- for people and tests ----

  /** The physical state now (the model advanced to the clock first). Mutating it changes the station. */
  get state(): BluettiPhysicalState {
    this.physics.advanceTo(this.clock.now());
    return this.physics.state;
  }

  /** Change the world around the station (grid present, sun, loads) and recompute the flows. */
  setEnvironment(
    env: Partial<Pick<BluettiPhysicalState, 'gridConnected' | 'pvAvailableW' | 'acLoadW' | 'dcLoadW' | 'socPct'>>,
  ): void {
    Object.assign(this.state, env);
    this.physics.computeFlows();
  }

  /** Registers as the station would answer them now. */
  registers(): ReadonlyMap<number, number> {
    return renderRegisters(this.identity, this.state);
  }

  get faults(): BluettiSimulatorFaults {
    return this.faultState;
  }

  setFaults(faults: Partial<BluettiSimulatorFaults>): void {
    this.faultState = { ...this.faultState, ...faults };
  }

  get requestCount(): number {
    return this.requests;
  }

  /** Control-register writes applied. */
  get writeCount(): number {
    return this.writes;
  }

  /** Centrals accepted so far. */
  get connectionCount(): number {
    return this.connections;
  }

  get connected(): boolean {
    return this.session !== null;
  }

  /** Out of range / switched off: the link drops and new connections fail until `reappear()`. */
  vanish(reason = 'the station is out of range'): void {
    this.absentReason = reason;
    this.dropLink(reason);
  }

  reappear(): void {
    this.absentReason = null;
  }

  /** Drop the current link (the station stays reachable). */
  dropLink(reason = 'the station dropped the link'): void {
    const session = this.session;
    this.session = null;
    session?.link.disconnect(reason);
  }

  /** The BLE module's `AT+NAME?` chatter that signals a broken link (§1.1). */
  sendAtChatter(): void {
    this.session?.link.notify(Buffer.from('AT+NAME?\r', 'latin1'));
  }

  // ---- loopback TCP GATT tunnel (`sps simulate bluetti`, the demo) ----

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    if (this.tunnel) throw new Error('simulator already started');
    const tunnel = new GattTunnelServer(this);
    const port = await tunnel.start(address);
    this.tunnel = tunnel;
    return port;
  }

  get port(): number | null {
    return this.tunnel?.port ?? null;
  }

  async stop(): Promise<void> {
    const tunnel = this.tunnel;
    this.tunnel = null;
    this.dropLink('the simulator stopped');
    await tunnel?.stop();
  }

  // ---- GattPeripheral ----

  accept(link: GattCentralLink): GattPeripheralSession {
    if (this.absentReason !== null) {
      throw new DeviceError('connection_refused', `${this.address} not found: ${this.absentReason}`);
    }
    // A station holds one BLE connection; a new central takes over from a stale one.
    this.dropLink('another central connected');
    const entry = { link, subscribed: false };
    this.session = entry;
    this.connections++;
    const live = (): boolean => this.session === entry;
    return {
      subscribed: () => {
        if (!live()) return;
        entry.subscribed = true;
        if (this.faultState.encrypted) this.sendChallenge();
      },
      write: (chunk) => {
        if (live()) this.onWrite(chunk);
      },
      close: () => {
        if (live()) this.session = null;
      },
    };
  }

  private onWrite(chunk: Uint8Array): void {
    if (this.faultState.encrypted) {
      // The encrypted firmware ignores plain Modbus and repeats its challenge.
      this.sendChallenge();
      return;
    }
    let request: ModbusRequest;
    try {
      request = decodeRequest(chunk);
    } catch {
      return; // like a Modbus slave: a frame it cannot trust gets no answer
    }
    this.requests++;
    if (this.faultState.unresponsive) return;
    if (this.faultState.dropRequests > 0) {
      this.setFaults({ dropRequests: this.faultState.dropRequests - 1 });
      return;
    }
    this.respond(this.answer(request));
  }

  private answer(request: ModbusRequest): Uint8Array {
    if (request.fc === FC_READ_HOLDING) {
      if (request.count < 1 || request.count > MAX_READ_COUNT) return encodeException(request.fc, ILLEGAL_VALUE);
      if (request.start + request.count > 0x10000) return encodeException(request.fc, ILLEGAL_ADDRESS);
      const image = this.registers();
      const values = Array.from({ length: request.count }, (_, i) => image.get(request.start + i) ?? 0);
      if (this.faultState.malformedResponses > 0) {
        this.setFaults({ malformedResponses: this.faultState.malformedResponses - 1 });
        return encodeReadResponse(values.slice(0, Math.max(1, values.length - 1)));
      }
      return encodeReadResponse(values);
    }
    if (request.fc !== FC_WRITE_SINGLE) return encodeException(request.fc, 1);
    const code = this.applyWrite(request.address, request.value);
    return code === null ? encodeWriteEcho(request) : encodeException(request.fc, code);
  }

  /** Apply a control write; null when accepted, else the Modbus exception code. */
  private applyWrite(register: number, value: number): number | null {
    const s = this.state;
    const switches = this.model.switches;
    const toggles: [number | undefined, (on: boolean) => void][] = [
      [switches.ac_output_on.register, (on) => (s.acOutputOn = on)],
      [switches.dc_output_on?.register, (on) => (s.dcOutputOn = on)],
      [switches.grid_charge_on?.register, (on) => (s.gridChargeOn = on)],
    ];
    for (const [reg, apply] of toggles) {
      if (reg !== register) continue;
      if (value !== 0 && value !== 1) return ILLEGAL_VALUE;
      apply(value === 1);
      return this.applied();
    }
    const mode = this.model.modes.find((m) => m.register === register);
    if (mode) {
      const table = mode.key === 'charging_mode' ? CHARGING_MODES : UPS_MODES;
      const name = table[value];
      if (name === undefined) return ILLEGAL_VALUE;
      if (mode.key === 'charging_mode') s.chargingMode = name as ChargingMode;
      else s.upsMode = name;
      return this.applied();
    }
    return ILLEGAL_ADDRESS;
  }

  private applied(): null {
    this.writes++;
    this.physics.computeFlows();
    return null;
  }

  private respond(frame: Uint8Array): void {
    const out = Uint8Array.from(frame);
    if (this.faultState.corruptResponses > 0) {
      this.setFaults({ corruptResponses: this.faultState.corruptResponses - 1 });
      out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
    }
    this.notify(out);
  }

  private sendChallenge(): void {
    this.notify(encodeHandshakeFrame(HandshakeType.CHALLENGE, randomBytes(4)));
  }

  private notify(bytes: Uint8Array): void {
    const session = this.session;
    if (session === null || !session.subscribed) return;
    const size = Math.max(1, Math.floor(this.faultState.notificationSize));
    for (let i = 0; i < bytes.length; i += size) session.link.notify(bytes.slice(i, i + size));
  }
}
