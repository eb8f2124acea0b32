/**
 * The 29-bit CAN identifier of the Studer public protocol on an Xcom-CAN (CAN 2.0B, extended ids).
 *
 * Layout (bit 28 = most significant):
 *
 *   bits 28..19  destination address (10 bits, 0..1023)
 *   bits 18..9   source address      (10 bits)
 *   bits  8..6   service id          (3 bits: 0 read user info, 1 read parameter,
 *                                     2 write parameter, 3 message notification)
 *   bits  5..0   flags               (bit 0 = error: the payload is an error code, not a value)
 *
 * Source of these facts: Studer Innotec's own `xcomcan` Python package (MIT, PyPI; GitHub
 * studer-innotec/xcomcan @ 251cfc58, `xcomcan/node.py`: how it builds the identifier it sends
 * and takes apart the one it receives). Read for the facts only; nothing copied. Requests carry
 * flags 0; the package only ever tests flag bit 0, so the other five bits are kept but not given
 * a meaning here.
 */

export const XCOM_SERVICE = {
  readUserInfo: 0,
  readParameter: 1,
  writeParameter: 2,
  messageNotification: 3,
} as const;

export type XcomServiceId = (typeof XCOM_SERVICE)[keyof typeof XCOM_SERVICE];

export const XCOM_ADDRESS_MAX = 0x3ff;
export const XCOM_IDENTIFIER_MAX = 0x1fffffff;

export interface XcomIdentifier {
  readonly destination: number;
  readonly source: number;
  /** 0..7; only 0..3 have a meaning (XCOM_SERVICE). */
  readonly service: number;
  /** All six flag bits, for completeness; `error` is bit 0. */
  readonly flags: number;
  readonly error: boolean;
}

/** The identifier as a number; throws RangeError on an address or service that does not fit (a programming error). */
export function encodeIdentifier(fields: {
  readonly destination: number;
  readonly source: number;
  readonly service: number;
  readonly error?: boolean;
}): number {
  checkField('destination', fields.destination, XCOM_ADDRESS_MAX);
  checkField('source', fields.source, XCOM_ADDRESS_MAX);
  checkField('service', fields.service, 7);
  // Multiplication, not <<: destination << 19 overflows a signed 32-bit int for addresses ≥ 4096/2.
  return fields.destination * 2 ** 19 + fields.source * 2 ** 9 + fields.service * 2 ** 6 + (fields.error ? 1 : 0);
}

/** Any 29-bit number takes apart; the caller decides whether the service means anything. */
export function decodeIdentifier(id: number): XcomIdentifier {
  const destination = Math.floor(id / 2 ** 19) & XCOM_ADDRESS_MAX;
  const low = id % 2 ** 19;
  const flags = low & 0x3f;
  return {
    destination,
    source: (low >>> 9) & XCOM_ADDRESS_MAX,
    service: (low >>> 6) & 0x7,
    flags,
    error: (flags & 1) === 1,
  };
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name}: ${value} is not a whole number in 0..${max}`);
  }
}
