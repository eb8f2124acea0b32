/**
 * One register's meaning. Values are u16 big-endian on the wire; `scale` is a power of ten
 * to divide by (device-protocols.md §1.3 "scaling = divide by 10^scale").
 */
export type FieldKind =
  | { readonly type: 'uint'; readonly scale?: number }
  /** On when the raw value is one of `onValues` (default [1]); AC2P reports 1 = on, 3 = off (§1.3). */
  | { readonly type: 'bool'; readonly onValues?: readonly number[]; readonly offValue?: number }
  | { readonly type: 'enum'; readonly values: Readonly<Record<number, string>> };

export interface FieldSpec {
  /** The reading key (snake_case) this register becomes. */
  readonly key: string;
  readonly register: number;
  readonly kind: FieldKind;
}

export const uint = (key: string, register: number, scale = 0): FieldSpec => ({
  key,
  register,
  kind: { type: 'uint', scale },
});

export const bool = (key: string, register: number, states?: { on: number; off: number }): FieldSpec => ({
  key,
  register,
  kind: states === undefined ? { type: 'bool' } : { type: 'bool', onValues: [states.on], offValue: states.off },
});

export const enumField = (key: string, register: number, values: Readonly<Record<number, string>>): FieldSpec => ({
  key,
  register,
  kind: { type: 'enum', values },
});

/** {0 standard, 1 silent, 2 turbo}: EB3A 3065, V2 2020 (§1.3, §1.5). */
export const CHARGING_MODES: Readonly<Record<number, string>> = { 0: 'standard', 1: 'silent', 2: 'turbo' };

/**
 * {1 customized, 2 PV priority, 3 standard, 4 time control} at 3001 (AC300 family, §1.3).
 * Prefixed `ups_` so its options never collide with the charging modes in `set_operating_mode`.
 */
export const UPS_MODES: Readonly<Record<number, string>> = {
  1: 'ups_customized',
  2: 'ups_pv_priority',
  3: 'ups_standard',
  4: 'ups_time_control',
};

/** V1 register 70 (AC200M/AC300). */
export const AC_OUTPUT_MODES: Readonly<Record<number, string>> = {
  0: 'stop',
  1: 'inverter_output',
  2: 'bypass_output_c',
  3: 'bypass_output_d',
  4: 'load_matching',
};

/** Raw register value → reading value; null when an enum value is unknown. */
export function decodeField(kind: FieldKind, raw: number): number | boolean | string | null {
  switch (kind.type) {
    case 'uint':
      return kind.scale ? roundTo(raw / 10 ** kind.scale, kind.scale) : raw;
    case 'bool':
      return (kind.onValues ?? [1]).includes(raw);
    case 'enum':
      return kind.values[raw] ?? null;
  }
}

/** Reading value → raw register value (the simulator renders its state with this). */
export function encodeField(kind: FieldKind, value: number | boolean | string): number {
  switch (kind.type) {
    case 'uint':
      return clampU16(Math.round(Number(value) * 10 ** (kind.scale ?? 0)));
    case 'bool':
      return value === true ? (kind.onValues?.[0] ?? 1) : (kind.offValue ?? 0);
    case 'enum': {
      const entry = Object.entries(kind.values).find(([, name]) => name === value);
      return entry ? Number(entry[0]) : 0;
    }
  }
}

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function clampU16(value: number): number {
  return Math.min(0xffff, Math.max(0, value));
}
