/**
 * A PV panel feeding a portable station's MPPT input, as a function of time: a clear-sky bell
 * between sunrise and sunset, thinned by deterministic passing clouds, at a maximum-power-point
 * voltage that sags a little in weak light. Pure functions of (time, options), so a ManualClock
 * can jump hours and a reading at the same instant is the same every time.
 */
export interface PvPanelOptions {
  /** Peak power at full sun, W (a typical folding panel for a power station). */
  readonly peakPowerW: number;
  /** Maximum-power-point voltage at full sun, V (≤ 36 V: the INA260's common-mode limit). */
  readonly mppVoltageV: number;
  readonly sunriseHour: number;
  readonly sunsetHour: number;
  /** Local time = UTC + this, for where the sun is. */
  readonly utcOffsetHours: number;
  /** Varies the clouds between simulated sites. */
  readonly seed: number;
}

export const DEFAULT_PANEL: PvPanelOptions = {
  peakPowerW: 200,
  mppVoltageV: 20,
  sunriseHour: 6,
  sunsetHour: 18,
  utcOffsetHours: 0,
  seed: 1,
};

export interface PanelOutput {
  /** 0..1 of full sun after clouds. */
  readonly irradiance: number;
  readonly voltageV: number;
  readonly currentA: number;
  readonly powerW: number;
}

const HOUR_MS = 3_600_000;

export function localHour(ms: number, utcOffsetHours: number): number {
  const hour = (((ms / HOUR_MS + utcOffsetHours) % 24) + 24) % 24;
  return hour;
}

/** Clear-sky fraction of full sun: sin² over the day, 0 at night. */
export function clearSky(hour: number, panel: PvPanelOptions): number {
  if (hour <= panel.sunriseHour || hour >= panel.sunsetHour) return 0;
  const phase = (hour - panel.sunriseHour) / (panel.sunsetHour - panel.sunriseHour);
  return Math.sin(Math.PI * phase) ** 2;
}

/** 0.35..1: three slow waves with unrelated periods (minutes), shifted by the seed. */
export function cloudFactor(ms: number, seed: number): number {
  const minutes = ms / 60_000;
  const wave =
    Math.sin(minutes / 7.3 + seed * 1.7) + 0.6 * Math.sin(minutes / 2.9 + seed * 4.1) + 0.4 * Math.sin(minutes / 17.1);
  // wave ∈ [-2, 2]; most of the time the sky is clear-ish.
  return Math.min(1, Math.max(0.35, 0.85 + 0.2 * wave));
}

export function panelOutput(ms: number, panel: PvPanelOptions): PanelOutput {
  const irradiance = clearSky(localHour(ms, panel.utcOffsetHours), panel) * cloudFactor(ms, panel.seed);
  if (irradiance < 0.002) return { irradiance, voltageV: 0, currentA: 0, powerW: 0 };
  // Vmp drops in weak light; the MPPT follows it.
  const voltageV = panel.mppVoltageV * (0.85 + 0.15 * Math.min(1, irradiance * 3));
  const powerW = panel.peakPowerW * irradiance;
  return { irradiance, voltageV, currentA: powerW / voltageV, powerW };
}

/** Deterministic noise in [-1, 1] for (seed, time slot, channel): a 32-bit integer hash. */
export function noise(seed: number, slot: number, channel: number): number {
  let h = (seed * 0x9e3779b1) ^ (slot * 0x85ebca6b) ^ (channel * 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return ((h >>> 0) / 0xffffffff) * 2 - 1;
}
