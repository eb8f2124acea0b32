import { DecodeError } from '@sps/core';

/**
 * Pre-key-exchange frames of the encrypted Bluetti link (device-protocols.md §1.4):
 * `2A 2A` + type(1) + length(1) + body + checksum(2, big-endian sum of type, length and body).
 * This driver does not speak the encrypted protocol; it only recognises these frames so an
 * encrypting station is reported as unsupported instead of timing out or being misread.
 */
export const HANDSHAKE_MAGIC = 0x2a;

export const HandshakeType = {
  CHALLENGE: 1,
  CHALLENGE_RESPONSE: 2,
  CHALLENGE_ACCEPTED: 3,
  SERVER_PUBLIC_KEY: 4,
  CLIENT_PUBLIC_KEY: 5,
  ECDH_ACCEPTED: 6,
} as const;

export interface HandshakeFrame {
  readonly type: number;
  readonly body: Uint8Array;
}

/** True when the bytes start like a handshake frame (`**`); a Modbus answer starts with slave id 1. */
export function looksLikeHandshake(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === HANDSHAKE_MAGIC && bytes[1] === HANDSHAKE_MAGIC;
}

export function decodeHandshakeFrame(bytes: Uint8Array): HandshakeFrame {
  if (!looksLikeHandshake(bytes)) throw new DecodeError('not a handshake frame (no 2A 2A prefix)');
  if (bytes.length < 6) throw new DecodeError(`handshake frame is ${bytes.length} bytes, too short`);
  const type = bytes[2] as number;
  const length = bytes[3] as number;
  if (bytes.length !== 6 + length) {
    throw new DecodeError(`handshake frame is ${bytes.length} bytes, its length field says ${6 + length}`);
  }
  let sum = 0;
  for (let i = 2; i < 4 + length; i++) sum += bytes[i] as number;
  const checksum = ((bytes[4 + length] as number) << 8) | (bytes[5 + length] as number);
  if ((sum & 0xffff) !== checksum) throw new DecodeError('handshake frame checksum mismatch');
  return { type, body: bytes.slice(4, 4 + length) };
}

export function encodeHandshakeFrame(type: number, body: Uint8Array): Uint8Array {
  if (body.length > 255) throw new RangeError('handshake body longer than 255 bytes');
  const out = new Uint8Array(6 + body.length);
  out[0] = HANDSHAKE_MAGIC;
  out[1] = HANDSHAKE_MAGIC;
  out[2] = type & 0xff;
  out[3] = body.length;
  out.set(body, 4);
  let sum = type + body.length;
  for (const b of body) sum += b;
  out[4 + body.length] = (sum >>> 8) & 0xff;
  out[5 + body.length] = sum & 0xff;
  return out;
}

/** `AT+NAME?\r`-style notifications mean the BLE module fell back to its command mode: a broken link (§1.1). */
export function looksLikeAtCommand(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x41 && bytes[1] === 0x54 && bytes[2] === 0x2b;
}
