import { DecodeError } from '@sps/core';

/**
 * Register values by address, joined from one or more reads. Lookups outside what was read
 * give null, so a decoder can tell "not read" from zero.
 */
export class RegisterImage {
  private readonly values = new Map<number, number>();

  static from(start: number, words: readonly number[]): RegisterImage {
    return new RegisterImage().add(start, words);
  }

  add(start: number, words: readonly number[]): this {
    words.forEach((word, i) => {
      if (!Number.isInteger(word) || word < 0 || word > 0xffff) {
        throw new DecodeError(`register ${start + i} holds ${word}, not a 16-bit value`);
      }
      this.values.set(start + i, word);
    });
    return this;
  }

  has(register: number): boolean {
    return this.values.has(register);
  }

  u16(register: number): number | null {
    return this.values.get(register) ?? null;
  }

  /**
   * ASCII text, NULs and trailing spaces dropped. V2 stations store each register's two
   * characters swapped (device-protocols.md §1.2).
   */
  ascii(register: number, count: number, byteSwapped: boolean): string | null {
    let text = '';
    for (let i = 0; i < count; i++) {
      const word = this.u16(register + i);
      if (word === null) return null;
      const [first, second] = byteSwapped ? [word & 0xff, word >>> 8] : [word >>> 8, word & 0xff];
      text += String.fromCharCode(first, second);
    }
    return text.replace(/\0+$/, '').replace(/\0/g, '').trimEnd();
  }

  /** 4 registers, low word first: v0 + v1·2^16 + v2·2^32 + v3·2^48 (§1.2); decimal text. */
  serial(register: number): string | null {
    let value = 0n;
    for (let i = 3; i >= 0; i--) {
      const word = this.u16(register + i);
      if (word === null) return null;
      value = (value << 16n) | BigInt(word);
    }
    return value.toString();
  }

  /** Firmware version in two registers: (lo + hi·2^16) / 100, e.g. 4030.15. */
  version(register: number): string | null {
    const lo = this.u16(register);
    const hi = this.u16(register + 1);
    if (lo === null || hi === null) return null;
    return ((lo + hi * 65536) / 100).toFixed(2);
  }
}
