import { encodeField, type FieldSpec } from '../codec/fields.js';
import { IDENTITY_LAYOUTS, type BluettiModel } from '../codec/models.js';
import type { BluettiPhysicalState } from './physics.js';

export interface SimulatedIdentity {
  readonly model: BluettiModel;
  readonly serial: string;
  /** V1 firmware as (lo + hi·2^16)/100, e.g. 4030.15. */
  readonly armVersion: number;
  readonly dspVersion: number;
}

const GRID_V = 230;
const GRID_HZ = 50;
const PV_V = 38.5;

/** A reading key → what the physics says it is now. Keys the model lacks are simply not rendered. */
export function stateValue(key: string, s: BluettiPhysicalState): number | boolean | string {
  const soc = Math.round(s.socPct);
  switch (key) {
    case 'battery_soc':
    case 'pack_soc':
      return soc;
    case 'dc_input_power':
      return s.dcInputW;
    case 'ac_input_power':
      return s.acInputW;
    case 'ac_output_power':
      return s.acOutputW;
    case 'dc_output_power':
      return s.dcOutputW;
    case 'ac_output_on':
      return s.acOutputOn;
    case 'dc_output_on':
      return s.dcOutputOn;
    case 'grid_charge_on':
      return s.gridChargeOn;
    case 'charging_mode':
      return s.chargingMode;
    case 'ups_mode':
      return s.upsMode;
    case 'ac_output_mode':
      return s.acOutputOn ? 'inverter_output' : 'stop';
    case 'ac_output_voltage':
      return s.acOutputOn ? GRID_V : 0;
    case 'ac_output_frequency':
      return s.acOutputOn ? GRID_HZ : 0;
    case 'ac_input_voltage':
      return s.gridConnected ? GRID_V : 0;
    case 'ac_input_frequency':
      return s.gridConnected ? GRID_HZ : 0;
    case 'ac_input_current':
      return s.gridConnected ? s.acInputW / GRID_V : 0;
    case 'dc_input_voltage':
      return s.dcInputW > 0 ? PV_V : 0;
    case 'dc_input_current':
      return s.dcInputW > 0 ? s.dcInputW / PV_V : 0;
    case 'pack_count':
    case 'pack_number':
      return 1;
    case 'battery_voltage':
    case 'pack_voltage':
      // A 16-cell LiFePO4 pack: ~48 V empty to ~54 V full.
      return 48 + (s.socPct / 100) * 6;
    default:
      return 0;
  }
}

/** Every register the station would answer with now: identity plus the model's fields. */
export function renderRegisters(identity: SimulatedIdentity, s: BluettiPhysicalState): Map<number, number> {
  const registers = new Map<number, number>();
  const layout = IDENTITY_LAYOUTS[identity.model.generation];
  const name = identity.model.name.padEnd(layout.typeCount * 2, '\0');
  for (let i = 0; i < layout.typeCount; i++) {
    const a = name.charCodeAt(2 * i) & 0xff;
    const b = name.charCodeAt(2 * i + 1) & 0xff;
    registers.set(layout.typeRegister + i, layout.typeByteSwapped ? (b << 8) | a : (a << 8) | b);
  }
  let serial = BigInt(identity.serial);
  for (let i = 0; i < 4; i++) {
    registers.set(layout.serialRegister + i, Number(serial & 0xffffn));
    serial >>= 16n;
  }
  const version = (register: number | undefined, value: number): void => {
    if (register === undefined) return;
    const raw = Math.round(value * 100);
    registers.set(register, raw % 65536);
    registers.set(register + 1, Math.floor(raw / 65536));
  };
  version(layout.armVersionRegister, identity.armVersion);
  version(layout.dspVersionRegister, identity.dspVersion);
  for (const field of identity.model.fields) registers.set(field.register, renderField(field, s));
  return registers;
}

function renderField(field: FieldSpec, s: BluettiPhysicalState): number {
  return encodeField(field.kind, stateValue(field.key, s));
}
