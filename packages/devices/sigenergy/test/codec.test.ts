import fc from 'fast-check';
import { DecodeError } from '@sps/core';
import {
  decodeInverterIdentity,
  decodeOperatingMode,
  decodeRemoteEmsMode,
  decodePlantReadings,
  encode,
  INVERTER_IDENTITY_BLOCK,
  parseSigenergyConnection,
  PLANT,
  PLANT_BLOCKS,
  PLANT_HOLDING,
  planCommand,
  RegisterBlock,
  resolvePvPower,
  type BlockSpec,
  type PlantBlocks,
} from '@sps/device-sigenergy';

const spec = (name: string): BlockSpec => {
  const found = PLANT_BLOCKS.find((b) => b.name === name);
  if (!found) throw new Error(name);
  return found;
};

function blockOf(s: BlockSpec, values: Record<number, number[]> = {}): RegisterBlock {
  const words = new Array<number>(s.count).fill(0);
  for (const [reg, ws] of Object.entries(values)) ws.forEach((w, i) => (words[Number(reg) - s.start + i] = w));
  return RegisterBlock.from(s.start, words);
}

const required = (): PlantBlocks => ({
  plant: blockOf(spec('plant')),
  plant_battery: blockOf(spec('plant_battery')),
  remote_ems: blockOf(spec('remote_ems')),
});

describe('RegisterBlock: big-endian, high word first', () => {
  it('reads 32- and 64-bit values high word first', () => {
    const b = RegisterBlock.from(100, [0x1234, 0x5678, 0xffff, 0xfe6e, 0, 0, 0x0001, 0x86a0]);
    expect(b.u32(100)).toBe(0x12345678);
    expect(b.s32(102)).toBe(-402);
    expect(b.u64(104)).toBe(100_000);
  });

  it('maps the not-available markers to null, and a U64 past 2^53 too', () => {
    expect(RegisterBlock.from(1, [0xffff]).u16(1)).toBeNull();
    expect(RegisterBlock.from(1, [0x7fff]).s16(1)).toBeNull();
    expect(RegisterBlock.from(1, [0xffff, 0xffff]).u32(1)).toBeNull();
    expect(RegisterBlock.from(1, [0x7fff, 0xffff]).s32(1)).toBeNull();
    expect(RegisterBlock.from(1, [0xffff, 0xffff, 0xffff, 0xffff]).u64(1)).toBeNull();
    expect(RegisterBlock.from(1, [0x0020, 0, 0, 0]).u64(1)).toBeNull();
  });

  it('throws DecodeError outside the block and for non-words', () => {
    expect(() => RegisterBlock.from(1, [1]).u32(1)).toThrow(DecodeError);
    expect(() => RegisterBlock.from(1, [70000])).toThrow(/register 1 holds 70000/);
    expect(() => RegisterBlock.from(-1, [1])).toThrow(DecodeError);
  });

  it('encoders and decoders round-trip (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfffffffe }),
        fc.integer({ min: -0x80000000, max: 0x7ffffffe }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
        (u, s, big) => {
          expect(RegisterBlock.from(1, encode.u32(u)).u32(1)).toBe(u);
          expect(RegisterBlock.from(1, encode.s32(s)).s32(1)).toBe(s);
          expect(RegisterBlock.from(1, encode.u64(big)).u64(1)).toBe(big);
        },
      ),
    );
  });
});

describe('decodePlantReadings', () => {
  it('turns the vendor signs into ours: ESS + charging → battery − charging; grid + import stays', () => {
    const blocks = required();
    blocks.plant = blockOf(spec('plant'), {
      [PLANT.ESS_POWER]: encode.s32(2500), // 2.5 kW charging
      [PLANT.GRID_POWER]: encode.s32(-1200), // selling 1.2 kW
      [PLANT.PV_POWER]: encode.s32(4100),
      [PLANT.ESS_SOC]: [567],
    });
    const v = decodePlantReadings(blocks);
    expect(v).toMatchObject({ battery_power: -2500, grid_power: -1200, pv_power: 4100, battery_soc: 56.7 });
    // No load register: the balance grid + pv + battery.
    expect(v.load_power).toBe(400);
  });

  it('converts 0.01 kWh counters to Wh and reads the remote EMS state', () => {
    const blocks: PlantBlocks = {
      ...required(),
      plant_energy: blockOf(spec('plant_energy'), {
        [PLANT.PV_ENERGY_TOTAL]: encode.u64(1_234_567), // 12 345.67 kWh
        [PLANT.LOAD_ENERGY_TODAY]: encode.u32(1234),
      }),
      remote_ems: blockOf(spec('remote_ems'), {
        [PLANT_HOLDING.REMOTE_EMS_ENABLE]: [1],
        [PLANT_HOLDING.REMOTE_EMS_MODE]: [3],
        [PLANT_HOLDING.ESS_MAX_CHARGE_LIMIT]: encode.u32(5000),
        [PLANT_HOLDING.GRID_MAX_EXPORT_LIMIT]: [0xffff, 0xffff],
      }),
    };
    expect(decodePlantReadings(blocks)).toMatchObject({
      pv_energy: 12_345_670,
      load_energy_today: 12_340,
      remote_ems_enabled: true,
      ems_mode: 'forced',
      remote_ems_mode: 'charge_grid_first',
      max_charge_power: 5000,
      export_limit: null,
    });
  });

  it('names the mode: remote EMS off is self_consumption whatever 40031 holds, standby is hold, the rest forced', () => {
    expect(decodeOperatingMode(0, 6)).toBe('self_consumption');
    expect(decodeOperatingMode(1, 1)).toBe('hold');
    expect(decodeOperatingMode(1, 2)).toBe('forced');
    expect(decodeOperatingMode(1, 8)).toBe('forced');
    expect(decodeOperatingMode(null, 2)).toBeNull();
    expect(decodeRemoteEmsMode(4)).toBe('charge_pv_first');
    expect(decodeRemoteEmsMode(8)).toBe('unknown');
  });

  it('throws DecodeError for a missing or short required block', () => {
    expect(() => decodePlantReadings({ plant: blockOf(spec('plant')) })).toThrow(/'plant_battery' is missing/);
    expect(() =>
      decodePlantReadings({ ...required(), plant: RegisterBlock.from(PLANT.EMS_WORK_MODE, [0, 0]) }),
    ).toThrow(DecodeError);
  });

  const word = fc.integer({ min: 0, max: 0xffff });
  const blockArb = (s: BlockSpec) => fc.array(word, { minLength: s.count, maxLength: s.count + 3 });

  it('any full-length register image decodes to finite numbers, strings, booleans or null (property)', () => {
    const optional = ['plant_energy', 'plant_counters', 'plant_load', 'backup'] as const;
    fc.assert(
      fc.property(
        blockArb(spec('plant')),
        blockArb(spec('plant_battery')),
        blockArb(spec('remote_ems')),
        fc.tuple(...optional.map((n) => fc.option(blockArb(spec(n)), { nil: undefined }))),
        fc.array(fc.option(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { nil: null }), { maxLength: 4 }),
        (plant, battery, remote, extras, inverterPv) => {
          const blocks: PlantBlocks = {
            plant: RegisterBlock.from(spec('plant').start, plant),
            plant_battery: RegisterBlock.from(spec('plant_battery').start, battery),
            remote_ems: RegisterBlock.from(spec('remote_ems').start, remote),
          };
          extras.forEach((words, i) => {
            const name = optional[i]!;
            if (words) blocks[name] = RegisterBlock.from(spec(name).start, words);
          });
          const values = decodePlantReadings(blocks, inverterPv);
          for (const v of Object.values(values)) {
            if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
            else expect(v === null || typeof v === 'string' || typeof v === 'boolean').toBe(true);
          }
          for (const key of ['pv_power', 'load_power']) {
            const v = values[key];
            expect(v === null || (typeof v === 'number' && v >= 0)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('short or malformed blocks raise DecodeError and nothing else (property)', () => {
    const junk = fc.oneof(
      word,
      fc.integer({ min: 0x10000, max: 0x7fffffff }),
      fc.integer({ min: -0x7fffffff, max: -1 }),
      fc.double({ noInteger: true }),
      fc.string(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('plant', 'plant_battery', 'remote_ems', 'plant_energy', 'plant_counters'),
        fc.array(junk, { maxLength: 80 }),
        (which, words) => {
          const s = spec(which);
          let thrown: unknown;
          try {
            decodePlantReadings({ ...required(), [which]: RegisterBlock.from(s.start, words) });
          } catch (err) {
            thrown = err;
          }
          const valid =
            words.length >= s.count &&
            words.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffff);
          if (valid) expect(thrown).toBeUndefined();
          else expect(thrown).toBeInstanceOf(DecodeError);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('inverter identity', () => {
  it('decodes model, serial, firmware and rating', () => {
    const s = INVERTER_IDENTITY_BLOCK;
    const words = [
      ...encode.string('SigenStor EC 10.0 TP', 15),
      ...encode.string('110A1234567', 10),
      ...encode.string('V100R001C22SPC112', 15),
      ...encode.u32(10_000),
    ];
    expect(decodeInverterIdentity(1, RegisterBlock.from(s.start, words))).toEqual({
      unitId: 1,
      model: 'SigenStor EC 10.0 TP',
      serial: '110A1234567',
      firmware: 'V100R001C22SPC112',
      ratedPowerW: 10_000,
    });
    expect(() => decodeInverterIdentity(1, RegisterBlock.from(s.start, [0]))).toThrow(DecodeError);
  });
});

describe('resolvePvPower (the PV-reads-0 firmware)', () => {
  it('prefers the plant, falls back to the inverters only when the plant says 0 against real PV', () => {
    expect(resolvePvPower(3000, [2990])).toMatchObject({ pvPowerW: 3000, source: 'plant', plantPvReadsZero: false });
    expect(resolvePvPower(0, [1500, 1400])).toMatchObject({
      pvPowerW: 2900,
      source: 'inverters',
      plantPvReadsZero: true,
    });
    expect(resolvePvPower(0, [20])).toMatchObject({ pvPowerW: 0, plantPvReadsZero: false });
    expect(resolvePvPower(null, [])).toMatchObject({ pvPowerW: null });
  });
});

describe('planCommand', () => {
  const limits = { maxChargeW: 8000, maxDischargeW: 8000, maxExportW: 10_000 };
  it('restore_normal is exactly one write: remote EMS off', () => {
    expect(planCommand({ type: 'restore_normal' }, limits).writes).toEqual([{ register: 40029, words: [0] }]);
  });
  it('every plan that enables remote EMS writes 40029 last (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('force_charge', 'force_discharge'), fc.integer({ min: 0, max: 8000 }), (type, w) => {
        const writes = planCommand({ type, power_w: w }, limits).writes;
        expect(writes.at(-1)).toEqual({ register: 40029, words: [1] });
        expect(writes.findIndex((x) => x.register === 40031)).toBe(writes.length - 2);
      }),
    );
  });
});

describe('parseSigenergyConnection', () => {
  it('fills the defaults: port 502, plant 247, inverter 1', () => {
    expect(parseSigenergyConnection({ host: '192.168.1.60' })).toEqual({
      host: '192.168.1.60',
      port: 502,
      plant_unit_id: 247,
      inverter_unit_id: 1,
      inverter_count: 1,
      timeout_ms: 3000,
    });
  });
  it.each([
    [{ host: '' }, 'connection.host'],
    [{ host: 'h', plant_unit_id: 300 }, 'connection.plant_unit_id'],
    [{ host: 'h', inverter_unit_id: 246, inverter_count: 2 }, 'connection.inverter_count'],
    [{ host: 'h', plant_unit_id: 2, inverter_unit_id: 1, inverter_count: 3 }, 'connection.inverter_count'],
    [{ host: 'h', unit_id: 1 }, 'connection'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parseSigenergyConnection(input)).toThrow(field);
  });
});
