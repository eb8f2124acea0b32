import { ModbusRegisterBlock, type RegisterNumbering } from '@sps/device-modbus';

/**
 * Sigenergy facts (device-protocols.md §5.1): register numbers are the wire addresses; multi-register
 * values are big-endian with the HIGH word first; strings are ASCII, NUL padded. The protocol names
 * 0xFFFFFFFF as "not valid" for its U32 limits (40042/40044); the all-ones U16/U32/U64 and the
 * S16/S32 maxima are taken as "not available" throughout (the shared block's markers), since no
 * power, energy or SOC here can reach them.
 */
export const SIGENERGY_NUMBERING: RegisterNumbering = { first: 0, wordOrder: 'high-first', name: 'a register address' };

/** A contiguous run of registers as the plant or an inverter returned them. */
export type RegisterBlock = ModbusRegisterBlock;
export const RegisterBlock = {
  /** Validates the raw words: each must be an integer 0..0xFFFF. Throws DecodeError naming the bad one. */
  from: (start: number, words: readonly unknown[]): RegisterBlock =>
    ModbusRegisterBlock.from(SIGENERGY_NUMBERING, start, words),
};

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
