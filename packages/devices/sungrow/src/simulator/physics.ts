/**
 * The simulated inverter's physics: a household with PV, a battery and a grid connection behind a
 * Sungrow SH. Pure and deterministic (no I/O, no timers): `advanceTo(t)` integrates from the last
 * time to t in small steps, so a test can jump a ManualClock by hours and get the same answer as
 * stepping every second, to within the step size.
 *
 * Signs are the project's (battery + discharge, grid + import); the register image converts to
 * the vendor's conventions.
 */

export interface SungrowPhysicsConfig {
  /** Usable battery capacity, Wh. */
  readonly capacityWh: number;
  /** One-way conversion efficiency (AC→cell and cell→AC). */
  readonly efficiency: number;
  /** Inverter / battery converter rating, W. */
  readonly ratedPowerW: number;
  /** PV peak at solar noon on a clear day, W. */
  readonly pvPeakW: number;
  readonly baseLoadW: number;
  readonly eveningPeakW: number;
  /** Amplitude of the minute-to-minute load noise, W. */
  readonly loadNoiseW: number;
  /** Local time = UTC + this; drives the solar curve, the evening peak and the daily counters' midnight. */
  readonly utcOffsetHours: number;
  readonly initialSocPct: number;
  readonly sohPct: number;
  /** Seed of the deterministic noise (clouds, load). */
  readonly seed: number;
}

export const DEFAULT_PHYSICS: SungrowPhysicsConfig = {
  capacityWh: 9600,
  efficiency: 0.96,
  ratedPowerW: 10_000,
  pvPeakW: 8000,
  baseLoadW: 350,
  eveningPeakW: 1800,
  loadNoiseW: 150,
  utcOffsetHours: 0,
  initialSocPct: 50,
  sohPct: 98,
  seed: 1,
};

/** What the holding registers ask of the battery, already decoded to physical terms. */
export interface SungrowControls {
  readonly emsMode: number;
  readonly forcedCommand: number;
  readonly forcedPowerW: number;
  readonly minSocPct: number;
  readonly maxSocPct: number;
  /** null when the export limit is disabled. */
  readonly exportLimitW: number | null;
  readonly maxChargeW: number;
  readonly maxDischargeW: number;
}

export interface EnergyCounters {
  pvWh: number;
  gridImportWh: number;
  gridExportWh: number;
  batteryChargeWh: number;
  batteryDischargeWh: number;
  loadWh: number;
  /** PV + battery discharge delivered by the inverter's AC side. */
  inverterOutputWh: number;
}

export interface SungrowPhysicalState {
  /** Milliseconds since the epoch the state describes. */
  readonly timestamp: number;
  readonly socPct: number;
  readonly sohPct: number;
  readonly capacityWh: number;
  readonly pvPowerW: number;
  /** PV the export limit forced the inverter to throw away, W. */
  readonly curtailedPvW: number;
  readonly loadPowerW: number;
  /** + discharge, − charge (AC side). */
  readonly batteryPowerW: number;
  /** + import, − export. */
  readonly gridPowerW: number;
  readonly batteryVoltageV: number;
  /** + discharge. */
  readonly batteryCurrentA: number;
  readonly batteryTemperatureC: number;
  readonly inverterTemperatureC: number;
  readonly total: Readonly<EnergyCounters>;
  readonly today: Readonly<EnergyCounters>;
}

const HOUR_MS = 3_600_000;
/** Integration step; small enough that SOC limits are met to within a few Wh. */
const STEP_MS = 5000;

const zeroCounters = (): EnergyCounters => ({
  pvWh: 0,
  gridImportWh: 0,
  gridExportWh: 0,
  batteryChargeWh: 0,
  batteryDischargeWh: 0,
  loadWh: 0,
  inverterOutputWh: 0,
});

interface Flows {
  pv: number;
  curtailed: number;
  load: number;
  battery: number;
  grid: number;
}

export class SungrowPhysics {
  readonly config: SungrowPhysicsConfig;
  private time: number;
  private storedWh: number;
  private flows: Flows = { pv: 0, curtailed: 0, load: 0, battery: 0, grid: 0 };
  private readonly total = zeroCounters();
  private today = zeroCounters();

  constructor(startMs: number, config: Partial<SungrowPhysicsConfig> = {}) {
    this.config = { ...DEFAULT_PHYSICS, ...config };
    this.time = startMs;
    this.storedWh = (this.config.capacityWh * this.config.initialSocPct) / 100;
  }

  /** Integrate up to `t` (ms). A `t` in the past only refreshes the instantaneous flows. */
  advanceTo(t: number, controls: SungrowControls): void {
    while (this.time < t) {
      const next = Math.min(t, this.time + STEP_MS);
      if (this.localDay(next) !== this.localDay(this.time)) this.today = zeroCounters();
      const dtHours = (next - this.time) / HOUR_MS;
      this.flows = this.computeFlows(next, controls, dtHours);
      this.integrate(dtHours);
      this.time = next;
    }
    this.flows = this.computeFlows(this.time, controls, 0);
  }

  get state(): SungrowPhysicalState {
    const { capacityWh, sohPct } = this.config;
    const socPct = (this.storedWh / capacityWh) * 100;
    // A ~190 V high-voltage pack (SBR-like): voltage rises with SOC.
    const batteryVoltageV = 180 + 0.25 * socPct;
    const f = this.flows;
    return {
      timestamp: this.time,
      socPct,
      sohPct,
      capacityWh,
      pvPowerW: f.pv,
      curtailedPvW: f.curtailed,
      loadPowerW: f.load,
      batteryPowerW: f.battery,
      gridPowerW: f.grid,
      batteryVoltageV,
      batteryCurrentA: f.battery / batteryVoltageV,
      batteryTemperatureC: 22 + Math.abs(f.battery) / 2000,
      inverterTemperatureC: 28 + (f.pv + Math.abs(f.battery)) / 1000,
      total: { ...this.total },
      today: { ...this.today },
    };
  }

  /** PV on a clear-ish day: a bell around solar noon, zero at night, thinned by passing clouds. */
  pvAvailable(t: number): number {
    const hour = this.localHour(t);
    if (hour < 5.5 || hour > 18.5) return 0;
    const bell = Math.exp(-((hour - 12) ** 2) / (2 * 2.6 ** 2));
    const clouds = 0.85 + 0.15 * this.noise(Math.floor(t / 600_000), 7);
    return Math.round(this.config.pvPeakW * bell * clouds);
  }

  /** Household load: base + noise + a morning bump and an evening peak. */
  loadDemand(t: number): number {
    const hour = this.localHour(t);
    const { baseLoadW, eveningPeakW, loadNoiseW } = this.config;
    const evening = eveningPeakW * Math.exp(-((hour - 19) ** 2) / (2 * 1.5 ** 2));
    const morning = 0.4 * eveningPeakW * Math.exp(-((hour - 7.5) ** 2) / (2 * 0.8 ** 2));
    const noise = loadNoiseW * this.noise(Math.floor(t / 60_000), 13);
    return Math.round(Math.max(50, baseLoadW + evening + morning + noise));
  }

  private computeFlows(t: number, c: SungrowControls, dtHours: number): Flows {
    const { ratedPowerW, capacityWh, efficiency } = this.config;
    let pv = this.pvAvailable(t);
    const load = this.loadDemand(t);
    // How much the battery may move in this step before it crosses a SOC limit (∞ for a snapshot).
    const headroomWh = Math.max(0, (c.maxSocPct / 100) * capacityWh - this.storedWh);
    const reserveWh = Math.max(0, this.storedWh - (c.minSocPct / 100) * capacityWh);
    const chargeCap = Math.min(
      ratedPowerW,
      c.maxChargeW,
      dtHours > 0 ? headroomWh / efficiency / dtHours : headroomWh > 0.5 ? Infinity : 0,
    );
    const dischargeCap = Math.min(
      ratedPowerW,
      c.maxDischargeW,
      dtHours > 0 ? (reserveWh * efficiency) / dtHours : reserveWh > 0.5 ? Infinity : 0,
    );

    let battery = 0;
    if (c.emsMode === 2) {
      if (c.forcedCommand === 0xaa) battery = -Math.min(c.forcedPowerW, chargeCap);
      else if (c.forcedCommand === 0xbb) battery = Math.min(c.forcedPowerW, dischargeCap);
    } else {
      // Self-consumption (and anything else we do not model): store surplus, cover deficit.
      const surplus = pv - load;
      battery = surplus > 0 ? -Math.min(surplus, chargeCap) : Math.min(-surplus, dischargeCap);
    }

    const grid = load - pv - battery;
    let curtailed = 0;
    if (c.exportLimitW !== null && -grid > c.exportLimitW) {
      // The inverter holds the export limit by curtailing PV first, then battery discharge.
      let excess = -grid - c.exportLimitW;
      curtailed = Math.min(excess, pv);
      pv -= curtailed;
      excess -= curtailed;
      if (excess > 0 && battery > 0) battery -= Math.min(excess, battery);
    }
    // Whole watts, as the registers carry them, so readings and physical state agree exactly.
    battery = Math.round(battery) || 0; // `|| 0` turns −0 into 0
    return { pv, curtailed, load, battery, grid: load - pv - battery };
  }

  private integrate(dtHours: number): void {
    const { pv, load, battery, grid } = this.flows;
    const eff = this.config.efficiency;
    if (battery < 0) this.storedWh += -battery * dtHours * eff;
    else this.storedWh -= (battery * dtHours) / eff;
    this.storedWh = Math.min(this.config.capacityWh, Math.max(0, this.storedWh));
    const add = (counters: EnergyCounters): void => {
      counters.pvWh += pv * dtHours;
      counters.loadWh += load * dtHours;
      counters.gridImportWh += Math.max(0, grid) * dtHours;
      counters.gridExportWh += Math.max(0, -grid) * dtHours;
      counters.batteryChargeWh += Math.max(0, -battery) * dtHours;
      counters.batteryDischargeWh += Math.max(0, battery) * dtHours;
      counters.inverterOutputWh += Math.max(0, pv + battery) * dtHours;
    };
    add(this.total);
    add(this.today);
  }

  private localHour(t: number): number {
    const hours = t / HOUR_MS + this.config.utcOffsetHours;
    return ((hours % 24) + 24) % 24;
  }

  private localDay(t: number): number {
    return Math.floor((t / HOUR_MS + this.config.utcOffsetHours) / 24);
  }

  /** Deterministic noise in [−1, 1] for an integer bucket (a small integer hash, no state). */
  private noise(bucket: number, salt: number): number {
    let h = (bucket * 374761393 + (this.config.seed + salt) * 668265263) | 0;
    h = Math.imul(h ^ (h >>> 13), 1274126177);
    h ^= h >>> 16;
    return ((h >>> 0) / 0xffffffff) * 2 - 1;
  }
}
