import { PYLONTECH_0x359_BITS, SMA_0x35A_PAIRS, type BmsFlag } from './bits.js';

/**
 * Pure decoders of the BMS frames. Like zod's safeParse, a decoder never throws: a frame it cannot
 * trust (wrong length, a value out of range, an extended id) comes back as a reason, so one bad
 * frame on a noisy bus costs one reading, never the add-on.
 *
 * Values are already in the project's units and signs: V, A, °C, %, and battery current positive
 * when DISCHARGING (the frame counts + as charging).
 */

export interface LimitsFrame {
  readonly kind: 'limits';
  readonly chargeVoltageLimitV: number;
  readonly chargeCurrentLimitA: number;
  readonly dischargeCurrentLimitA: number;
  /** Absent on BMS that send a 6-byte 0x351. */
  readonly dischargeVoltageLimitV: number | null;
}

export interface SocFrame {
  readonly kind: 'soc';
  readonly socPct: number;
  readonly sohPct: number;
}

export interface MeasurementsFrame {
  readonly kind: 'measurements';
  readonly voltageV: number;
  /** Positive when discharging (project sign). */
  readonly currentA: number;
  readonly temperatureC: number;
}

export interface FlagsFrame {
  readonly kind: 'flags';
  /** Every flag 0x359 carries, true when set. */
  readonly flags: Readonly<Partial<Record<BmsFlag, boolean>>>;
  readonly moduleCount: number;
}

export interface SmaAlarmsFrame {
  readonly kind: 'sma_alarms';
  /** Flags whose bit pair says set (true) or cleared (false); a pair of 00/11 (not supported) is left out. */
  readonly flags: Readonly<Partial<Record<BmsFlag, boolean>>>;
}

export interface RequestsFrame {
  readonly kind: 'requests';
  readonly chargeEnabled: boolean;
  readonly dischargeEnabled: boolean;
  /** Force-charge request I (b5). */
  readonly forceChargeRequest: boolean;
  /** Force-charge request II, the low-SOC one (b4). */
  readonly forceChargeRequestLowSoc: boolean;
  /** Full (balancing) charge request (b3). */
  readonly fullChargeRequest: boolean;
}

export interface ManufacturerFrame {
  readonly kind: 'manufacturer';
  readonly manufacturer: string;
}

export type BmsFrame =
  LimitsFrame | SocFrame | MeasurementsFrame | FlagsFrame | SmaAlarmsFrame | RequestsFrame | ManufacturerFrame;

export type DecodeResult<T> =
  { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly reason: string };

const hex = (id: number): string => `0x${id.toString(16).toUpperCase().padStart(3, '0')}`;
const reject = (id: number, why: string): { ok: false; reason: string } => ({
  ok: false,
  reason: `${hex(id)}: ${why}`,
});
const accept = <T>(frame: T): { ok: true; frame: T } => ({ ok: true, frame });

/** Scales a raw integer and drops the float noise of the multiplication (0.1 × 532 = 53.2, not 53.2000…1). */
const scaled = (raw: number, factor: number, decimals: number): number => Number((raw * factor).toFixed(decimals));

const u16 = (d: Uint8Array, at: number): number => (d[at] as number) | ((d[at + 1] as number) << 8);
const s16 = (d: Uint8Array, at: number): number => {
  const v = u16(d, at);
  return v >= 0x8000 ? v - 0x10000 : v;
};

function checkDlc(data: Uint8Array, min: number, max: number): string | null {
  if (data.length < min || data.length > max) {
    const want = min === max ? `${min}` : `${min}–${max}`;
    return `DLC ${data.length}, expected ${want}`;
  }
  return null;
}

export function decodeLimits(data: Uint8Array): DecodeResult<LimitsFrame> {
  const id = 0x351;
  const bad = checkDlc(data, 6, 8);
  if (bad !== null) return reject(id, bad);
  if (data.length === 7) return reject(id, 'DLC 7, expected 6 or 8');
  const cvl = u16(data, 0);
  const ccl = s16(data, 2);
  const dcl = s16(data, 4);
  if (ccl < 0) return reject(id, `charge current limit ${scaled(ccl, 0.1, 1)} A is negative`);
  if (dcl < 0) return reject(id, `discharge current limit ${scaled(dcl, 0.1, 1)} A is negative`);
  return accept({
    kind: 'limits',
    chargeVoltageLimitV: scaled(cvl, 0.1, 1),
    chargeCurrentLimitA: scaled(ccl, 0.1, 1),
    dischargeCurrentLimitA: scaled(dcl, 0.1, 1),
    dischargeVoltageLimitV: data.length === 8 ? scaled(u16(data, 6), 0.1, 1) : null,
  });
}

export function decodeSoc(data: Uint8Array): DecodeResult<SocFrame> {
  const id = 0x355;
  const bad = checkDlc(data, 4, 8);
  if (bad !== null) return reject(id, bad);
  const soc = u16(data, 0);
  const soh = u16(data, 2);
  if (soc > 100) return reject(id, `SOC ${soc} % is above 100`);
  if (soh > 100) return reject(id, `SOH ${soh} % is above 100`);
  // Some BMS add a 0.01 % SOC in bytes 4–5; BYD sends zeros there. Use it only when it agrees with the
  // whole-percent SOC, so a vendor's other use of those bytes cannot move the SOC.
  let socPct = soc;
  if (data.length >= 6) {
    const fine = u16(data, 4) / 100;
    if (fine > 0 && fine <= 100 && Math.abs(fine - soc) < 1) socPct = fine;
  }
  return accept({ kind: 'soc', socPct, sohPct: soh });
}

export function decodeMeasurements(data: Uint8Array): DecodeResult<MeasurementsFrame> {
  const id = 0x356;
  const bad = checkDlc(data, 6, 8);
  if (bad !== null) return reject(id, bad);
  const voltage = s16(data, 0);
  if (voltage < 0) return reject(id, `battery voltage ${scaled(voltage, 0.01, 2)} V is negative`);
  const wireCurrent = s16(data, 2);
  return accept({
    kind: 'measurements',
    voltageV: scaled(voltage, 0.01, 2),
    // The frame counts + as charging; the project counts + as discharging.
    currentA: wireCurrent === 0 ? 0 : scaled(-wireCurrent, 0.1, 1),
    temperatureC: scaled(s16(data, 4), 0.1, 1),
  });
}

export function decodeFlags(data: Uint8Array): DecodeResult<FlagsFrame> {
  const id = 0x359;
  const bad = checkDlc(data, 7, 8);
  if (bad !== null) return reject(id, bad);
  const flags: Partial<Record<BmsFlag, boolean>> = {};
  for (const [name, pos] of Object.entries(PYLONTECH_0x359_BITS) as [BmsFlag, { byte: number; bit: number }][]) {
    flags[name] = (((data[pos.byte] as number) >> pos.bit) & 1) === 1;
  }
  return accept({ kind: 'flags', flags, moduleCount: data[4] as number });
}

export function decodeSmaAlarms(data: Uint8Array): DecodeResult<SmaAlarmsFrame> {
  const id = 0x35a;
  const bad = checkDlc(data, 4, 8);
  if (bad !== null) return reject(id, bad);
  const flags: Partial<Record<BmsFlag, boolean>> = {};
  for (const [name, pos] of Object.entries(SMA_0x35A_PAIRS) as [BmsFlag, { byte: number; bit: number }][]) {
    if (pos.byte >= data.length) continue; // a 4-byte 0x35A carries the alarms only
    const pair = ((data[pos.byte] as number) >> pos.bit) & 0b11;
    if (pair === 0b01) flags[name] = true;
    else if (pair === 0b10) flags[name] = false;
  }
  return accept({ kind: 'sma_alarms', flags });
}

export function decodeRequests(data: Uint8Array): DecodeResult<RequestsFrame> {
  const id = 0x35c;
  // Reference: DLC 2; some BMS pad the frame to 8.
  const bad = checkDlc(data, 2, 8);
  if (bad !== null) return reject(id, bad);
  const b = data[0] as number;
  return accept({
    kind: 'requests',
    chargeEnabled: (b & 0x80) !== 0,
    dischargeEnabled: (b & 0x40) !== 0,
    forceChargeRequest: (b & 0x20) !== 0,
    forceChargeRequestLowSoc: (b & 0x10) !== 0,
    fullChargeRequest: (b & 0x08) !== 0,
  });
}

/**
 * The manufacturer text: up to the first NUL or non-printable byte, trailing spaces trimmed. Pylontech
 * space-pads ("PYLON   "), BYD NUL-pads ("BYD\0\0\0\0\0"), some put junk after the name.
 */
export function decodeManufacturer(data: Uint8Array): DecodeResult<ManufacturerFrame> {
  const id = 0x35e;
  const bad = checkDlc(data, 1, 8);
  if (bad !== null) return reject(id, bad);
  let text = '';
  for (const byte of data) {
    if (byte < 0x20 || byte > 0x7e) break;
    text += String.fromCharCode(byte);
  }
  const manufacturer = text.trim();
  if (manufacturer === '') return reject(id, 'no printable manufacturer name');
  return accept({ kind: 'manufacturer', manufacturer });
}

const DECODERS: Readonly<Record<number, (data: Uint8Array) => DecodeResult<BmsFrame>>> = {
  0x351: decodeLimits,
  0x355: decodeSoc,
  0x356: decodeMeasurements,
  0x359: decodeFlags,
  0x35a: decodeSmaAlarms,
  0x35c: decodeRequests,
  0x35e: decodeManufacturer,
};

/** True for the ids this codec decodes (11-bit, BMS → inverter). */
export function isBmsFrameId(id: number, extended = false): boolean {
  return !extended && Object.hasOwn(DECODERS, id);
}

/**
 * Decodes one CAN frame of the BMS set. Frames of other ids (the inverter's 0x305, Victron's 0x37x…)
 * come back as a reason too; the adapter skips them without counting them as errors.
 */
export function decodeBmsFrame(frame: {
  readonly id: number;
  readonly extended?: boolean;
  readonly data: Uint8Array;
}): DecodeResult<BmsFrame> {
  if (frame.extended === true) return reject(frame.id, 'a 29-bit id; the BMS frames are 11-bit');
  const decoder = Object.hasOwn(DECODERS, frame.id) ? DECODERS[frame.id] : undefined;
  if (decoder === undefined) return reject(frame.id, 'not a BMS frame this driver reads');
  if (frame.data.length > 8) return reject(frame.id, `DLC ${frame.data.length}, a classic CAN frame carries at most 8`);
  return decoder(frame.data);
}
