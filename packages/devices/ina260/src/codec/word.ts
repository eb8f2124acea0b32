import { DecodeError } from '@sps/core';

/**
 * 16-bit register words. The INA260 sends the most significant byte first; an SMBus "read word"
 * (i2c-bus `readWord`) assembles the bytes least significant first, so its value must be swapped.
 */
export function decodeWord(bytes: Uint8Array, what = 'register'): number {
  if (bytes.length !== 2) throw new DecodeError(`${what}: expected 2 bytes, got ${bytes.length}`);
  return ((bytes[0] as number) << 8) | (bytes[1] as number);
}

export function encodeWord(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`register word out of range: ${value}`);
  }
  return Uint8Array.of(value >> 8, value & 0xff);
}

/** An SMBus word (little-endian) to the register's value, and back: the same byte swap. */
export function swapBytes(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export function toSigned16(word: number): number {
  return word & 0x8000 ? word - 0x10000 : word;
}

export function fromSigned16(value: number): number {
  if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff) {
    throw new RangeError(`signed 16-bit value out of range: ${value}`);
  }
  return value < 0 ? value + 0x10000 : value;
}

export function hex16(word: number): string {
  return `0x${word.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function hex8(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}
