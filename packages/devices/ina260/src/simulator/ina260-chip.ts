import { systemClock, type Clock } from '@sps/core';
import { decodeConfig, MODE_BOTH_CONTINUOUS, type Ina260Config } from '../codec/config.js';
import { encodeWord, fromSigned16 } from '../codec/word.js';
import type { I2cPeripheral } from '../bus/memory-bus.js';
import { CONFIG_POWER_ON, INA260_DIE_ID, LSB, REGISTER, TI_MANUFACTURER_ID } from '../registers.js';
import { DEFAULT_PANEL, noise, panelOutput, type PvPanelOptions } from './pv-panel.js';
import type { RawMeasurement } from '../codec/measurement.js';

export interface Ina260ChipOptions {
  readonly clock?: Clock;
  readonly panel?: Partial<PvPanelOptions>;
  /** Sensor noise on/off (on by default; tests of exact values may turn it off). */
  readonly noise?: boolean;
  /** Impersonate another chip: e.g. an INA226 answers die id 0x2260. */
  readonly identity?: { readonly manufacturerId: number; readonly dieId: number };
}

/** What the chip measures now, and the panel's energy so far. */
export interface Ina260ChipState {
  readonly voltageV: number;
  readonly currentA: number;
  /** The power register's value, W (from the quantised current and voltage, like the chip). */
  readonly powerW: number;
  readonly irradiance: number;
  /** The panel's true energy since the simulator started, Wh (noise-free, 5 s steps). */
  readonly energyWh: number;
  readonly config: Ina260Config;
  readonly registers: RawMeasurement;
}

/** Noise changes every 100 ms; within a slot repeated reads agree (a real chip holds its last average). */
const NOISE_SLOT_MS = 100;
const INTEGRATION_STEP_MS = 5000;
/** Bits 14–12 of the configuration register are read-only and read 0b110. */
const CONFIG_READ_ONLY = 0x6000;
const RESET_BIT = 0x8000;
/** Mask/Enable: writable alert bits b15–10, APOL b1, LEN b0; CVRF (b3) = conversion ready. */
const MASK_WRITABLE = 0xfc03;
const CVRF = 0x0008;

/**
 * A simulated INA260 for the in-memory bus: the register file the driver talks to, with
 * measurements taken from a PV panel model at the clock's time. Writes behave like the chip's:
 * RST resets every register, read-only bits stay, any mode but continuous freezes the readings.
 */
export class Ina260Chip implements I2cPeripheral {
  private readonly clock: Clock;
  private readonly panel: PvPanelOptions;
  private readonly noisy: boolean;
  private readonly identity: { manufacturerId: number; dieId: number };
  private configWord = CONFIG_POWER_ON;
  private maskEnable = 0;
  private alertLimit = 0;
  /** Last measurement, held while the chip is not converting. */
  private frozen: RawMeasurement | null = null;
  private override: { voltageV: number; currentA: number } | null = null;
  private energyWh = 0;
  private integratedTo: number;
  /** Register reads and configuration writes, for tests that count traffic. */
  reads = 0;
  configWrites = 0;

  constructor(options: Ina260ChipOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.panel = { ...DEFAULT_PANEL, ...options.panel };
    this.noisy = options.noise ?? true;
    this.identity = options.identity ?? { manufacturerId: TI_MANUFACTURER_ID, dieId: INA260_DIE_ID };
    this.integratedTo = this.clock.now();
  }

  get state(): Ina260ChipState {
    this.integrate();
    const registers = this.measurementRegisters();
    const panel = panelOutput(this.clock.now(), this.panel);
    return {
      voltageV: registers.busVoltage * LSB.voltageV,
      currentA: (registers.current & 0x8000 ? registers.current - 0x10000 : registers.current) * LSB.currentA,
      powerW: registers.power * LSB.powerW,
      irradiance: panel.irradiance,
      energyWh: this.energyWh,
      config: decodeConfig(this.readConfig()),
      registers,
    };
  }

  /** Fix the measured voltage and current (e.g. a reversed sensor: negative current); null = the panel again. */
  setOverride(value: { voltageV: number; currentA: number } | null): void {
    this.override = value;
  }

  /** Power lost and back: every register to its power-on value (the driver must configure again). */
  powerCycle(): void {
    this.configWord = CONFIG_POWER_ON;
    this.maskEnable = 0;
    this.alertLimit = 0;
    this.frozen = null;
  }

  readRegister(register: number, length: number): Uint8Array {
    this.reads++;
    const word = this.wordAt(register);
    const out = new Uint8Array(length).fill(0xff);
    out.set(encodeWord(word).subarray(0, Math.min(2, length)));
    return out;
  }

  writeRegister(register: number, data: Uint8Array): void {
    // The chip latches a register after its second data byte; anything shorter is dropped.
    if (data.length < 2) return;
    const word = ((data[0] as number) << 8) | (data[1] as number);
    switch (register) {
      case REGISTER.CONFIGURATION:
        this.configWrites++;
        if (word & RESET_BIT) {
          this.powerCycle();
          return;
        }
        this.frozen = (word & 0b111) === MODE_BOTH_CONTINUOUS ? null : this.measurementRegisters();
        this.configWord = (word & 0x0fff) | CONFIG_READ_ONLY;
        return;
      case REGISTER.MASK_ENABLE:
        this.maskEnable = word & MASK_WRITABLE;
        return;
      case REGISTER.ALERT_LIMIT:
        this.alertLimit = word;
        return;
      default:
        // Measurement and id registers are read-only: the write is acknowledged and ignored.
        return;
    }
  }

  private wordAt(register: number): number {
    switch (register) {
      case REGISTER.CONFIGURATION:
        return this.readConfig();
      case REGISTER.CURRENT:
        return this.measurementRegisters().current;
      case REGISTER.BUS_VOLTAGE:
        return this.measurementRegisters().busVoltage;
      case REGISTER.POWER:
        return this.measurementRegisters().power;
      case REGISTER.MASK_ENABLE:
        return this.maskEnable | (this.frozen === null ? CVRF : 0);
      case REGISTER.ALERT_LIMIT:
        return this.alertLimit;
      case REGISTER.MANUFACTURER_ID:
        return this.identity.manufacturerId;
      case REGISTER.DIE_ID:
        return this.identity.dieId;
      default:
        return 0;
    }
  }

  private readConfig(): number {
    return this.configWord;
  }

  /** The three measurement registers at the clock's time, quantised and clamped like the chip's. */
  private measurementRegisters(): RawMeasurement {
    if (this.frozen !== null) return this.frozen;
    const now = this.clock.now();
    const { voltageV, currentA } = this.override ?? panelOutput(now, this.panel);
    let v = voltageV;
    let i = currentA;
    if (this.noisy && this.override === null) {
      // Averaging n samples shrinks the noise by √n, which is why a user would raise it.
      const scale = 1 / Math.sqrt(decodeConfig(this.configWord).averaging);
      const slot = Math.floor(now / NOISE_SLOT_MS);
      if (v > 0) v += noise(this.panel.seed, slot, 1) * 0.04 * scale;
      if (i > 0) i += noise(this.panel.seed, slot, 2) * (0.01 + 0.01 * i) * scale;
    }
    const voltageCounts = clamp(Math.round(v / LSB.voltageV), 0, 0x7fff);
    const currentCounts = clamp(Math.round(i / LSB.currentA), -0x8000, 0x7fff);
    // The chip multiplies the magnitude of the current by the bus voltage.
    const powerW = Math.abs(currentCounts * LSB.currentA) * (voltageCounts * LSB.voltageV);
    return {
      current: fromSigned16(currentCounts),
      busVoltage: voltageCounts,
      power: clamp(Math.floor(powerW / LSB.powerW + 1e-9), 0, 0xffff),
    };
  }

  /** Trapezoidal energy of the noise-free panel up to now, in ≤ 5 s steps. */
  private integrate(): void {
    const now = this.clock.now();
    while (this.integratedTo < now) {
      const next = Math.min(now, this.integratedTo + INTEGRATION_STEP_MS);
      const p0 = panelOutput(this.integratedTo, this.panel).powerW;
      const p1 = panelOutput(next, this.panel).powerW;
      this.energyWh += ((p0 + p1) / 2) * ((next - this.integratedTo) / 3_600_000);
      this.integratedTo = next;
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
