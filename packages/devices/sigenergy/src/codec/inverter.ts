import { DecodeError } from '@sps/core';
import { INVERTER, INVERTER_IDENTITY_BLOCK } from '../registers.js';
import { fromGain, type RegisterBlock } from './register-block.js';

export interface SigenergyInverterIdentity {
  readonly unitId: number;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  /** 30540 ÷1000 kW, in W; null when not available. */
  readonly ratedPowerW: number | null;
}

/** Model, serial, firmware and rating of one inverter from its 30500..30541 block. */
export function decodeInverterIdentity(unitId: number, block: RegisterBlock): SigenergyInverterIdentity {
  const spec = INVERTER_IDENTITY_BLOCK;
  if (!block.covers(spec.start, spec.count)) {
    throw new DecodeError(
      `inverter ${unitId} identity block ${block.start}..${block.end} is short: need ${spec.start}..${spec.start + spec.count - 1}`,
    );
  }
  return {
    unitId,
    model: block.string(INVERTER.MODEL, 15),
    serial: block.string(INVERTER.SERIAL, 10),
    firmware: block.string(INVERTER.FIRMWARE, 15),
    ratedPowerW: fromGain(block.u32(INVERTER.RATED_ACTIVE_POWER), 1000, 1000),
  };
}

/** One inverter's PV power (31035, S32 ÷1000 kW) in W. */
export function decodeInverterPv(block: RegisterBlock): number | null {
  return fromGain(block.s32(INVERTER.PV_POWER), 1000, 1000);
}
