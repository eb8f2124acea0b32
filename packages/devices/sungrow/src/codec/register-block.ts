import { DecodeError } from '@sps/core';

/**
 * A contiguous run of 16-bit registers as the inverter returned them, addressed by doc register
 * number. All typed access goes through here so every bounds and marker check lives in one place.
 *
 * Sungrow facts (device-protocols.md §4.1): 32-bit values are LOW word first, bytes big-endian
 * inside a word; strings are ASCII, big-endian within a register, NUL or 0xFF padded; "not
 * available" is U16 0xFFFF, S16 0x7FFF, U32 0xFFFFFFFF, S32 0x7FFFFFFF.
 */
export class RegisterBlock {
  private constructor(
    readonly start: number,
    private readonly words: readonly number[],
  ) {}

  /** Validates the raw words: each must be an integer 0..0xFFFF. Throws DecodeError naming the bad one. */
  static from(start: number, words: readonly unknown[]): RegisterBlock {
    if (!Number.isInteger(start) || start < 1 || start > 0x10000) {
      throw new DecodeError(`register block start ${String(start)} is not a doc register number (1..65536)`);
    }
    const checked: number[] = [];
    words.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffff) {
        throw new DecodeError(`register ${start + i} holds ${String(w)}, not a 16-bit word`);
      }
      checked.push(w);
    });
    return new RegisterBlock(start, checked);
  }

  get count(): number {
    return this.words.length;
  }

  /** Last doc register in the block. */
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

  /** ASCII text over `count` registers, trailing NUL/0xFF padding and spaces removed. */
  string(register: number, count: number): string {
    let text = '';
    for (let r = register; r < register + count; r++) {
      const w = this.word(r);
      for (const byte of [w >> 8, w & 0xff]) {
        if (byte === 0x00 || byte === 0xff) return text.trim();
        // Anything outside printable ASCII is not text the inverter meant; keep it visible but safe.
        text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '?';
      }
    }
    return text.trim();
  }

  private raw32(register: number): number {
    const low = this.word(register);
    const high = this.word(register + 1);
    return high * 0x10000 + low;
  }
}

export function toSigned16(word: number): number {
  return word >= 0x8000 ? word - 0x10000 : word;
}

/**
 * Apply a register's scale. Dividing by the power of ten (rather than multiplying by 0.1) gives the
 * closest double to the decimal the inverter meant: 2345 → 234.5, not 234.50000000000003.
 */
export function scale(raw: number | null, factor: number): number | null {
  if (raw === null) return null;
  if (factor >= 1) return raw * factor;
  return raw / Math.round(1 / factor);
}

/** Encode helpers, used by the simulator and tests to build register images the same way the inverter does. */
export const encode = {
  u16: (value: number): number[] => [clampWord(value)],
  s16: (value: number): number[] => [clampWord(Math.round(value) & 0xffff)],
  /** Low word first. */
  u32: (value: number): number[] => {
    const v = Math.max(0, Math.min(0xffffffff, Math.round(value)));
    return [v % 0x10000, Math.floor(v / 0x10000)];
  },
  s32: (value: number): number[] => {
    const v = Math.round(value) >>> 0;
    return [v & 0xffff, v >>> 16];
  },
  string: (text: string, count: number): number[] => {
    const bytes = Buffer.alloc(count * 2, 0);
    bytes.write(text.slice(0, count * 2), 'ascii');
    const words: number[] = [];
    for (let i = 0; i < count; i++) words.push(bytes.readUInt16BE(i * 2));
    return words;
  },
};

function clampWord(value: number): number {
  return Math.max(0, Math.min(0xffff, Math.round(value)));
}
