/**
 * The simulated SigenStor's physics: a household with PV, a battery and a grid connection. Pure
 * and deterministic (no I/O, no timers): `advanceTo(t)` integrates in ≤5 s steps up to t, so a
 * test can jump a ManualClock by hours and get the answer stepping every second would give.
 *
 * Signs are the project's (battery + discharge, grid + import); the register image converts to
 * Sigenergy's (ESS + charging).
 */

export interface SigenergyPhysicsConfig {
  /** Usable battery capacity, Wh. */
  readonly capacityWh: number;
  /** One-way conversion efficiency (AC→cell and cell→AC). */
  readonly efficiency: number;
  /** Battery converter rating (charge and discharge), W. */
  readonly ratedBatteryW: number;
  /** Inverter's max active power (the export cap), W. */
  readonly ratedActiveW: number;
  /** PV peak at solar noon on a clear day, W. */
  readonly pvPeakW: number;
  readonly baseLoadW: number;
  readonly eveningPeakW: number;
  readonly loadNoiseW: number;
  /** Local time = UTC + this; drives the solar curve, the evening peak and the daily counter's midnight. */
  readonly utcOffsetHours: number;
  readonly initialSocPct: number;
  readonly sohPct: number;
  readonly seed: number;
}

export const DEFAULT_SIGENERGY_PHYSICS: SigenergyPhysicsConfig = {
  capacityWh: 16_000,
  efficiency: 0.96,
  ratedBatteryW: 8000,
  ratedActiveW: 10_000,
  pvPeakW: 9000,
  baseLoadW: 400,
  eveningPeakW: 2000,
  loadNoiseW: 150,
  utcOffsetHours: 0,
  initialSocPct: 50,
  sohPct: 99,
  seed: 3,
};

/** What the plant's holding registers ask of the battery, decoded to physical terms. */
export interface SigenergyControls {
  readonly remoteEmsEnabled: boolean;
  /** 40031 code. */
  readonly remoteEmsMode: number;
  readonly chargeLimitW: number;
  readonly dischargeLimitW: number;
  /** null = no limit. */
  readonly exportLimitW: number | null;
  readonly importLimitW: number | null;
  readonly backupSocPct: number;
  readonly chargeCutOffSocPct: number;
}

export interface SigenergyCounters {
  pvWh: number;
  gridImportWh: number;
  gridExportWh: number;
  batteryChargeWh: number;
  batteryDischargeWh: number;
  loadWh: number;
}

export interface SigenergyPhysicalState {
  readonly timestamp: number;
  readonly socPct: number;
  readonly sohPct: number;
  readonly capacityWh: number;
  readonly pvPowerW: number;
  readonly curtailedPvW: number;
  readonly loadPowerW: number;
  /** + discharge, − charge. */
  readonly batteryPowerW: number;
  /** + import, − export. */
  readonly gridPowerW: number;
  readonly cellTemperatureC: number;
  readonly total: Readonly<SigenergyCounters>;
  /** Load energy since local midnight (the plant's only daily counter read here). */
  readonly loadTodayWh: number;
}

const HOUR_MS = 3_600_000;
const STEP_MS = 5000;

interface Flows {
  pv: number;
  curtailed: number;
  load: number;
  battery: number;
  grid: number;
}

export class SigenergyPhysics {
  readonly config: SigenergyPhysicsConfig;
  private time: number;
  private storedWh: number;
  private flows: Flows = { pv: 0, curtailed: 0, load: 0, battery: 0, grid: 0 };
  private readonly total: SigenergyCounters = {
    pvWh: 0,
    gridImportWh: 0,
    gridExportWh: 0,
    batteryChargeWh: 0,
    batteryDischargeWh: 0,
    loadWh: 0,
  };
  private loadTodayWh = 0;

  constructor(startMs: number, config: Partial<SigenergyPhysicsConfig> = {}) {
    this.config = { ...DEFAULT_SIGENERGY_PHYSICS, ...config };
    this.time = startMs;
    this.storedWh = (this.config.capacityWh * this.config.initialSocPct) / 100;
  }

  /** Integrate up to `t` (ms). A `t` in the past only refreshes the instantaneous flows. */
  advanceTo(t: number, controls: SigenergyControls): void {
    while (this.time < t) {
      const next = Math.min(t, this.time + STEP_MS);
      if (this.localDay(next) !== this.localDay(this.time)) this.loadTodayWh = 0;
      const dtHours = (next - this.time) / HOUR_MS;
      this.flows = this.computeFlows(next, controls, dtHours);
      this.integrate(dtHours);
      this.time = next;
    }
    this.flows = this.computeFlows(this.time, controls, 0);
  }

  get state(): SigenergyPhysicalState {
    const f = this.flows;
    return {
      timestamp: this.time,
      socPct: (this.storedWh / this.config.capacityWh) * 100,
      sohPct: this.config.sohPct,
      capacityWh: this.config.capacityWh,
      pvPowerW: f.pv,
      curtailedPvW: f.curtailed,
      loadPowerW: f.load,
      batteryPowerW: f.battery,
      gridPowerW: f.grid,
      cellTemperatureC: 24 + Math.abs(f.battery) / 2000,
      total: { ...this.total },
      loadTodayWh: this.loadTodayWh,
    };
  }

  /** PV: a bell around local noon, none at night, thinned by deterministic passing clouds. */
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

  private computeFlows(t: number, c: SigenergyControls, dtHours: number): Flows {
    const { ratedBatteryW, capacityWh, efficiency } = this.config;
    let pv = this.pvAvailable(t);
    const load = this.loadDemand(t);
    const headroomWh = Math.max(0, (c.chargeCutOffSocPct / 100) * capacityWh - this.storedWh);
    const reserveWh = Math.max(0, this.storedWh - (c.backupSocPct / 100) * capacityWh);
    // Remote EMS limits bind only while remote EMS is on; the plant's own mode uses its rating.
    const chargeLimit = c.remoteEmsEnabled ? Math.min(ratedBatteryW, c.chargeLimitW) : ratedBatteryW;
    const dischargeLimit = c.remoteEmsEnabled ? Math.min(ratedBatteryW, c.dischargeLimitW) : ratedBatteryW;
    const chargeCap = Math.min(
      chargeLimit,
      dtHours > 0 ? headroomWh / efficiency / dtHours : headroomWh > 0.5 ? Infinity : 0,
    );
    const dischargeCap = Math.min(
      dischargeLimit,
      dtHours > 0 ? (reserveWh * efficiency) / dtHours : reserveWh > 0.5 ? Infinity : 0,
    );

    const selfConsume = (): number => {
      const surplus = pv - load;
      return surplus > 0 ? -Math.min(surplus, chargeCap) : Math.min(-surplus, dischargeCap);
    };
    let battery: number;
    if (!c.remoteEmsEnabled) battery = selfConsume();
    else {
      switch (c.remoteEmsMode) {
        case 2: // maximum self-consumption, within the remote limits
          battery = selfConsume();
          break;
        case 3: // command charging, grid first: charge at the limit whatever the sun does
        case 4: // command charging, PV first: the same battery power, PV feeds it before the grid
          battery = -chargeCap;
          break;
        case 5: // command discharging, PV first
        case 6: // command discharging, ESS first
          battery = dischargeCap;
          break;
        default: // 0 PCS remote control (not modelled), 1 standby
          battery = 0;
      }
    }

    let grid = load - pv - battery;
    let curtailed = 0;
    if (c.exportLimitW !== null && -grid > c.exportLimitW) {
      // The plant holds the export limit by curtailing PV first, then battery discharge.
      let excess = -grid - c.exportLimitW;
      curtailed = Math.min(excess, pv);
      pv -= curtailed;
      excess -= curtailed;
      if (excess > 0 && battery > 0) battery -= Math.min(excess, battery);
    }
    grid = load - pv - battery;
    if (c.importLimitW !== null && grid > c.importLimitW && battery < 0) {
      // Grid charging gives way first when the import limit binds.
      battery = Math.min(0, battery + (grid - c.importLimitW));
    }
    battery = Math.round(battery) || 0; // whole watts, as the registers carry them; never −0
    return { pv, curtailed, load, battery, grid: load - pv - battery };
  }

  private integrate(dtHours: number): void {
    const { pv, load, battery, grid } = this.flows;
    const eff = this.config.efficiency;
    if (battery < 0) this.storedWh += -battery * dtHours * eff;
    else this.storedWh -= (battery * dtHours) / eff;
    this.storedWh = Math.min(this.config.capacityWh, Math.max(0, this.storedWh));
    this.total.pvWh += pv * dtHours;
    this.total.loadWh += load * dtHours;
    this.total.gridImportWh += Math.max(0, grid) * dtHours;
    this.total.gridExportWh += Math.max(0, -grid) * dtHours;
    this.total.batteryChargeWh += Math.max(0, -battery) * dtHours;
    this.total.batteryDischargeWh += Math.max(0, battery) * dtHours;
    this.loadTodayWh += load * dtHours;
  }

  private localHour(t: number): number {
    const hours = t / HOUR_MS + this.config.utcOffsetHours;
    return ((hours % 24) + 24) % 24;
  }

  private localDay(t: number): number {
    return Math.floor((t / HOUR_MS + this.config.utcOffsetHours) / 24);
  }

  /** Deterministic noise in [−1, 1] for an integer bucket. */
  private noise(bucket: number, salt: number): number {
    let h = (bucket * 374761393 + (this.config.seed + salt) * 668265263) | 0;
    h = Math.imul(h ^ (h >>> 13), 1274126177);
    h ^= h >>> 16;
    return ((h >>> 0) / 0xffffffff) * 2 - 1;
  }
}
