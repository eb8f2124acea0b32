/**
 * A plausible off-grid Studer installation, in one place: an Xtender XTM 4000-48 with a
 * VarioTrack VT-65 on a 48 V lithium bank (two Pylontech US5000: 200 Ah), house loads, and an
 * optional AC source (generator or grid) behind the transfer relay. Time moves only when step()
 * is called, so a ManualClock drives it in tests; the simulator steps it to "now" before every answer.
 */

export interface StuderPhysicsOptions {
  /** Battery capacity, Ah (default 200: two US5000). */
  readonly capacityAh?: number;
  /** State of charge at the start, % (default 60). */
  readonly initialSocPct?: number;
  /** PV array peak, W (default 3400: what a VT-65 can push into a 52 V bank). */
  readonly pvPeakW?: number;
  /** Local time offset from UTC, hours, for the PV and load curves (default 0). */
  readonly utcOffsetHours?: number;
  /** Whether an AC source is present at the start (default false: off-grid, no generator running). */
  readonly acSourcePresent?: boolean;
}

/** One Xtender parameter: the value in flash, the value in effect (RAM), and the range the device accepts. */
export interface SimParameter {
  flash: number;
  ram: number;
  readonly min: number;
  readonly max: number;
}

export interface StuderSimState {
  readonly timeMs: number;
  readonly socPct: number;
  readonly batteryVoltage: number;
  /** Net battery current, A, Studer's sign: + charging. */
  readonly batteryCurrentA: number;
  /** What the Xtender alone puts into the battery, A (+ charging, − inverting). */
  readonly xtenderBatteryCurrentA: number;
  readonly pvPowerW: number;
  readonly pvCurrentA: number;
  readonly loadW: number;
  readonly acSourcePresent: boolean;
  readonly acInputPowerW: number;
  readonly acOutputPowerW: number;
  readonly acOutputVoltage: number;
  /** 0 invalid (nothing running), 1 inverter, 2 charger. */
  readonly operatingState: number;
  /** 0 none, 1 bulk, 2 absorption, 4 floating. */
  readonly cyclePhase: number;
  readonly pvEnergyTodayKWh: number;
  readonly pvEnergyTotalKWh: number;
  readonly batteryTemperatureC: number;
}

const VT65_MAX_A = 65;
const NOMINAL_AC_V = 230;
const INVERTER_EFFICIENCY = 0.93;
const HOUR_MS = 3_600_000;
const MAX_STEP_MS = 60_000;

export class StuderPhysics {
  readonly parameters = new Map<number, SimParameter>([
    [1107, { flash: 16, ram: 16, min: 2, max: 50 }],
    [1124, { flash: 1, ram: 1, min: 0, max: 1 }],
    [1125, { flash: 1, ram: 1, min: 0, max: 1 }],
    [1138, { flash: 60, ram: 60, min: 0, max: 100 }],
  ]);
  private readonly capacityAh: number;
  private readonly pvPeakW: number;
  private readonly utcOffsetMs: number;
  private now: number;
  private soc: number;
  private acSource: boolean;
  private loadOverrideW: number | null = null;
  private energyTodayKWh = 0;
  private energyTotalKWh = 1234.5;
  private day: number;
  private last: StuderSimState;

  constructor(startMs: number, options: StuderPhysicsOptions = {}) {
    this.capacityAh = options.capacityAh ?? 200;
    this.pvPeakW = options.pvPeakW ?? 3400;
    this.utcOffsetMs = (options.utcOffsetHours ?? 0) * HOUR_MS;
    this.soc = options.initialSocPct ?? 60;
    this.acSource = options.acSourcePresent ?? false;
    this.now = startMs;
    this.day = this.localDay(startMs);
    this.last = this.compute(startMs);
  }

  get state(): StuderSimState {
    return this.last;
  }

  /** Generator started or stopped (grid back or lost): the transfer relay follows at the next step. */
  setAcSource(present: boolean): void {
    this.acSource = present;
    this.last = this.compute(this.now);
  }

  /** Fix the house load, W (null: back to the daily profile). */
  setLoadW(watts: number | null): void {
    this.loadOverrideW = watts;
    this.last = this.compute(this.now);
  }

  setSocPct(percent: number): void {
    this.soc = clamp(percent, 0, 100);
    this.last = this.compute(this.now);
  }

  /** Integrate up to `timeMs` in steps of at most a minute. */
  step(timeMs: number): StuderSimState {
    while (this.now < timeMs) {
      const next = Math.min(timeMs, this.now + MAX_STEP_MS);
      const state = this.compute(this.now);
      const hours = (next - this.now) / HOUR_MS;
      this.soc = clamp(this.soc + (state.batteryCurrentA * hours * 100) / this.capacityAh, 0, 100);
      const kwh = (state.pvPowerW / 1000) * hours;
      const day = this.localDay(next);
      if (day !== this.day) {
        this.day = day;
        this.energyTodayKWh = 0;
      }
      this.energyTodayKWh += kwh;
      this.energyTotalKWh += kwh;
      this.now = next;
    }
    this.last = this.compute(this.now);
    return this.last;
  }

  private effective(parameter: number): number {
    return this.parameters.get(parameter)?.ram ?? 0;
  }

  private compute(timeMs: number): StuderSimState {
    const hour = ((((timeMs + this.utcOffsetMs) % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS)) / HOUR_MS;
    const voltage = 48 + 0.06 * this.soc;
    const inverterAllowed = this.effective(1124) >= 0.5;
    const chargerAllowed = this.effective(1125) >= 0.5;
    const profileLoad = 350 + (hour >= 18 && hour < 22 ? 900 : 0) + (hour >= 7 && hour < 9 ? 500 : 0);
    const demand = this.loadOverrideW ?? profileLoad;
    // The output is live when the source passes through or the inverter runs from a non-empty battery.
    const inverting = !this.acSource && inverterAllowed && this.soc > 0;
    const outputLive = this.acSource || inverting;
    const loadW = outputLive ? demand : 0;

    let chargerW = 0;
    if (this.acSource && chargerAllowed && this.soc < 100) {
      const inputBudgetW = Math.max(0, this.effective(1107) * NOMINAL_AC_V - loadW);
      chargerW = Math.min(this.effective(1138) * voltage, inputBudgetW);
    }
    const inverterDrawW = inverting ? loadW / INVERTER_EFFICIENCY : 0;

    const sun = hour > 6 && hour < 18 ? Math.sin((Math.PI * (hour - 6)) / 12) : 0;
    let pvW = Math.min(this.pvPeakW * sun, VT65_MAX_A * voltage);
    // A full battery takes only what the loads draw from it: the VarioTrack curtails the rest.
    if (this.soc >= 100) pvW = Math.min(pvW, Math.max(0, inverterDrawW - chargerW));

    const xtenderCurrent = (chargerW - inverterDrawW) / voltage;
    const pvCurrent = pvW / voltage;
    const net = xtenderCurrent + pvCurrent;
    const charging = net > 0.5;
    const cyclePhase = !charging ? 0 : this.soc < 90 ? 1 : this.soc < 99.5 ? 2 : 4;
    return {
      timeMs,
      socPct: round(this.soc, 2),
      batteryVoltage: round(voltage + net * 0.01, 2),
      batteryCurrentA: round(net, 2),
      xtenderBatteryCurrentA: round(xtenderCurrent, 2),
      pvPowerW: round(pvW, 1),
      pvCurrentA: round(pvCurrent, 2),
      loadW,
      acSourcePresent: this.acSource,
      acInputPowerW: this.acSource ? round(loadW + chargerW, 1) : 0,
      acOutputPowerW: round(loadW, 1),
      acOutputVoltage: outputLive ? NOMINAL_AC_V : 0,
      operatingState: this.acSource ? 2 : inverting ? 1 : 0,
      cyclePhase,
      pvEnergyTodayKWh: round(this.energyTodayKWh, 3),
      pvEnergyTotalKWh: round(this.energyTotalKWh, 3),
      batteryTemperatureC: 24,
    };
  }

  private localDay(timeMs: number): number {
    return Math.floor((timeMs + this.utcOffsetMs) / (24 * HOUR_MS));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
