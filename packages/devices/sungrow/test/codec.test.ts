import fc from 'fast-check';
import { DecodeError } from '@sps/core';
import {
  decodeIdentity,
  decodePowerFlow,
  decodeReadings,
  encode,
  encodePowerFlow,
  HOLDING,
  INPUT,
  modelName,
  POLL_BLOCKS,
  RegisterBlock,
  resolveBatteryPower,
  scale,
  type BlockSpec,
  type PollBlocks,
} from '@sps/device-sungrow';

const spec = (name: string): BlockSpec => {
  const found = POLL_BLOCKS.find((b) => b.name === name);
  if (!found) throw new Error(name);
  return found;
};

/** A block image built register by register, zero elsewhere. */
function blockOf(s: BlockSpec, values: Record<number, number[]> = {}): RegisterBlock {
  const words = new Array<number>(s.count).fill(0);
  for (const [reg, ws] of Object.entries(values)) ws.forEach((w, i) => (words[Number(reg) - s.start + i] = w));
  return RegisterBlock.from(s.start, words);
}

describe('RegisterBlock primitives', () => {
  const block = RegisterBlock.from(100, [0x5678, 0x1234, 0xffff, 0x7fff, 0xfe6e, 0xffff, 0x8000, 0x0001]);

  it('reads 32-bit values low word first', () => {
    expect(block.u32(100)).toBe(0x12345678);
    expect(block.s32(104)).toBe(-402);
  });

  it('maps the not-available markers to null', () => {
    expect(block.u16(102)).toBeNull();
    expect(block.s16(103)).toBeNull();
    expect(RegisterBlock.from(1, [0xffff, 0xffff]).u32(1)).toBeNull();
    expect(RegisterBlock.from(1, [0xffff, 0x7fff]).s32(1)).toBeNull();
  });

  it('reads signed 16-bit values', () => {
    expect(block.s16(104)).toBe(-402);
    expect(block.u16(104)).toBe(0xfe6e);
  });

  it('decodes ASCII strings padded with NUL or 0xFF', () => {
    const nul = RegisterBlock.from(1, encode.string('A2350415770', 10));
    expect(nul.string(1, 10)).toBe('A2350415770');
    const ff = RegisterBlock.from(1, [0x4142, 0x43ff, 0xffff]);
    expect(ff.string(1, 3)).toBe('ABC');
  });

  it('scales to the closest decimal', () => {
    expect(scale(2345, 0.1)).toBe(234.5);
    expect(scale(1916, 0.1)).toBe(191.6);
    expect(scale(1234, 100)).toBe(123400);
    expect(scale(null, 0.1)).toBeNull();
  });

  it('throws DecodeError for registers outside the block and for non-words', () => {
    expect(() => block.u16(99)).toThrow(DecodeError);
    expect(() => block.u32(107)).toThrow(DecodeError);
    expect(() => RegisterBlock.from(1, [1, 70000])).toThrow(/register 2 holds 70000/);
    expect(() => RegisterBlock.from(1, [1.5])).toThrow(DecodeError);
    expect(() => RegisterBlock.from(0, [1])).toThrow(DecodeError);
  });
});

describe('device identity', () => {
  const identitySpec = { start: INPUT.SERIAL, count: INPUT.OUTPUT_TYPE - INPUT.SERIAL + 1 };
  const identity = (code: number, nominalTenthsKw: number, outputType = 1): RegisterBlock =>
    RegisterBlock.from(identitySpec.start, [...encode.string('A2350415770', 10), code, nominalTenthsKw, outputType]);

  it.each([
    ['SH5.0RT', 0x0e00],
    ['SH6.0RT', 0x0e01],
    ['SH8.0RT', 0x0e02],
    ['SH10RT', 0x0e03],
    ['SH8.0RT-20', 0x0e12],
    ['SH3.6RS', 0x0d0d],
    ['SH5.0RS', 0x0d0f],
    ['SH6.0RS', 0x0d10],
    ['SH5K-20', 0x0d09],
  ])('%s has device type code %i', (name, code) => {
    expect(modelName(code)).toBe(name);
  });

  it('names unknown type codes without failing', () => {
    expect(modelName(0x0abc)).toBe('Sungrow SH (type 0x0ABC)');
  });

  it('decodes serial, model, nominal power and phases', () => {
    const decoded = decodeIdentity(identity(0x0e12, 80));
    expect(decoded).toMatchObject({
      serial: 'A2350415770',
      model: 'SH8.0RT-20',
      nominalPowerW: 8000,
      phases: 3,
      armSoftware: null,
    });
  });

  it('falls back to the model table when 5001 is not available', () => {
    expect(decodeIdentity(identity(0x0d0f, 0xffff, 0)).nominalPowerW).toBe(5000);
    expect(decodeIdentity(identity(0x0abc, 0xffff, 0xffff)).nominalPowerW).toBeNull();
  });

  it('rejects a short identity block', () => {
    expect(() => decodeIdentity(RegisterBlock.from(INPUT.SERIAL, [0, 0, 0]))).toThrow(DecodeError);
  });
});

describe('battery power sign (13022 and the 13001 power-flow bits)', () => {
  const charging = decodePowerFlow(encodePowerFlow({ batteryCharging: true }));
  const discharging = decodePowerFlow(encodePowerFlow({ batteryDischarging: true }));
  const idle = decodePowerFlow(0);

  it('old firmware: unsigned magnitude, direction from the bits', () => {
    expect(resolveBatteryPower(1500, discharging)).toBe(1500);
    expect(resolveBatteryPower(1500, charging)).toBe(-1500);
  });

  it('new firmware: signed, + charging in the vendor convention', () => {
    expect(resolveBatteryPower(encode.s16(-1500)[0] as number, discharging)).toBe(1500);
    expect(resolveBatteryPower(1500, charging)).toBe(-1500);
    // Without bits the signed value decides.
    expect(resolveBatteryPower(encode.s16(-800)[0] as number, idle)).toBe(800);
    expect(resolveBatteryPower(800, idle)).toBe(-800);
  });

  it('0x7FFF is not available', () => {
    expect(resolveBatteryPower(0x7fff, charging)).toBeNull();
  });

  it('both firmware encodings decode to the same project value (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20000, max: 20000 }), (projectW) => {
        const flow = decodePowerFlow(
          encodePowerFlow({ batteryCharging: projectW < 0, batteryDischarging: projectW > 0 }),
        );
        const oldFw = Math.abs(projectW);
        const newFw = encode.s16(-projectW)[0] as number;
        expect(resolveBatteryPower(oldFw, flow)).toBe(projectW === 0 ? 0 : projectW);
        expect(resolveBatteryPower(newFw, flow)).toBe(projectW === 0 ? 0 : projectW);
      }),
    );
  });
});

describe('decodeReadings', () => {
  /**
   * Values from a real SH8.0RT-20 at night, as listed in device-protocols.md §4.5 (AlexanderLanin
   * homeassistant-sungrow dump_master.yaml; facts only): SOC 0, SOH 100 %, battery 191.6 V,
   * load 402 W, export −402 W, meter 398 W, EMS 0, export limit 12000 W.
   */
  it('decodes a night-time SH8.0RT-20 snapshot', () => {
    const blocks: PollBlocks = {
      inverter: blockOf(spec('inverter')),
      status: blockOf(spec('status'), {
        [INPUT.RUNNING_STATE]: [0x0040],
        [INPUT.POWER_FLOW]: [encodePowerFlow({ positiveLoad: true, importing: true })],
        [INPUT.LOAD_POWER]: encode.s32(402),
        [INPUT.EXPORT_POWER]: encode.s32(-402),
        [INPUT.BATTERY_VOLTAGE]: [1916],
        [INPUT.BATTERY_SOC]: [0],
        [INPUT.BATTERY_SOH]: [1000],
      }),
      meter: blockOf(spec('meter'), { [INPUT.METER_POWER]: encode.s32(398) }),
      ems: blockOf(spec('ems'), { [HOLDING.EMS_MODE]: [0], [HOLDING.FORCED_COMMAND]: [0xcc] }),
      export_control: blockOf(spec('export_control'), {
        [HOLDING.EXPORT_LIMIT]: [12000],
        [HOLDING.EXPORT_LIMIT_MODE]: [0xaa],
      }),
    };
    const values = decodeReadings(blocks);
    expect(values).toMatchObject({
      battery_soc: 0,
      battery_soh: 100,
      battery_voltage: 191.6,
      load_power: 402,
      export_power: -402,
      grid_power: 398,
      ems_mode: 'self_consumption',
      forced_command: 'stop',
      export_limit: 12000,
      export_limit_enabled: true,
      running_state: 'running',
      grid_importing: true,
    });
    expect(values).not.toHaveProperty('max_charge_power');
  });

  it('without the meter block grid power is the export power with its sign flipped', () => {
    const values = decodeReadings({
      inverter: blockOf(spec('inverter')),
      status: blockOf(spec('status'), { [INPUT.EXPORT_POWER]: encode.s32(1234) }),
    });
    expect(values.grid_power).toBe(-1234);
    expect(values).not.toHaveProperty('bms_max_charge_current');
  });

  it('converts 0.1 kWh counters to Wh and derives load energy from the balance', () => {
    const values = decodeReadings({
      inverter: blockOf(spec('inverter')),
      status: blockOf(spec('status'), {
        [INPUT.PV_ENERGY_TOTAL]: encode.u32(1000), // 100 kWh
        [INPUT.GRID_IMPORT_TOTAL]: encode.u32(500),
        [INPUT.BATTERY_DISCHARGE_TOTAL]: encode.u32(200),
        [INPUT.GRID_EXPORT_TOTAL]: encode.u32(300),
        [INPUT.BATTERY_CHARGE_TOTAL]: encode.u32(250),
        [INPUT.PV_ENERGY_TODAY]: [123],
      }),
    });
    expect(values.pv_energy).toBe(100_000);
    expect(values.pv_energy_today).toBe(12_300);
    expect(values.load_energy).toBe(115_000);
  });

  it('throws DecodeError for a missing required block or a short one', () => {
    expect(() => decodeReadings({ inverter: blockOf(spec('inverter')) })).toThrow(/'status' is missing/);
    expect(() =>
      decodeReadings({
        inverter: blockOf(spec('inverter')),
        status: RegisterBlock.from(INPUT.RUNNING_STATE, [0, 0, 0]),
      }),
    ).toThrow(DecodeError);
  });

  const word = fc.integer({ min: 0, max: 0xffff });
  const blockArb = (s: BlockSpec) => fc.array(word, { minLength: s.count, maxLength: s.count + 4 });

  it('never throws on random full-length blocks, and yields only finite numbers, strings, booleans or null (property)', () => {
    fc.assert(
      fc.property(
        blockArb(spec('inverter')),
        blockArb(spec('status')),
        fc.option(blockArb(spec('meter')), { nil: undefined }),
        fc.option(blockArb(spec('battery_detail')), { nil: undefined }),
        fc.option(blockArb(spec('ems')), { nil: undefined }),
        fc.option(blockArb(spec('export_control')), { nil: undefined }),
        fc.option(blockArb(spec('battery_limits')), { nil: undefined }),
        (inv, status, meter, detail, ems, exp, limits) => {
          const blocks: PollBlocks = {
            inverter: RegisterBlock.from(spec('inverter').start, inv),
            status: RegisterBlock.from(spec('status').start, status),
          };
          if (meter) blocks.meter = RegisterBlock.from(spec('meter').start, meter);
          if (detail) blocks.battery_detail = RegisterBlock.from(spec('battery_detail').start, detail);
          if (ems) blocks.ems = RegisterBlock.from(spec('ems').start, ems);
          if (exp) blocks.export_control = RegisterBlock.from(spec('export_control').start, exp);
          if (limits) blocks.battery_limits = RegisterBlock.from(spec('battery_limits').start, limits);
          const values = decodeReadings(blocks);
          for (const v of Object.values(values)) {
            if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
            else expect(v === null || typeof v === 'string' || typeof v === 'boolean').toBe(true);
          }
          expect(values.load_energy === null || (values.load_energy as number) >= 0).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws only DecodeError on short or malformed blocks (property)', () => {
    const malformed = fc.oneof(
      fc.integer({ min: 0x10000, max: 0x7fffffff }),
      fc.integer({ min: -0x7fffffff, max: -1 }),
      fc.double({ noInteger: true }),
      fc.constant(Number.NaN),
      fc.string(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('inverter', 'status'),
        fc.integer({ min: 0, max: 47 }),
        fc.array(fc.oneof(word, malformed), { maxLength: 60 }),
        fc.boolean(),
        (which, shortBy, junk, useJunk) => {
          const s = spec(which);
          const other = which === 'inverter' ? spec('status') : spec('inverter');
          const words = useJunk ? junk : new Array<number>(Math.max(0, s.count - 1 - (shortBy % s.count))).fill(0);
          let thrown: unknown;
          try {
            decodeReadings({
              [which]: RegisterBlock.from(s.start, words),
              [other.name]: RegisterBlock.from(other.start, new Array<number>(other.count).fill(0)),
            });
          } catch (err) {
            thrown = err;
          }
          // A junk array may by chance be a valid full block; otherwise it must be a DecodeError.
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

  it('32-bit encoders and decoders round-trip, low word first (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfffffffe }),
        fc.integer({ min: -0x80000000, max: 0x7ffffffe }),
        (u, s) => {
          expect(RegisterBlock.from(1, encode.u32(u)).u32(1)).toBe(u);
          expect(RegisterBlock.from(1, encode.s32(s)).s32(1)).toBe(s);
        },
      ),
    );
  });
});
