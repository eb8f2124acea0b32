import { ModbusRegisterBlock, type RegisterNumbering } from '@sps/device-modbus';

export { toSigned16 } from '@sps/device-modbus';

/**
 * Sungrow facts (device-protocols.md §4.1): registers are addressed by DOC number (1-based); 32-bit
 * values are LOW word first, bytes big-endian inside a word; strings are ASCII, big-endian within a
 * register, NUL or 0xFF padded; "not available" is U16 0xFFFF, S16 0x7FFF, U32 0xFFFFFFFF, S32
 * 0x7FFFFFFF. The bounds and marker checks are the shared block's (@sps/device-modbus).
 */
export const SUNGROW_NUMBERING: RegisterNumbering = { first: 1, wordOrder: 'low-first', name: 'a doc register number' };

/** A contiguous run of registers as the inverter returned them, addressed by doc register number. */
export type RegisterBlock = ModbusRegisterBlock;
export const RegisterBlock = {
  /** Validates the raw words: each must be an integer 0..0xFFFF. Throws DecodeError naming the bad one. */
  from: (start: number, words: readonly unknown[]): RegisterBlock =>
    ModbusRegisterBlock.from(SUNGROW_NUMBERING, start, words),
};

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
