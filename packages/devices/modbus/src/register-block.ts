import { DecodeError } from '@sps/core';

/** How a vendor's register map numbers registers and orders the words of wider values. */
export interface RegisterNumbering {
  /** The lowest register number: 0 where the map prints wire addresses, 1 for 1-based ("doc") numbers. */
  readonly first: 0 | 1;
  /** Which word of a 32- or 64-bit value comes first (bytes are big-endian inside a word either way). */
  readonly wordOrder: 'low-first' | 'high-first';
  /** What a register number is called in errors, e.g. "a register address". */
  readonly name: string;
}

/**
 * A contiguous run of 16-bit registers as a device returned them, addressed by the vendor's own
 * register numbers. All typed access goes through here so every bounds and marker check lives in
 * one place; the vendor's codec says which registers mean what.
 *
 * "Not available" markers: U16 0xFFFF, S16 0x7FFF, U32 0xFFFFFFFF, S32 0x7FFFFFFF and an all-ones
 * U64 (the values Sungrow and Sigenergy both use; no power, energy or SOC reaches them).
 */
export class ModbusRegisterBlock {
  private constructor(
    readonly numbering: RegisterNumbering,
    readonly start: number,
    private readonly words: readonly number[],
  ) {}

  /** Validates the raw words: each must be an integer 0..0xFFFF. Throws DecodeError naming the bad one. */
  static from(numbering: RegisterNumbering, start: number, words: readonly unknown[]): ModbusRegisterBlock {
    const last = numbering.first + 0xffff;
    if (!Number.isInteger(start) || start < numbering.first || start > last) {
      throw new DecodeError(
        `register block start ${String(start)} is not ${numbering.name} (${numbering.first}..${last})`,
      );
    }
    const checked: number[] = [];
    words.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffff) {
        throw new DecodeError(`register ${start + i} holds ${String(w)}, not a 16-bit word`);
      }
      checked.push(w);
    });
    return new ModbusRegisterBlock(numbering, start, checked);
  }

  get count(): number {
    return this.words.length;
  }

  /** Last register in the block. */
  get end(): number {
    return this.start + this.words.length - 1;
  }

  covers(register: number, count = 1): boolean {
    return register >= this.start && register + count - 1 <= this.end;
  }

  /** Raw word; throws DecodeError when the register is outside the block (a short response). */
  word(register: number): number {
    const w = this.words[register - this.start];
    if (w === undefined) {
      throw new DecodeError(`register ${register} is outside the block ${this.start}..${this.end}`);
    }
    return w;
  }

  u16(register: number): number | null {
    const w = this.word(register);
    return w === 0xffff ? null : w;
  }

  s16(register: number): number | null {
    const w = this.word(register);
    return w === 0x7fff ? null : toSigned16(w);
  }

  u32(register: number): number | null {
    const v = this.raw32(register);
    return v === 0xffffffff ? null : v;
  }

  s32(register: number): number | null {
    const v = this.raw32(register);
    return v === 0x7fffffff ? null : v | 0;
  }

  /**
   * Four registers. Values past 2^53 cannot be held exactly by a JS number; a lifetime counter
   * never gets there (2^53 × 10 Wh), so such a value is a garbled read: null.
   */
  u64(register: number): number | null {
    const words = this.highFirst(register, 4);
    if (words.every((w) => w === 0xffff)) return null;
    const [w0, w1, w2, w3] = words as [number, number, number, number];
    if (w0 > 0x1f) return null;
    return ((w0 * 0x10000 + w1) * 0x10000 + w2) * 0x10000 + w3;
  }

  /** ASCII text over `count` registers; stops at the first NUL or 0xFF byte, trims spaces. */
  string(register: number, count: number): string {
    let text = '';
    for (let r = register; r < register + count; r++) {
      const w = this.word(r);
      for (const byte of [w >> 8, w & 0xff]) {
        if (byte === 0x00 || byte === 0xff) return text.trim();
        // Anything outside printable ASCII is not text the device meant; keep it visible but safe.
        text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '?';
      }
    }
    return text.trim();
  }

  private raw32(register: number): number {
    const [high, low] = this.highFirst(register, 2) as [number, number];
    return high * 0x10000 + low;
  }

  /** The `count` words from `register`, most significant first whatever the device's order. */
  private highFirst(register: number, count: number): number[] {
    const words = Array.from({ length: count }, (_, i) => this.word(register + i));
    return this.numbering.wordOrder === 'high-first' ? words : words.reverse();
  }
}

export function toSigned16(word: number): number {
  return word >= 0x8000 ? word - 0x10000 : word;
}
