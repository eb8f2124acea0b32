/**
 * The configuration register (0x00): RST b15, b14–12 read-only, AVG b11–9, VBUSCT b8–6,
 * ISHCT b5–3, MODE b2–0 (device-protocols.md §8, TI SBOSA69 §7.6.1).
 */

/** Samples averaged per reading, indexed by the AVG field. */
export const AVERAGING_COUNTS = [1, 4, 16, 64, 128, 256, 512, 1024] as const;
export type AveragingCount = (typeof AVERAGING_COUNTS)[number];

/** Conversion time per sample in µs, indexed by the VBUSCT/ISHCT fields. */
export const CONVERSION_TIMES_US = [140, 204, 332, 588, 1100, 2116, 4156, 8244] as const;
export type ConversionTimeUs = (typeof CONVERSION_TIMES_US)[number];

export type OperatingMode =
  | 'power_down'
  | 'current_triggered'
  | 'voltage_triggered'
  | 'both_triggered'
  | 'current_continuous'
  | 'voltage_continuous'
  | 'both_continuous';

/** MODE field values; 0b000 and 0b100 both mean power-down. */
const MODES: readonly OperatingMode[] = [
  'power_down',
  'current_triggered',
  'voltage_triggered',
  'both_triggered',
  'power_down',
  'current_continuous',
  'voltage_continuous',
  'both_continuous',
];

export interface Ina260Config {
  readonly averaging: AveragingCount;
  readonly busConversionUs: ConversionTimeUs;
  readonly currentConversionUs: ConversionTimeUs;
  readonly mode: OperatingMode;
  /** The raw word, so read-only bits survive a read-modify-write. */
  readonly word: number;
}

const RESET_BIT = 0x8000;
const AVG_SHIFT = 9;
const VBUSCT_SHIFT = 6;
const ISHCT_SHIFT = 3;
const FIELD_MASK = 0b111;
export const MODE_BOTH_CONTINUOUS = 0b111;

export function decodeConfig(word: number): Ina260Config {
  return {
    averaging: AVERAGING_COUNTS[(word >> AVG_SHIFT) & FIELD_MASK] as AveragingCount,
    busConversionUs: CONVERSION_TIMES_US[(word >> VBUSCT_SHIFT) & FIELD_MASK] as ConversionTimeUs,
    currentConversionUs: CONVERSION_TIMES_US[(word >> ISHCT_SHIFT) & FIELD_MASK] as ConversionTimeUs,
    mode: MODES[word & FIELD_MASK] as OperatingMode,
    word,
  };
}

/**
 * The word to write for the wanted settings, keeping what was not asked for. The reset bit is
 * always cleared (writing it would reset every register) and the mode is always continuous
 * current + voltage: in any other mode the power register stops following the panel.
 */
export function desiredConfigWord(current: number, wanted: { averaging?: AveragingCount }): number {
  let word = current & ~RESET_BIT & 0xffff;
  if (wanted.averaging !== undefined) {
    const index = AVERAGING_COUNTS.indexOf(wanted.averaging);
    word = (word & ~(FIELD_MASK << AVG_SHIFT)) | (index << AVG_SHIFT);
  }
  return (word & ~FIELD_MASK) | MODE_BOTH_CONTINUOUS;
}

/** How often the chip produces a new averaged reading, ms. */
export function updatePeriodMs(config: Ina260Config): number {
  return (config.averaging * (config.busConversionUs + config.currentConversionUs)) / 1000;
}

export function isAveragingCount(value: number): value is AveragingCount {
  return (AVERAGING_COUNTS as readonly number[]).includes(value);
}
