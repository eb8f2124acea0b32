/**
 * A small physical model of a stack of Pylontech US5000 modules (15 LFP cells each, 100 Ah, 4.8 kWh;
 * figures from Pylontech's US5000 datasheet): SOC integrates the current, the voltage follows a
 * piecewise-linear LFP open-circuit curve minus the internal resistance, the temperature drifts with
 * the current. Good enough for a simulator; not a battery model.
 */
export interface BatteryPhysicsOptions {
  readonly modules?: number;
  readonly socPct?: number;
  readonly ambientC?: number;
}

export interface BatteryPhysicsState {
  readonly modules: number;
  readonly capacityAh: number;
  readonly socPct: number;
  readonly sohPct: number;
  readonly voltageV: number;
  /** Project sign: positive when discharging. */
  readonly currentA: number;
  readonly temperatureC: number;
}

const AH_PER_MODULE = 100;
/** Per module; modules in parallel divide it. */
const RESISTANCE_OHM = 0.02;
/** 15-cell LFP open-circuit voltage by SOC (%, V): flat in the middle, steep at both ends. */
const OCV: readonly (readonly [number, number])[] = [
  [0, 45.0],
  [5, 48.0],
  [20, 49.8],
  [50, 50.6],
  [80, 51.4],
  [95, 52.6],
  [100, 53.5],
];

export function openCircuitVoltage(socPct: number): number {
  const soc = Math.max(0, Math.min(100, socPct));
  for (let i = 1; i < OCV.length; i++) {
    const [s1, v1] = OCV[i] as readonly [number, number];
    const [s0, v0] = OCV[i - 1] as readonly [number, number];
    if (soc <= s1) return v0 + ((v1 - v0) * (soc - s0)) / (s1 - s0);
  }
  return (OCV[OCV.length - 1] as readonly [number, number])[1];
}

export class BatteryPhysics {
  readonly modules: number;
  readonly capacityAh: number;
  private soc: number;
  private current = 0;
  private temperature: number;
  private readonly ambient: number;

  constructor(options: BatteryPhysicsOptions = {}) {
    this.modules = options.modules ?? 2;
    this.capacityAh = AH_PER_MODULE * this.modules;
    this.soc = options.socPct ?? 60;
    this.ambient = options.ambientC ?? 22;
    this.temperature = this.ambient;
  }

  /** The current the load (positive) or charger (negative) asks for; the BMS's limits apply in step(). */
  requestedCurrentA = 0;

  /** Advance by `seconds` with the requested current, clamped to what an empty or full battery gives. */
  step(seconds: number, limits: { chargeA: number; dischargeA: number }): void {
    let i = Math.max(-limits.chargeA, Math.min(limits.dischargeA, this.requestedCurrentA));
    if (this.soc <= 0 && i > 0) i = 0;
    if (this.soc >= 100 && i < 0) i = 0;
    this.current = i;
    this.soc = Math.max(0, Math.min(100, this.soc - (i * seconds * 100) / 3600 / this.capacityAh));
    // Warms with I²R, cools towards the ambient with a time constant of about an hour.
    const heating = (i * i * (RESISTANCE_OHM / this.modules) * seconds) / (20_000 * this.modules);
    this.temperature += heating + ((this.ambient - this.temperature) * seconds) / 3600;
  }

  setSoc(socPct: number): void {
    this.soc = Math.max(0, Math.min(100, socPct));
  }

  get state(): BatteryPhysicsState {
    const voltage = openCircuitVoltage(this.soc) - this.current * (RESISTANCE_OHM / this.modules);
    return {
      modules: this.modules,
      capacityAh: this.capacityAh,
      socPct: this.soc,
      sohPct: 99,
      voltageV: Math.round(voltage * 100) / 100,
      currentA: Math.round(this.current * 10) / 10,
      temperatureC: Math.round(this.temperature * 10) / 10,
    };
  }
}
