import { IDENTITY_LAYOUTS, KNOWN_MODEL_PATTERN, type ProtocolGeneration } from './models.js';
import type { RegisterImage } from './registers.js';

export interface BluettiIdentity {
  readonly generation: ProtocolGeneration;
  /** As the station names itself, e.g. `AC200M`. */
  readonly model: string;
  readonly serial: string;
  /** `ARM 4030.15 / DSP 4005.07` on V1 stations; absent on V2. */
  readonly firmware?: string;
}

export type IdentityResult =
  | { readonly ok: true; readonly identity: BluettiIdentity }
  /** What the type registers held instead, for the error message. */
  | { readonly ok: false; readonly seen: string };

/**
 * Read the identity registers of one generation. A station of the other generation (or
 * anything else) puts non-model text there, which the model pattern rejects — the same
 * check bluetti-bt-lib's recogniser makes (device-protocols.md §1.2).
 */
export function decodeIdentity(generation: ProtocolGeneration, image: RegisterImage): IdentityResult {
  const layout = IDENTITY_LAYOUTS[generation];
  const text = image.ascii(layout.typeRegister, layout.typeCount, layout.typeByteSwapped);
  if (text === null || !KNOWN_MODEL_PATTERN.test(text)) return { ok: false, seen: printable(text ?? '') };
  const serial = image.serial(layout.serialRegister) ?? 'unknown';
  const arm = layout.armVersionRegister === undefined ? null : image.version(layout.armVersionRegister);
  const dsp = layout.dspVersionRegister === undefined ? null : image.version(layout.dspVersionRegister);
  const firmware = [arm === null ? null : `ARM ${arm}`, dsp === null ? null : `DSP ${dsp}`]
    .filter((s) => s !== null)
    .join(' / ');
  return { ok: true, identity: { generation, model: text, serial, ...(firmware === '' ? {} : { firmware }) } };
}

/** Text safe to put in an error message. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 24);
}
