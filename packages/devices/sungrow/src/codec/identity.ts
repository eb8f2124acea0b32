import { DecodeError } from '@sps/core';
import { INPUT } from '../registers.js';
import { modelForCode, modelName } from './models.js';
import { scale, type RegisterBlock } from './register-block.js';

export interface SungrowIdentity {
  readonly serial: string;
  readonly deviceTypeCode: number;
  readonly model: string;
  /** From register 5001 (×0.1 kW), else the model table; null when neither knows. */
  readonly nominalPowerW: number | null;
  readonly phases: 1 | 3 | null;
  readonly armSoftware: string | null;
  readonly dspSoftware: string | null;
}

/**
 * Identity from the 4990..5002 block (serial, type code, nominal power, output type) and, when the
 * transport has it, the 4954..4983 software-version block (the WiNet-S often lacks it).
 */
export function decodeIdentity(identity: RegisterBlock, software?: RegisterBlock): SungrowIdentity {
  if (!identity.covers(INPUT.SERIAL, INPUT.OUTPUT_TYPE - INPUT.SERIAL + 1)) {
    throw new DecodeError(
      `identity block ${identity.start}..${identity.end} is short: need ${INPUT.SERIAL}..${INPUT.OUTPUT_TYPE}`,
    );
  }
  const code = identity.word(INPUT.DEVICE_TYPE);
  const known = modelForCode(code);
  const nominal = scale(identity.u16(INPUT.NOMINAL_POWER), 100);
  const outputType = identity.u16(INPUT.OUTPUT_TYPE);
  const phases: 1 | 3 | null =
    outputType === 0 ? 1 : outputType === 1 || outputType === 2 ? 3 : (known?.phases ?? null);
  const hasSoftware = software?.covers(INPUT.ARM_SOFTWARE, 30) === true;
  return {
    serial: identity.string(INPUT.SERIAL, 10),
    deviceTypeCode: code,
    model: modelName(code),
    nominalPowerW: nominal !== null && nominal > 0 ? nominal : (known?.nominalPowerW ?? null),
    phases,
    armSoftware: hasSoftware ? emptyToNull(software.string(INPUT.ARM_SOFTWARE, 15)) : null,
    dspSoftware: hasSoftware ? emptyToNull(software.string(INPUT.DSP_SOFTWARE, 15)) : null,
  };
}

function emptyToNull(text: string): string | null {
  return text === '' ? null : text;
}
