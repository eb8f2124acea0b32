import { DecodeError } from '@sps/core';

/**
 * A contiguous run of 16-bit registers as the plant or an inverter returned them, addressed by
 * register number (which for Sigenergy is also the wire address). Every bounds and marker check
 * lives here.
 *
 * Sigenergy facts (device-protocols.md §5.1): multi-register values are big-endian with the HIGH
 * word first; strings are ASCII, NUL padded. The protocol names 0xFFFFFFFF as "not valid" for its
 * U32 limits (40042/40044); the all-ones U16/U32/U64 and the S16/S32 maxima are taken as "not
 * available" throughout, since no power, energy or SOC here can reach them.
 */
export class RegisterBlock {
  private constructor(
    readonly start: number,
    private readonly words: readonly number[],
  ) {}

  /** Validates the raw words: each must be an integer 0..0xFFFF. Throws DecodeError naming the bad one. */
  static from(start: number, words: readonly unknown[]): RegisterBlock {
    if (!Number.isInteger(start) || start < 0 || start > 0xffff) {
      throw new DecodeError(`register block start ${String(start)} is not a register address (0..65535)`);
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
    return w === 0x7fff ? null : w >= 0x8000 ? w - 0x10000 : w;
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
   * Four registers, high word first. Values past 2^53 cannot be held exactly by a JS number; a
   * lifetime counter never gets there (2^53 × 10 Wh), so such a value is a garbled read: null.
   */
  u64(register: number): number | null {
    const words = [0, 1, 2, 3].map((i) => this.word(register + i));
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
        text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '?';
      }
    }
    return text.trim();
  }

  private raw32(register: number): number {
    const high = this.word(register);
    const low = this.word(register + 1);
    return high * 0x10000 + low;
  }
}

/** Divide by a gain (1000 for kW→W is ×1, 100 for kWh→Wh is ×10, 10 for % is ÷10), exactly. */
export function fromGain(raw: number | null, gain: number, toUnit: number = 1): number | null {
  if (raw === null) return null;
  // Multiply first where the result is whole, so 2345 ÷10 gives 234.5 and not 234.50000000000003.
  const factor = toUnit / gain;
  if (factor >= 1) return raw * factor;
  return raw / Math.round(1 / factor);
}

/** Encoders, used by the simulator and the command plan to build words the way the device does. */
export const encode = {
  u16: (value: number): number[] => [Math.max(0, Math.min(0xffff, Math.round(value)))],
  s16: (value: number): number[] => [Math.round(Math.max(-0x8000, Math.min(0x7ffe, value))) & 0xffff],
  /** High word first. */
  u32: (value: number): number[] => {
    const v = Math.max(0, Math.min(0xffffffff, Math.round(value)));
    return [Math.floor(v / 0x10000), v % 0x10000];
  },
  s32: (value: number): number[] => {
    const v = Math.round(Math.max(-0x80000000, Math.min(0x7ffffffe, value))) >>> 0;
    return [v >>> 16, v & 0xffff];
  },
  u64: (value: number): number[] => {
    const v = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.round(value)));
    const high = Math.floor(v / 0x100000000);
    const low = v % 0x100000000;
    return [Math.floor(high / 0x10000), high % 0x10000, Math.floor(low / 0x10000), low % 0x10000];
  },
  string: (text: string, count: number): number[] => {
    const bytes = Buffer.alloc(count * 2, 0);
    bytes.write(text.slice(0, count * 2), 'ascii');
    const words: number[] = [];
    for (let i = 0; i < count; i++) words.push(bytes.readUInt16BE(i * 2));
    return words;
  },
};
