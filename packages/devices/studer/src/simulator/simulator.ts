import { SocketcandServer, VirtualCanBus, type CanBus, type CanFrame } from '@sps/can';
import { systemClock, type Clock } from '@sps/core';
import {
  decodeRequestFrame,
  encodeResponseFrame,
  XCOM_ERROR,
  xcomErrorName,
  type XcomRequest,
  type XcomResponse,
} from '../codec/frames.js';
import { STUDER_ADDRESS, VT_INFO, XT_INFO } from '../codec/objects.js';
import { StuderPhysics, type StuderPhysicsOptions, type StuderSimState } from './physics.js';

export interface StuderSimulatorOptions extends StuderPhysicsOptions {
  /** Drives the physics (default the system clock; tests pass a ManualClock). */
  readonly clock?: Clock;
  readonly xtenderAddress?: number;
  readonly varioTrackAddress?: number;
}

/** How the simulated Xcom-CAN misbehaves: answers GATEWAY_BUSY to everything, or not at all. */
export type StuderFault = 'none' | 'busy' | 'silent';

/**
 * The Xcom-CAN with an Xtender and a VarioTrack behind it, on a VirtualCanBus: it reads the
 * public-protocol requests addressed to its devices and answers them from StuderPhysics, stepped
 * to the clock's now. Parameters have a flash and a RAM value and a min/max; a write out of range is
 * answered DATA_TOO_SMALL/DATA_TOO_BIG, an unknown object OBJECT_ID_NOT_FOUND, another address
 * DEVICE_NOT_FOUND (as the "exclusive" DIP mode does). Reading part 4 (RAM) answers the flash
 * value, as Studer documents.
 */
export class StuderSimulator {
  readonly physics: StuderPhysics;
  private readonly clock: Clock;
  private readonly xt: number;
  private readonly vt: number;
  private endpoint: CanBus | null = null;
  private off: (() => void) | null = null;
  private fault: StuderFault = 'none';
  private lostWriteAnswers = 0;
  private counters = { requests: 0, flashWrites: 0, ramWrites: 0, refusedWrites: 0 };

  constructor(options: StuderSimulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.xt = options.xtenderAddress ?? STUDER_ADDRESS.firstXtender;
    this.vt = options.varioTrackAddress ?? STUDER_ADDRESS.firstVarioTrack;
    this.physics = new StuderPhysics(this.clock.now(), options);
  }

  /** Puts the Xcom-CAN on the bus. */
  async attach(bus: VirtualCanBus): Promise<void> {
    if (this.endpoint) return;
    const endpoint = bus.attach('studer simulator');
    this.off = endpoint.onFrame((frame) => this.onFrame(endpoint, frame));
    await endpoint.open();
    this.endpoint = endpoint;
  }

  async detach(): Promise<void> {
    this.off?.();
    this.off = null;
    const endpoint = this.endpoint;
    this.endpoint = null;
    await endpoint?.close();
  }

  get state(): StuderSimState {
    return this.physics.step(this.clock.now());
  }

  get stats(): { requests: number; flashWrites: number; ramWrites: number; refusedWrites: number } {
    return { ...this.counters };
  }

  setAcSource(present: boolean): void {
    this.physics.step(this.clock.now());
    this.physics.setAcSource(present);
  }

  setLoadW(watts: number | null): void {
    this.physics.step(this.clock.now());
    this.physics.setLoadW(watts);
  }

  setFault(fault: StuderFault): void {
    this.fault = fault;
  }

  /** The next `count` write requests are carried out but their answers are lost on the way back. */
  loseWriteAnswers(count: number): void {
    this.lostWriteAnswers = count;
  }

  /** A parameter as the device holds it (flash and RAM values, range), for tests. */
  parameter(number: number): { flash: number; ram: number; min: number; max: number } | undefined {
    const p = this.physics.parameters.get(number);
    return p === undefined ? undefined : { ...p };
  }

  private onFrame(endpoint: CanBus, frame: CanFrame): void {
    if (!frame.extended) return;
    const decoded = decodeRequestFrame(frame);
    if (!decoded.ok) return; // in "tolerant" mode the Xcom-CAN answers only valid frames
    const { source, destination, body } = decoded.value;
    this.counters.requests++;
    if (this.fault === 'silent') return;
    const answer = this.fault === 'busy' ? this.error(body, XCOM_ERROR.gatewayBusy) : this.answer(destination, body);
    if (body.service === 'write_parameter' && this.lostWriteAnswers > 0) {
      this.lostWriteAnswers--;
      return;
    }
    endpoint.send(encodeResponseFrame(destination, source, answer)).catch(() => undefined);
  }

  private answer(destination: number, request: XcomRequest): XcomResponse {
    if (destination !== this.xt && destination !== this.vt) return this.error(request, XCOM_ERROR.deviceNotFound);
    const state = this.physics.step(this.clock.now());
    if (request.service === 'read_user_info') {
      const value =
        destination === this.xt ? xtenderInfo(state, request.object) : varioTrackInfo(state, request.object);
      if (value === undefined) return this.error(request, XCOM_ERROR.objectNotFound);
      return { kind: 'value', service: 'read_user_info', object: request.object, value };
    }
    const parameter = destination === this.xt ? this.physics.parameters.get(request.object) : undefined;
    if (parameter === undefined) return this.error(request, XCOM_ERROR.objectNotFound);
    if (request.service === 'read_parameter') {
      const value = request.part === 'min' ? parameter.min : request.part === 'max' ? parameter.max : parameter.flash;
      return { kind: 'value', service: 'read_parameter', object: request.object, part: request.part, value };
    }
    if (request.part === 'min' || request.part === 'max') {
      this.counters.refusedWrites++;
      return this.error(request, 0x2b); // ACCESS_DENIED: the range is the device's own
    }
    if (request.value < parameter.min || request.value > parameter.max) {
      this.counters.refusedWrites++;
      return this.error(request, request.value < parameter.min ? XCOM_ERROR.dataTooSmall : XCOM_ERROR.dataTooBig);
    }
    if (request.part === 'flash') {
      parameter.flash = request.value;
      this.counters.flashWrites++;
    } else this.counters.ramWrites++;
    parameter.ram = request.value;
    this.physics.step(this.clock.now());
    return {
      kind: 'value',
      service: 'write_parameter',
      object: request.object,
      part: request.part,
      value: request.value,
    };
  }

  private error(request: XcomRequest, code: number): XcomResponse {
    return { kind: 'error', service: request.service, object: request.object, code, name: xcomErrorName(code) };
  }
}

function xtenderInfo(s: StuderSimState, info: number): number | undefined {
  switch (info) {
    case XT_INFO.batteryVoltage:
      return s.batteryVoltage;
    case XT_INFO.batteryTemperature:
      return s.batteryTemperatureC;
    case XT_INFO.batteryChargeCurrent:
      return s.xtenderBatteryCurrentA;
    case XT_INFO.stateOfCharge:
      return s.socPct;
    case XT_INFO.batteryCyclePhase:
      return s.cyclePhase;
    case XT_INFO.acInputVoltage:
      return s.acSourcePresent ? 231 : 0;
    case XT_INFO.transferRelay:
      return s.acSourcePresent ? 1 : 0;
    case XT_INFO.acOutputVoltage:
      return s.acOutputVoltage;
    case XT_INFO.operatingState:
      return s.operatingState;
    case XT_INFO.acOutputActivePower:
      return s.acOutputPowerW / 1000;
    case XT_INFO.acInputActivePower:
      return s.acInputPowerW / 1000;
    default:
      return undefined;
  }
}

function varioTrackInfo(s: StuderSimState, info: number): number | undefined {
  switch (info) {
    case VT_INFO.batteryVoltage:
      return s.batteryVoltage;
    case VT_INFO.batteryCurrent:
      return s.pvCurrentA;
    case VT_INFO.pvPower:
      return s.pvPowerW / 1000;
    case VT_INFO.productionToday:
      return s.pvEnergyTodayKWh;
    case VT_INFO.productionTotal:
      return s.pvEnergyTotalKWh / 1000;
    case VT_INFO.model:
      return 1; // VT-65
    default:
      return undefined;
  }
}

export interface RunningStuderSimulator {
  readonly simulator: StuderSimulator;
  readonly bus: VirtualCanBus;
  readonly host: string;
  readonly port: number;
  readonly interface: string;
  stop(): Promise<void>;
}

/**
 * A simulated Studer installation reachable over socketcand on `host`:`port` (port 0: a free one),
 * bus `interface`: what `sps simulate studer`, the demo and the tests start. The adapter connects to
 * it with `{ transport: 'socketcand', host, port, interface }`.
 */
export async function startStuderSimulator(
  options: StuderSimulatorOptions & { host?: string; port?: number; interface?: string } = {},
): Promise<RunningStuderSimulator> {
  const host = options.host ?? '127.0.0.1';
  const iface = options.interface ?? 'can0';
  const bus = new VirtualCanBus(options.clock === undefined ? {} : { clock: options.clock });
  const simulator = new StuderSimulator(options);
  await simulator.attach(bus);
  const server = new SocketcandServer({
    bus,
    interfaces: [iface],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  let port: number;
  try {
    port = await server.start(options.port ?? 0, host);
  } catch (err) {
    await simulator.detach();
    throw err;
  }
  return {
    simulator,
    bus,
    host,
    port,
    interface: iface,
    async stop() {
      await server.stop();
      await simulator.detach();
    },
  };
}
