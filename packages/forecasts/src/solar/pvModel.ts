/*
 * A small PV model: sun position (NOAA/Meeus low-precision formulas, good to a
 * fraction of a degree), isotropic-sky transposition of GHI/DNI/DHI onto a tilted
 * plane, a linear temperature derating and flat system losses. Azimuths use the
 * Forecast.Solar/Open-Meteo convention: 0 = south, −90 = east, 90 = west, ±180 = north.
 */

const RAD = Math.PI / 180;

export interface SunPosition {
  /** Degrees from vertical; > 90 = below the horizon. */
  zenith: number;
  /** Degrees, 0 = south, positive towards west. */
  azimuth: number;
}

export function sunPosition(ms: number, latitude: number, longitude: number): SunPosition {
  const d = ms / 86_400_000 + 2440587.5 - 2451545.0; // days since J2000.0
  const g = (357.529 + 0.98560028 * d) * RAD; // mean anomaly
  const q = 280.459 + 0.98564736 * d; // mean longitude
  const L = (q + 1.915 * Math.sin(g) + 0.02 * Math.sin(2 * g)) * RAD; // ecliptic longitude
  const e = (23.439 - 0.00000036 * d) * RAD; // obliquity
  const ra = Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L));
  const dec = Math.asin(Math.sin(e) * Math.sin(L));
  const gmstHours = 18.697374558 + 24.06570982441908 * d;
  const hourAngle = (gmstHours * 15 + longitude) * RAD - ra;
  const lat = latitude * RAD;
  const cosZ = Math.sin(lat) * Math.sin(dec) + Math.cos(lat) * Math.cos(dec) * Math.cos(hourAngle);
  const zenith = Math.acos(Math.max(-1, Math.min(1, cosZ))) / RAD;
  const az = Math.atan2(Math.sin(hourAngle), Math.cos(hourAngle) * Math.sin(lat) - Math.tan(dec) * Math.cos(lat)) / RAD;
  return { zenith, azimuth: az };
}

/** Plane-of-array irradiance (W/m²) from GHI, DNI, DHI with an isotropic sky and ground reflection. */
export function planeOfArrayIrradiance(
  ghi: number,
  dni: number,
  dhi: number,
  sun: SunPosition,
  tilt: number,
  azimuth: number,
  albedo = 0.2,
): number {
  const t = tilt * RAD;
  const cosAoi =
    Math.cos(sun.zenith * RAD) * Math.cos(t) +
    Math.sin(sun.zenith * RAD) * Math.sin(t) * Math.cos((sun.azimuth - azimuth) * RAD);
  const beam = sun.zenith < 90 ? dni * Math.max(0, cosAoi) : 0;
  const sky = (dhi * (1 + Math.cos(t))) / 2;
  const ground = (ghi * albedo * (1 - Math.cos(t))) / 2;
  return Math.max(0, beam + sky + ground);
}

export interface PvArray {
  name?: string;
  /** Degrees, 0 = horizontal. */
  tilt: number;
  /** Degrees, 0 = south, −90 = east, 90 = west. */
  azimuth: number;
  /** DC nameplate, kWp. */
  kwp: number;
  /** Wiring, soiling, mismatch, inverter efficiency…, % (default 14, PVWatts' default). */
  lossesPct?: number;
}

export interface PvModelOptions {
  /** Power temperature coefficient per °C (crystalline Si ≈ −0.4 %/°C). */
  tempCoeffPerC?: number;
}

/**
 * AC power (kW) of one array from plane-of-array irradiance and air temperature.
 * Cell temperature ≈ air + POA × 0.03 °C per W/m² (NOCT 45 °C at 800 W/m²).
 */
export function arrayPowerKw(array: PvArray, poaWm2: number, airTempC: number, opts: PvModelOptions = {}): number {
  const cellTemp = airTempC + poaWm2 * 0.03;
  const derate = 1 + (opts.tempCoeffPerC ?? -0.004) * (cellTemp - 25);
  const dc = array.kwp * (poaWm2 / 1000) * Math.max(0, derate);
  return Math.max(0, dc * (1 - (array.lossesPct ?? 14) / 100));
}
