import { DeviceError } from '@sps/core';
import { INA260_DEVICE_ID, TI_MANUFACTURER_ID } from '../registers.js';
import { hex16 } from './word.js';

export interface Ina260Identity {
  readonly manufacturerId: number;
  readonly dieId: number;
  /** Bits 3–0 of the die id register. */
  readonly revision: number;
}

/**
 * TI monitors that sit at the same addresses and keep their id registers at 0xFE/0xFF too, so a
 * wrong chip gets a useful message (INA226 die 0x2260, INA3221 die 0x3220).
 */
const KNOWN_TI_DEVICES: Readonly<Record<number, string>> = {
  0x226: 'INA226',
  0x322: 'INA3221',
};

/**
 * Checks the identity registers (0xFE manufacturer "TI" = 0x5449, 0xFF die id 0x227x).
 * Anything else is `unsupported`, naming what was found: an INA219 has no id registers and an
 * INA226 has a calibration register and another scaling, so guessing would give wrong watts.
 */
export function checkIdentity(manufacturerId: number, dieIdWord: number, where: string): Ina260Identity {
  const deviceId = dieIdWord >> 4;
  if (manufacturerId !== TI_MANUFACTURER_ID) {
    throw new DeviceError(
      'unsupported',
      `the chip at ${where} is not an INA260: manufacturer id ${hex16(manufacturerId)} (expected ${hex16(TI_MANUFACTURER_ID)} "TI")`,
    );
  }
  if (deviceId !== INA260_DEVICE_ID) {
    const known = KNOWN_TI_DEVICES[deviceId];
    throw new DeviceError(
      'unsupported',
      `the chip at ${where} is ${known === undefined ? 'a TI device' : `a TI ${known}`}, not an INA260: die id ${hex16(dieIdWord)} (expected 0x227x)`,
    );
  }
  return { manufacturerId, dieId: deviceId, revision: dieIdWord & 0xf };
}
