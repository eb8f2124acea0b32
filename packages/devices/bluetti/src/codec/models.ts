import { AC_OUTPUT_MODES, bool, CHARGING_MODES, enumField, uint, UPS_MODES, type FieldSpec } from './fields.js';

/**
 * Bluetti's two "IoT protocol" register generations (device-protocols.md §1.2):
 * V1 (AC200M, AC300, EB3A, EP500…) and V2 (AC180, AC70, AC2A, AC60…).
 */
export type ProtocolGeneration = 'v1' | 'v2';

export interface IdentityLayout {
  /** Device type: 6 registers of ASCII. V2 swaps the two bytes within each register. */
  readonly typeRegister: number;
  readonly typeCount: number;
  readonly typeByteSwapped: boolean;
  /** Serial: 4 registers, low word first. */
  readonly serialRegister: number;
  /** ARM and DSP firmware (V1 only): two registers each, (lo + hi<<16) / 100. */
  readonly armVersionRegister?: number;
  readonly dspVersionRegister?: number;
  /** The block read once at connect; it covers all of the above. */
  readonly block: { readonly start: number; readonly count: number };
}

export const IDENTITY_LAYOUTS: Readonly<Record<ProtocolGeneration, IdentityLayout>> = {
  v1: {
    typeRegister: 10,
    typeCount: 6,
    typeByteSwapped: false,
    serialRegister: 17,
    armVersionRegister: 23,
    dspVersionRegister: 25,
    block: { start: 10, count: 17 },
  },
  v2: { typeRegister: 110, typeCount: 6, typeByteSwapped: true, serialRegister: 116, block: { start: 110, count: 10 } },
};

/** A switchable output or function: written with FC6 1/0, its state read from `stateKey`'s field. */
export interface SwitchControl {
  readonly register: number;
  /** The reading key whose field holds the state (may be a different register, e.g. AC2A 1509). */
  readonly stateKey: string;
}

/** A select: `key` is both the reading and the control; values come from the field's enum. */
export interface ModeControl {
  readonly key: 'charging_mode' | 'ups_mode';
  readonly register: number;
}

export interface BluettiModel {
  readonly name: string;
  readonly generation: ProtocolGeneration;
  /** Usable battery capacity and inverter rating from the manufacturer's data sheets; absent where modular. */
  readonly capacityWh?: number;
  readonly inverterW?: number;
  /** Everything polled, core fields first. */
  readonly fields: readonly FieldSpec[];
  /** set_relay channels: 0 AC output, 1 DC output, 2 grid charging. */
  readonly switches: {
    readonly ac_output_on: SwitchControl;
    readonly dc_output_on?: SwitchControl;
    readonly grid_charge_on?: SwitchControl;
  };
  readonly modes: readonly ModeControl[];
  /** Has the V1 pack block (91..99): pack count, battery voltage, the selected pack's voltage and SOC. */
  readonly packs?: boolean;
}

/** Every model name the station can announce (bluetti-bt-lib's regex, §1.1), whether or not it is supported here. */
export const KNOWN_MODEL_PATTERN =
  /^(AC2A|AC2P|AC50B|AC60|AC60P|AC70|AC70P|AC180|AC180T|AC180P|AC200L|AC200M|AC200PL|AC300|AC500|AP300|EB3A|EL100V2|EL30V2|EP500|EP500P|EP600|EP760|EP800|EP2000|Handsfree\s1|PR30V2|PR100V2)$/;

// ---- V1 (registers per §1.3) ----

const V1_CORE: readonly FieldSpec[] = [
  uint('dc_input_power', 36),
  uint('ac_input_power', 37),
  uint('ac_output_power', 38),
  uint('dc_output_power', 39),
  uint('battery_soc', 43),
  bool('ac_output_on', 48),
  bool('dc_output_on', 49),
];

const V1_SWITCHES = {
  ac_output_on: { register: 3007, stateKey: 'ac_output_on' },
  dc_output_on: { register: 3008, stateKey: 'dc_output_on' },
} as const;

/** The selected pack (the station itself until another pack is selected at 3006). */
const packFields = (totalVoltageScale: number): FieldSpec[] => [
  uint('pack_count', 91),
  uint('battery_voltage', 92, totalVoltageScale),
  uint('pack_number', 96),
  uint('pack_voltage', 98, 2),
  uint('pack_soc', 99),
];

const AC300_FAMILY_FIELDS: readonly FieldSpec[] = [
  ...V1_CORE,
  enumField('ac_output_mode', 70, AC_OUTPUT_MODES),
  uint('ac_output_voltage', 71, 1),
  uint('ac_output_frequency', 74, 2),
  uint('ac_input_voltage', 77, 1),
  uint('ac_input_frequency', 80, 2),
  ...packFields(1),
  enumField('ups_mode', 3001, UPS_MODES),
];

const ac300Family = (name: string, extra: Partial<BluettiModel> = {}): BluettiModel => ({
  name,
  generation: 'v1',
  fields: AC300_FAMILY_FIELDS,
  switches: V1_SWITCHES,
  modes: [{ key: 'ups_mode', register: 3001 }],
  packs: true,
  ...extra,
});

/** AC200L / AC200PL share the V1 layout; UPS mode is documented only for the AC300/AC500/EP500 (§1.3). */
const ac200lFamily = (name: string, capacityWh: number, inverterW: number): BluettiModel => ({
  name,
  generation: 'v1',
  capacityWh,
  inverterW,
  fields: [...V1_CORE, uint('ac_input_voltage', 77, 1)],
  switches: V1_SWITCHES,
  modes: [],
});

// ---- V2 ----

const V2_CORE: readonly FieldSpec[] = [
  uint('battery_soc', 102),
  uint('dc_output_power', 140),
  uint('ac_output_power', 142),
  uint('dc_input_power', 144),
  uint('ac_input_power', 146),
];

/** AC180 / AC70 / EL30V2 / Handsfree 1 (§1.3). */
const AC180_DETAIL: readonly FieldSpec[] = [
  uint('dc_input_voltage', 1213, 1),
  uint('dc_input_current', 1214, 1),
  uint('ac_input_frequency', 1300, 1),
  uint('ac_input_voltage', 1314, 1),
  uint('ac_input_current', 1315, 1),
  uint('ac_output_frequency', 1500, 1),
  uint('ac_output_voltage', 1511, 1),
];

const V2_SWITCHES = {
  ac_output_on: { register: 2011, stateKey: 'ac_output_on' },
  dc_output_on: { register: 2012, stateKey: 'dc_output_on' },
} as const;

const ac180Family = (name: string, capacityWh?: number, inverterW?: number): BluettiModel => ({
  name,
  generation: 'v2',
  ...(capacityWh === undefined ? {} : { capacityWh }),
  ...(inverterW === undefined ? {} : { inverterW }),
  fields: [
    ...V2_CORE,
    ...AC180_DETAIL,
    bool('ac_output_on', 2011),
    bool('dc_output_on', 2012),
    enumField('charging_mode', 2020, CHARGING_MODES),
  ],
  switches: V2_SWITCHES,
  modes: [{ key: 'charging_mode', register: 2020 }],
});

const MODELS: readonly BluettiModel[] = [
  {
    name: 'AC200M',
    generation: 'v1',
    capacityWh: 2048,
    inverterW: 2000,
    fields: [
      ...V1_CORE,
      enumField('ac_output_mode', 70, AC_OUTPUT_MODES),
      // The AC200M reports its inverter voltage in whole volts and frequency in 0.1 Hz (§1.3).
      uint('ac_output_voltage', 71),
      uint('ac_output_frequency', 74, 1),
      ...packFields(2),
    ],
    switches: V1_SWITCHES,
    modes: [],
    packs: true,
  },
  ac300Family('AC300', {
    inverterW: 3000,
    switches: { ...V1_SWITCHES, grid_charge_on: { register: 3011, stateKey: 'grid_charge_on' } },
    fields: [...AC300_FAMILY_FIELDS, bool('grid_charge_on', 3011)],
  }),
  ac300Family('AC500', { inverterW: 5000 }),
  ac300Family('EP500', { capacityWh: 5100, inverterW: 2000 }),
  ac300Family('EP500P', { capacityWh: 5100, inverterW: 3000 }),
  ac200lFamily('AC200L', 2048, 2400),
  ac200lFamily('AC200PL', 2304, 2400),
  {
    name: 'EB3A',
    generation: 'v1',
    capacityWh: 268,
    inverterW: 600,
    fields: [
      ...V1_CORE,
      uint('ac_input_voltage', 77, 1),
      uint('dc_input_voltage', 86, 2),
      enumField('charging_mode', 3065, CHARGING_MODES),
    ],
    switches: V1_SWITCHES,
    modes: [{ key: 'charging_mode', register: 3065 }],
  },
  ac180Family('AC180', 1152, 1800),
  ac180Family('AC70', 768, 1000),
  ac180Family('EL30V2'),
  ac180Family('Handsfree 1'),
  {
    // AC180P: powers, AC input voltage, outputs and charging mode only (§1.3).
    name: 'AC180P',
    generation: 'v2',
    capacityWh: 1440,
    inverterW: 1800,
    fields: [
      ...V2_CORE,
      uint('ac_input_voltage', 1314, 1),
      bool('ac_output_on', 2011),
      bool('dc_output_on', 2012),
      enumField('charging_mode', 2020, CHARGING_MODES),
    ],
    switches: V2_SWITCHES,
    modes: [{ key: 'charging_mode', register: 2020 }],
  },
  ...(['AC60', 'AC60P'] as const).map((name): BluettiModel => ({
    name,
    generation: 'v2',
    capacityWh: name === 'AC60' ? 403 : 504,
    inverterW: 600,
    fields: [...V2_CORE, uint('ac_input_voltage', 1314, 1), bool('ac_output_on', 2011), bool('dc_output_on', 2012)],
    switches: V2_SWITCHES,
    modes: [],
  })),
  {
    // The AC2A reports its AC output state at 1509, not at the control register (§1.3).
    name: 'AC2A',
    generation: 'v2',
    capacityWh: 204.8,
    inverterW: 300,
    fields: [...V2_CORE, bool('ac_output_on', 1509), bool('dc_output_on', 2012)],
    switches: V2_SWITCHES,
    modes: [],
  },
  {
    // The AC2P answers 1 = on, 3 = off at 2011; it is written with 0/1 like the others (§1.3).
    name: 'AC2P',
    generation: 'v2',
    capacityWh: 230.4,
    inverterW: 300,
    fields: [...V2_CORE, bool('ac_output_on', 2011, { on: 1, off: 3 }), bool('dc_output_on', 2012)],
    switches: V2_SWITCHES,
    modes: [],
  },
];

const BY_NAME = new Map(MODELS.map((m) => [m.name, m]));

export const SUPPORTED_MODEL_NAMES: readonly string[] = MODELS.map((m) => m.name);

export function findModel(name: string): BluettiModel | undefined {
  return BY_NAME.get(name);
}

/** The field spec behind a reading key of a model. */
export function fieldOf(model: BluettiModel, key: string): FieldSpec | undefined {
  return model.fields.find((f) => f.key === key);
}

export interface RegisterBlockSpec {
  readonly start: number;
  readonly count: number;
}

/**
 * The reads a poll needs: the model's registers grouped into runs. Registers closer than
 * `maxGap` share a read (reading a few unused registers is cheaper than another BLE round
 * trip); no read exceeds `maxCount` so an answer stays a handful of notifications.
 */
export function pollBlocks(model: BluettiModel, maxGap = 12, maxCount = 40): RegisterBlockSpec[] {
  const registers = [...new Set(model.fields.map((f) => f.register))].sort((a, b) => a - b);
  const blocks: { start: number; end: number }[] = [];
  for (const register of registers) {
    const last = blocks.at(-1);
    if (last && register - last.end <= maxGap && register - last.start < maxCount) last.end = register;
    else blocks.push({ start: register, end: register });
  }
  return blocks.map((b) => ({ start: b.start, count: b.end - b.start + 1 }));
}
