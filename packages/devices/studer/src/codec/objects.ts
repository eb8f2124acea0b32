/**
 * The Studer objects this driver reads and writes: user infos (read-only values) and parameters
 * (settings with a min and max), with the unit the device reports them in. Numbers and enums from
 * Studer's object model (the same numbers over Xcom-232i, Xcom-LAN, Xcom-CAN and Xcom-485i);
 * device-protocols.md §7.1 of the project's research notes, which cites Studer's documentation.
 */

/** Xtender user infos. */
export const XT_INFO = {
  batteryVoltage: 3000,
  batteryTemperature: 3001,
  /** Xtender battery charge current, A: + charging, − the inverter drawing from the battery. */
  batteryChargeCurrent: 3005,
  stateOfCharge: 3007,
  batteryCyclePhase: 3010,
  acInputVoltage: 3011,
  transferRelay: 3020,
  acOutputVoltage: 3021,
  operatingState: 3028,
  /** kW */
  acOutputActivePower: 3136,
  /** kW */
  acInputActivePower: 3137,
} as const;

/** VarioTrack user infos. */
export const VT_INFO = {
  batteryVoltage: 11000,
  /** A, charging current into the battery. */
  batteryCurrent: 11001,
  /** kW */
  pvPower: 11004,
  /** kWh */
  productionToday: 11007,
  /** MWh */
  productionTotal: 11009,
  model: 11015,
} as const;

/** Xtender parameters the driver writes. Writes go to the device's flash (see the adapter). */
export const XT_PARAM = {
  /** Maximum current of the AC source (input limit), A. */
  acInputCurrentLimit: 1107,
  /** Inverter allowed, 1 yes / 0 no. */
  inverterAllowed: 1124,
  /** Charger allowed, 1 yes / 0 no. */
  chargerAllowed: 1125,
  /** Battery charge current, A. */
  chargeCurrent: 1138,
} as const;

export type StuderParameter = (typeof XT_PARAM)[keyof typeof XT_PARAM];

/** 3028: what the Xtender is doing. */
export const OPERATING_STATES = ['invalid', 'inverter', 'charger', 'boost', 'injection'] as const;
export type StuderOperatingState = (typeof OPERATING_STATES)[number] | 'unknown';

/** 3010: the battery cycle phase (0 = none running). */
export const CYCLE_PHASES = ['none', 'bulk', 'absorption', 'equalise', 'floating'] as const;
export type StuderCyclePhase = (typeof CYCLE_PHASES)[number] | 'unknown';

/** 11015: the VarioTrack model. */
export const VARIOTRACK_MODELS = ['VT-80', 'VT-65', 'VT-40', 'VT-HV'] as const;

/** An enum user info (a FLOAT on the wire) as its name; anything off the table is `unknown`, never a guess. */
export function enumName<T extends string>(table: readonly T[], value: number): T | 'unknown' {
  return Number.isInteger(value) ? (table[value] ?? 'unknown') : 'unknown';
}

/**
 * Addresses on the Studer bus (Studer's address table): 100 all Xtenders (multicast), 101..109
 * the Xtenders in RCC order; 300 all VarioTracks, 301..315 each; 500 all RCC/Xcom (where device
 * messages go); 600/601 the BSP; 700, 701..715 the VarioStrings. Source: xcomcan/addresses.py.
 */
export const STUDER_ADDRESS = {
  xtenderGroup: 100,
  firstXtender: 101,
  varioTrackGroup: 300,
  firstVarioTrack: 301,
  rccGroup: 500,
} as const;
