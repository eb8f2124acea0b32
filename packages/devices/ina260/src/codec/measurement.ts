import { DecodeError } from '@sps/core';
import { LSB } from '../registers.js';
import { hex16, toSigned16 } from './word.js';

/** The three measurement registers as read from the chip. */
export interface RawMeasurement {
  readonly current: number;
  readonly busVoltage: number;
  readonly power: number;
}

export interface Measurement {
  readonly voltageV: number;
  /** Signed as the chip sees it: negative when the panel is wired through the sensor backwards. */
  readonly currentA: number;
  /** The power register: always ≥ 0 (the chip multiplies the magnitude of the current). */
  readonly powerW: number;
}

/** Rounds away the float noise of LSB × count (1.25 mV steps need 5 decimals). */
const round = (value: number, decimals: number): number => Number(value.toFixed(decimals));

export function decodeMeasurement(raw: RawMeasurement): Measurement {
  for (const [name, word] of Object.entries(raw)) {
    if (!Number.isInteger(word) || word < 0 || word > 0xffff) {
      throw new DecodeError(`${name} register: ${String(word)} is not a 16-bit word`);
    }
  }
  // Full scale of the bus voltage register is 40.96 V: bit 15 is never set by a healthy chip.
  if (raw.busVoltage & 0x8000) {
    throw new DecodeError(`bus voltage register ${hex16(raw.busVoltage)} has bit 15 set (beyond 40.96 V full scale)`);
  }
  return {
    voltageV: round(raw.busVoltage * LSB.voltageV, 5),
    currentA: round(toSigned16(raw.current) * LSB.currentA, 5),
    powerW: round(raw.power * LSB.powerW, 2),
  };
}

export interface PowerCheck {
  readonly consistent: boolean;
  /** |I| × V from the current and voltage registers. */
  readonly productW: number;
  readonly toleranceW: number;
}

/**
 * The power register against V × |I|. They differ by quantisation (10 mW power LSB plus one
 * LSB of each factor) and because the chip averages products while V × I multiplies averages
 * and the three registers are read at slightly different times; beyond that the words were
 * corrupted on the bus (I2C has no checksum, this is the only integrity check there is).
 */
export function checkPower(m: Measurement): PowerCheck {
  const productW = Math.abs(m.currentA) * m.voltageV;
  const quantisationW = LSB.powerW + Math.abs(m.currentA) * LSB.voltageV + m.voltageV * LSB.currentA;
  const toleranceW = 2 * quantisationW + 0.05 * Math.max(productW, m.powerW);
  return { consistent: Math.abs(productW - m.powerW) <= toleranceW, productW, toleranceW };
}
