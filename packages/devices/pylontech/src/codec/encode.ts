import { PYLONTECH_0x359_BITS, type BmsFlag } from './bits.js';

/**
 * Encoders of the BMS frames, for the simulator (and the codec's round-trip tests): the inverse of
 * frames.ts, in the wire's units and signs (current + when charging).
 */

const le16 = (out: Uint8Array, at: number, value: number): void => {
  const v = Math.round(value) & 0xffff;
  out[at] = v & 0xff;
  out[at + 1] = v >> 8;
};

export interface BmsFrameValues {
  readonly chargeVoltageLimitV: number;
  readonly chargeCurrentLimitA: number;
  readonly dischargeCurrentLimitA: number;
  readonly dischargeVoltageLimitV: number;
  readonly socPct: number;
  readonly sohPct: number;
  readonly voltageV: number;
  /** Project sign: positive when discharging. */
  readonly currentA: number;
  readonly temperatureC: number;
  readonly moduleCount: number;
  readonly activeFlags: ReadonlySet<BmsFlag>;
  readonly chargeEnabled: boolean;
  readonly dischargeEnabled: boolean;
  readonly forceChargeRequest: boolean;
  readonly manufacturer: string;
}

export function encodeLimits(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(8);
  le16(d, 0, v.chargeVoltageLimitV * 10);
  le16(d, 2, v.chargeCurrentLimitA * 10);
  le16(d, 4, v.dischargeCurrentLimitA * 10);
  le16(d, 6, v.dischargeVoltageLimitV * 10);
  return d;
}

export function encodeSoc(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(4);
  le16(d, 0, Math.max(0, Math.min(100, Math.round(v.socPct))));
  le16(d, 2, v.sohPct);
  return d;
}

export function encodeMeasurements(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(6);
  le16(d, 0, v.voltageV * 100);
  le16(d, 2, -v.currentA * 10); // the wire counts + as charging
  le16(d, 4, v.temperatureC * 10);
  return d;
}

/** 0x359 as a Pylontech sends it: flags, module count, "PN". Flags 0x359 has no bit for are left out. */
export function encodeFlags(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(7);
  for (const name of v.activeFlags) {
    const pos = PYLONTECH_0x359_BITS[name];
    if (pos !== undefined) d[pos.byte] = (d[pos.byte] as number) | (1 << pos.bit);
  }
  d[4] = v.moduleCount & 0xff;
  d[5] = 0x50; // 'P'
  d[6] = 0x4e; // 'N'
  return d;
}

export function encodeRequests(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(2);
  d[0] = (v.chargeEnabled ? 0x80 : 0) | (v.dischargeEnabled ? 0x40 : 0) | (v.forceChargeRequest ? 0x20 : 0);
  return d;
}

/** Space-padded to 8 bytes, as a Pylontech sends "PYLON   ". */
export function encodeManufacturer(v: BmsFrameValues): Uint8Array {
  const d = new Uint8Array(8).fill(0x20);
  const text = v.manufacturer.slice(0, 8);
  for (let i = 0; i < text.length; i++) d[i] = text.charCodeAt(i) & 0x7f;
  return d;
}
