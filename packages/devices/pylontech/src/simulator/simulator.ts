import type { CanBus, VirtualCanBus } from '@sps/can';
import { systemClock, type Clock, type TimerHandle } from '@sps/core';
import { isBmsFlag, type BmsFlag } from '../codec/bits.js';
import {
  encodeFlags,
  encodeLimits,
  encodeManufacturer,
  encodeMeasurements,
  encodeRequests,
  encodeSoc,
  type BmsFrameValues,
} from '../codec/encode.js';
import { BatteryPhysics, type BatteryPhysicsState } from './physics.js';

export interface PylontechSimulatorOptions {
  readonly bus: VirtualCanBus;
  readonly clock?: Clock;
  /** Modules behind the master (the seed's house: two US5000). Default 2. */
  readonly modules?: number;
  readonly socPct?: number;
  /** Default "PYLON" (what a Pylontech master sends in 0x35E). */
  readonly manufacturer?: string;
  /** Burst period, ms (default 1000, as the real BMS). */
  readonly periodMs?: number;
  /** The current drawn from the battery at start, A (positive discharging; default 0). */
  readonly currentA?: number;
}

export interface PylontechSimulatorState extends BatteryPhysicsState {
  readonly sending: boolean;
  readonly bursts: number;
  readonly activeFlags: readonly BmsFlag[];
  readonly chargeCurrentLimitA: number;
  readonly dischargeCurrentLimitA: number;
  readonly keepAlivesSeen: number;
}

/** US5000: recommended 80 A and maximum 100 A per module; the master reports the stack. */
const CURRENT_LIMIT_PER_MODULE_A = 100;
const CHARGE_VOLTAGE_LIMIT_V = 53.2;
const DISCHARGE_VOLTAGE_LIMIT_V = 44.5;

/**
 * A Pylontech master on a virtual CAN bus: every period (1 s) it steps its physics and sends the burst
 * 0x351, 0x355, 0x356, 0x359, 0x35C, 0x35E, as a real one does. Tests and `sps simulate` reach it over
 * socketcand (SocketcandServer of @sps/can), so the adapter under test reads real frames.
 */
export class PylontechSimulator {
  readonly physics: BatteryPhysics;
  private readonly endpoint: CanBus;
  private readonly clock: Clock;
  private readonly periodMs: number;
  private readonly manufacturer: string;
  private readonly flags = new Set<BmsFlag>();
  private timer: TimerHandle | undefined;
  private sending = true;
  private bursts = 0;
  private keepAlives = 0;
  private lastStepAt: number | null = null;
  private offKeepAlive: (() => void) | undefined;

  constructor(options: PylontechSimulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.periodMs = options.periodMs ?? 1000;
    this.manufacturer = options.manufacturer ?? 'PYLON';
    this.physics = new BatteryPhysics({
      ...(options.modules === undefined ? {} : { modules: options.modules }),
      ...(options.socPct === undefined ? {} : { socPct: options.socPct }),
    });
    this.endpoint = options.bus.attach('pylontech simulator');
    if (options.currentA !== undefined) this.setCurrent(options.currentA);
  }

  async start(): Promise<void> {
    if (this.timer !== undefined) return;
    await this.endpoint.open();
    this.offKeepAlive = this.endpoint.onFrame((frame) => {
      if (frame.id === 0x305 && !frame.extended) this.keepAlives++;
    });
    this.lastStepAt = this.clock.now();
    this.timer = this.clock.setInterval(() => this.tick(), this.periodMs);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.offKeepAlive?.();
    await this.endpoint.close();
  }

  /** The current the house draws from the battery (positive) or the charger pushes in (negative), A. */
  setCurrent(amps: number): void {
    if (!Number.isFinite(amps)) throw new Error(`current must be a finite number of amps, got ${String(amps)}`);
    this.physics.requestedCurrentA = amps;
  }

  setSoc(socPct: number): void {
    this.physics.setSoc(socPct);
  }

  /** Sets a protection or alarm flag (`protection_cell_overvoltage`, `alarm_high_temperature`…). */
  raiseAlarm(name: string): void {
    this.flags.add(this.flagNamed(name));
  }

  clearAlarm(name: string): void {
    this.flags.delete(this.flagNamed(name));
  }

  /** Bus silence: the BMS stops sending (a cable pulled, a BMS asleep); the physics go on. */
  silence(): void {
    this.sending = false;
  }

  resume(): void {
    this.sending = true;
  }

  get state(): PylontechSimulatorState {
    const limits = this.currentLimits();
    return {
      ...this.physics.state,
      sending: this.sending,
      bursts: this.bursts,
      activeFlags: [...this.flags],
      chargeCurrentLimitA: limits.chargeA,
      dischargeCurrentLimitA: limits.dischargeA,
      keepAlivesSeen: this.keepAlives,
    };
  }

  /** One period: physics, then the burst (unless silent). Public for tests that step by hand. */
  tick(): void {
    const now = this.clock.now();
    const seconds = this.lastStepAt === null ? this.periodMs / 1000 : Math.max(0, (now - this.lastStepAt) / 1000);
    this.lastStepAt = now;
    this.physics.step(seconds, this.currentLimits());
    if (!this.sending || !this.endpoint.isOpen) return;
    const values = this.frameValues();
    const burst: [number, Uint8Array][] = [
      [0x351, encodeLimits(values)],
      [0x355, encodeSoc(values)],
      [0x356, encodeMeasurements(values)],
      [0x359, encodeFlags(values)],
      [0x35c, encodeRequests(values)],
      [0x35e, encodeManufacturer(values)],
    ];
    this.bursts++;
    for (const [id, data] of burst) {
      // A closed endpoint (stop() racing a tick) refuses the send; the simulator just stops sending.
      this.endpoint.send({ id, extended: false, data }).catch(() => undefined);
    }
  }

  private flagNamed(name: string): BmsFlag {
    if (!isBmsFlag(name)) throw new Error(`unknown alarm "${name}": expected a protection_… or alarm_… flag`);
    return name;
  }

  /** A protection stops the direction it protects, as a real BMS does by zeroing that limit. */
  private currentLimits(): { chargeA: number; dischargeA: number } {
    const full = CURRENT_LIMIT_PER_MODULE_A * this.physics.modules;
    const f = this.flags;
    const stopCharge =
      f.has('protection_cell_overvoltage') ||
      f.has('protection_charge_overcurrent') ||
      f.has('protection_overtemperature') ||
      f.has('protection_undertemperature') ||
      f.has('protection_system_error');
    const stopDischarge =
      f.has('protection_cell_undervoltage') ||
      f.has('protection_discharge_overcurrent') ||
      f.has('protection_overtemperature') ||
      f.has('protection_system_error');
    return { chargeA: stopCharge ? 0 : full, dischargeA: stopDischarge ? 0 : full };
  }

  private frameValues(): BmsFrameValues {
    const s = this.physics.state;
    const limits = this.currentLimits();
    return {
      chargeVoltageLimitV: CHARGE_VOLTAGE_LIMIT_V,
      chargeCurrentLimitA: limits.chargeA,
      dischargeCurrentLimitA: limits.dischargeA,
      dischargeVoltageLimitV: DISCHARGE_VOLTAGE_LIMIT_V,
      socPct: s.socPct,
      sohPct: s.sohPct,
      voltageV: s.voltageV,
      currentA: s.currentA,
      temperatureC: s.temperatureC,
      moduleCount: s.modules,
      activeFlags: this.flags,
      chargeEnabled: limits.chargeA > 0 && s.socPct < 100,
      dischargeEnabled: limits.dischargeA > 0 && s.socPct > 0,
      forceChargeRequest: s.socPct < 5,
      manufacturer: this.manufacturer,
    };
  }
}
