/**
 * A portable power station as physics: one battery, an AC input (grid, via P1), a DC input
 * (PV, P4), an AC output (P3) and a DC output, each output switched on or off. The battery
 * takes whatever the inputs give beyond what the outputs draw. With the grid present the
 * station passes grid power through to its loads (as a Bluetti does) and charges at the rate
 * of its charging mode; without it the battery carries the loads, and an empty battery shuts
 * the outputs down.
 */
export type ChargingMode = 'standard' | 'silent' | 'turbo';

export interface BluettiPhysicsConfig {
  readonly capacityWh: number;
  /** AC charging power per charging mode. */
  readonly acChargeW: Readonly<Record<ChargingMode, number>>;
  readonly maxPvW: number;
  /** Largest step of the integration, s. */
  readonly maxStepS: number;
}

export interface BluettiPhysicalState {
  socPct: number;
  acOutputOn: boolean;
  dcOutputOn: boolean;
  /** AC300's grid-charge switch; stations without one always charge from the grid. */
  gridChargeOn: boolean;
  chargingMode: ChargingMode;
  upsMode: string;
  /** Is there grid voltage at the AC input (the P1 relay closed)? */
  gridConnected: boolean;
  /** What the panel could give now, W. */
  pvAvailableW: number;
  /** What the loads on each output want, W. */
  acLoadW: number;
  dcLoadW: number;
  // Flows of the last step, W.
  acInputW: number;
  dcInputW: number;
  acOutputW: number;
  dcOutputW: number;
  /** + discharge. */
  batteryPowerW: number;
  readonly capacityWh: number;
}

export const DEFAULT_PHYSICS: BluettiPhysicsConfig = {
  capacityWh: 1152,
  acChargeW: { standard: 950, silent: 350, turbo: 1440 },
  maxPvW: 500,
  maxStepS: 5,
};

export class BluettiPhysics {
  readonly config: BluettiPhysicsConfig;
  readonly state: BluettiPhysicalState;
  private lastMs: number;

  constructor(nowMs: number, config: Partial<BluettiPhysicsConfig> = {}, initial: Partial<BluettiPhysicalState> = {}) {
    this.config = { ...DEFAULT_PHYSICS, ...config };
    this.lastMs = nowMs;
    this.state = {
      socPct: 80,
      acOutputOn: false,
      dcOutputOn: false,
      gridChargeOn: true,
      chargingMode: 'standard',
      upsMode: 'ups_standard',
      gridConnected: false,
      pvAvailableW: 0,
      acLoadW: 300,
      dcLoadW: 25,
      acInputW: 0,
      dcInputW: 0,
      acOutputW: 0,
      dcOutputW: 0,
      batteryPowerW: 0,
      ...initial,
      capacityWh: this.config.capacityWh,
    };
    this.computeFlows();
  }

  /** Integrate up to `nowMs`, in steps of at most maxStepS. */
  advanceTo(nowMs: number): void {
    while (this.lastMs < nowMs) {
      const stepMs = Math.min(nowMs - this.lastMs, this.config.maxStepS * 1000);
      this.computeFlows();
      this.integrate(stepMs / 3_600_000);
      this.lastMs += stepMs;
    }
    this.computeFlows();
  }

  /** Recompute the flows after a control changed (no time passes). */
  computeFlows(): void {
    const s = this.state;
    const acOut = s.acOutputOn ? Math.round(s.acLoadW) : 0;
    const dcOut = s.dcOutputOn ? Math.round(s.dcLoadW) : 0;
    const full = s.socPct >= 100;
    const pvCap = Math.min(Math.max(0, s.pvAvailableW), this.config.maxPvW);
    const pvIn = full ? Math.min(pvCap, acOut + dcOut) : pvCap;
    let gridIn = 0;
    if (s.gridConnected) {
      const passThrough = Math.max(0, acOut + dcOut - pvIn);
      const charge = !full && s.gridChargeOn ? this.config.acChargeW[s.chargingMode] : 0;
      gridIn = passThrough + charge;
    }
    s.acOutputW = acOut;
    s.dcOutputW = dcOut;
    s.dcInputW = Math.round(pvIn);
    s.acInputW = Math.round(gridIn);
    s.batteryPowerW = acOut + dcOut - s.dcInputW - s.acInputW;
  }

  private integrate(hours: number): void {
    const s = this.state;
    s.socPct -= ((s.batteryPowerW * hours) / this.config.capacityWh) * 100;
    if (s.socPct >= 100) s.socPct = 100;
    if (s.socPct <= 0) {
      s.socPct = 0;
      // An empty station shuts its outputs down rather than browning out.
      if (s.batteryPowerW > 0) {
        s.acOutputOn = false;
        s.dcOutputOn = false;
      }
    }
  }
}
