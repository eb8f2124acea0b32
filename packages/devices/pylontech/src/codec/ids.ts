/**
 * The frame set a Pylontech-protocol BMS sends (CAN 2.0A, 11-bit ids, 500 kbit/s, little-endian fields,
 * a burst about once a second). Facts from shared reference §7.2 (Pylontech/SMA-Victron style BMS CAN)
 * and the BYD capture of dfch/BydCanProtocol (MIT).
 */
export const PYLONTECH_FRAME_IDS = {
  /** Charge voltage limit, charge/discharge current limits, discharge voltage limit. */
  limits: 0x351,
  /** SOC, SOH (and on some BMS a high-resolution SOC). */
  soc: 0x355,
  /** Battery voltage, current (+ = charging on the wire), temperature. */
  measurements: 0x356,
  /** Pylontech protection and alarm flags, module count, "PN". */
  flags: 0x359,
  /** SMA/BYD/REC-style alarm and warning bit pairs (sent instead of 0x359). */
  smaAlarms: 0x35a,
  /** Charge/discharge enable and charge request flags. */
  requests: 0x35c,
  /** Manufacturer name, ASCII. */
  manufacturer: 0x35e,
  /** Inverter → BMS keep-alive (all zeros). */
  keepAlive: 0x305,
} as const;

export type PylontechFrameName = keyof typeof PYLONTECH_FRAME_IDS;

/** The frames the driver decodes (the BMS → inverter direction). */
export const BMS_FRAME_IDS: readonly number[] = [0x351, 0x355, 0x356, 0x359, 0x35a, 0x35c, 0x35e];
