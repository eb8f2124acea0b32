/**
 * The INA260 register map and scaling (TI datasheet SBOSA69, summarised in
 * shared/reference/device-protocols.md §8). Every register is 16 bits, MSB first on the wire.
 */
export const REGISTER = {
  CONFIGURATION: 0x00,
  /** Signed, two's complement, 1.25 mA/LSB. */
  CURRENT: 0x01,
  /** Unsigned, 1.25 mV/LSB, 0–36 V in use (bit 15 is always 0: full scale 40.96 V). */
  BUS_VOLTAGE: 0x02,
  /** Unsigned, 10 mW/LSB; the chip computes it from each current and voltage conversion. */
  POWER: 0x03,
  MASK_ENABLE: 0x06,
  ALERT_LIMIT: 0x07,
  MANUFACTURER_ID: 0xfe,
  DIE_ID: 0xff,
} as const;

export type RegisterName = keyof typeof REGISTER;

/** Scaling of the measurement registers, in SI units per LSB. */
export const LSB = {
  currentA: 0.00125,
  voltageV: 0.00125,
  powerW: 0.01,
} as const;

/** "TI" in ASCII. */
export const TI_MANUFACTURER_ID = 0x5449;
/** Die ID register: bits 15–4 the device id (0x227), bits 3–0 the die revision. */
export const INA260_DEVICE_ID = 0x227;
export const INA260_DIE_ID = 0x2270;

/** Power-on value of the configuration register: AVG 1, both conversion times 1.1 ms, continuous. */
export const CONFIG_POWER_ON = 0x6127;

/** A0/A1 strapping gives 16 addresses (GND/VS/SDA/SCL on each pin). */
export const FIRST_ADDRESS = 0x40;
export const LAST_ADDRESS = 0x4f;
