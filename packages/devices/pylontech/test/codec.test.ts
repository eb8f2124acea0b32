import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  BMS_FLAGS,
  PYLONTECH_0x359_BITS,
  SMA_0x35A_PAIRS,
  bmsReadings,
  decodeBmsFrame,
  encodeFlags,
  encodeLimits,
  encodeManufacturer,
  encodeMeasurements,
  encodeRequests,
  encodeSoc,
  rememberFrame,
  type BmsFlag,
  type BmsFrame,
  type BmsFrameSet,
  type BmsFrameValues,
} from '@sps/device-pylontech';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replaceAll(' ', ''), 'hex'));

function decodeOk(id: number, hex: string): BmsFrame {
  const result = decodeBmsFrame({ id, extended: false, data: bytes(hex) });
  if (!result.ok) throw new Error(`expected ${id.toString(16)} to decode: ${result.reason}`);
  return result.frame;
}

function readingsOf(frames: readonly [number, string][]): ReturnType<typeof bmsReadings> {
  const set: BmsFrameSet = {};
  for (const [id, hex] of frames) {
    const result = decodeBmsFrame({ id, extended: false, data: bytes(hex) });
    if (result.ok) rememberFrame(set, result.frame);
  }
  return bmsReadings(set);
}

// The worked example of reference §7.2 (see test/fixtures/README.md).
const PYLONTECH_EXAMPLE: [number, string][] = [
  [0x351, '14 02 B0 04 40 06 C2 01'],
  [0x355, '5A 00 64 00'],
  [0x356, '84 13 F1 FF 37 00'],
  [0x359, '00 00 00 00 04 50 4E'],
  [0x35c, 'C0 00'],
  [0x35e, '50 59 4C 4F 4E 20 20 20'],
];

/** The BYD capture, parsed from the candump fixture (dfch/BydCanProtocol, MIT). */
function bydBurst(): [number, string][] {
  const text = readFileSync(join(__dirname, 'fixtures', 'byd-premium-lvs.candump.log'), 'utf8');
  const seen = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\(\d+\.\d+\) can0 ([0-9A-F]{3})#([0-9A-F]*)$/.exec(line.trim());
    if (m !== null) seen.set(parseInt(m[1] as string, 16), m[2] as string);
  }
  return [...seen.entries()];
}

describe('Pylontech worked example (golden)', () => {
  it('decodes every frame to the published values, in project signs', () => {
    expect(decodeOk(0x351, '14 02 B0 04 40 06 C2 01')).toEqual({
      kind: 'limits',
      chargeVoltageLimitV: 53.2,
      chargeCurrentLimitA: 120,
      dischargeCurrentLimitA: 160,
      dischargeVoltageLimitV: 45,
    });
    expect(decodeOk(0x355, '5A 00 64 00')).toEqual({ kind: 'soc', socPct: 90, sohPct: 100 });
    // −1.5 A on the wire is 1.5 A of discharge: positive in the project's sign.
    expect(decodeOk(0x356, '84 13 F1 FF 37 00')).toEqual({
      kind: 'measurements',
      voltageV: 49.96,
      currentA: 1.5,
      temperatureC: 5.5,
    });
    expect(decodeOk(0x35c, 'C0 00')).toMatchObject({
      chargeEnabled: true,
      dischargeEnabled: true,
      forceChargeRequest: false,
    });
    expect(decodeOk(0x35e, '50 59 4C 4F 4E 20 20 20')).toEqual({ kind: 'manufacturer', manufacturer: 'PYLON' });
  });

  it('makes the reading set the driver reports', () => {
    const r = readingsOf(PYLONTECH_EXAMPLE);
    expect(r).toMatchObject({
      battery_soc: 90,
      battery_soh: 100,
      battery_voltage: 49.96,
      battery_current: 1.5,
      battery_power: 74.9, // 49.96 V × 1.5 A, discharging
      battery_temperature: 5.5,
      charge_voltage_limit: 53.2,
      discharge_voltage_limit: 45,
      charge_current_limit: 120,
      discharge_current_limit: 160,
      charge_enabled: true,
      discharge_enabled: true,
      force_charge_request: false,
      module_count: 4,
      manufacturer: 'PYLON',
    });
    // Every flag 0x359 carries reads false; those only 0x35A carries are unknown (null).
    for (const name of BMS_FLAGS) {
      expect([name, r[name]]).toEqual([name, PYLONTECH_0x359_BITS[name] === undefined ? null : false]);
    }
  });
});

describe('BYD Battery-Box Premium LVS capture (golden, dfch/BydCanProtocol)', () => {
  it('decodes the limits, SOC, measurements, manufacturer and the SMA-style alarms', () => {
    const r = readingsOf(bydBurst());
    expect(r).toMatchObject({
      charge_voltage_limit: 58.4,
      charge_current_limit: 128,
      discharge_current_limit: 128,
      discharge_voltage_limit: 43,
      battery_soc: 67,
      battery_soh: 100,
      battery_voltage: 53.1,
      battery_current: 0.7, // −0.7 A on the wire: discharging
      battery_power: 37.2,
      battery_temperature: 14,
      manufacturer: 'BYD',
      // BYD sends neither 0x359 nor 0x35C.
      module_count: null,
      charge_enabled: null,
    });
    // 0x35A "AA…": every pair 10 = cleared, so every flag 0x35A carries is false, the rest unknown.
    for (const name of BMS_FLAGS) {
      expect([name, r[name]]).toEqual([name, SMA_0x35A_PAIRS[name] === undefined ? null : false]);
    }
  });

  it('skips the frames it does not read (Victron 0x305–0x307, BYD 0x35B, 0x35F, 0x37x) with a reason', () => {
    for (const [id, hex] of bydBurst()) {
      const result = decodeBmsFrame({ id, extended: false, data: bytes(hex) });
      if ([0x351, 0x355, 0x356, 0x35a, 0x35e].includes(id)) expect(result.ok).toBe(true);
      else expect(result).toEqual({ ok: false, reason: expect.stringContaining('not a BMS frame') });
    }
  });
});

describe('strictness', () => {
  it.each([
    ['0x351', '14 02 B0 04 40', 'DLC 5, expected 6–8'],
    ['0x351', '14 02 B0 04 40 06 C2', 'DLC 7, expected 6 or 8'],
    ['0x355', '5A 00 64', 'DLC 3, expected 4–8'],
    ['0x355', '65 00 64 00', 'SOC 101 % is above 100'],
    ['0x355', '5A 00 65 00', 'SOH 101 % is above 100'],
    ['0x356', '84 13 F1 FF 37', 'DLC 5, expected 6–8'],
    ['0x356', '84 F3 F1 FF 37 00', 'is negative'],
    ['0x351', '14 02 B0 F4 40 06 C2 01', 'charge current limit'],
    ['0x359', '00 00 00 00 04 50', 'DLC 6, expected 7–8'],
    ['0x35A', 'AA AA AA', 'DLC 3, expected 4–8'],
    ['0x35C', 'C0', 'DLC 1, expected 2–8'],
    ['0x35E', '', 'DLC 0, expected 1–8'],
    ['0x35E', '00 50 59 4C 4F 4E', 'no printable manufacturer name'],
  ])('%s %s → rejected (%s)', (idHex, hex, why) => {
    const result = decodeBmsFrame({ id: parseInt(idHex, 16), extended: false, data: bytes(hex) });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(why);
      expect(result.reason).toMatch(/^0x3[0-9A-F]{2}: /);
    }
  });

  it('rejects a 29-bit frame with a BMS id and a frame longer than 8 bytes', () => {
    expect(decodeBmsFrame({ id: 0x351, extended: true, data: bytes('14 02 B0 04 40 06 C2 01') })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('29-bit'),
    });
    expect(decodeBmsFrame({ id: 0x35e, data: new Uint8Array(9).fill(0x41) })).toMatchObject({ ok: false });
  });

  it('reads the manufacturer through NUL, space and junk padding', () => {
    const name = (hex: string): unknown => (decodeOk(0x35e, hex) as { manufacturer: string }).manufacturer;
    expect(name('50 59 4C 4F 4E 20 20 20')).toBe('PYLON');
    expect(name('50 59 4C 4F 4E 00 FF 13')).toBe('PYLON');
    expect(name('50 59 4C 4F 4E 20 9A 01')).toBe('PYLON');
    expect(name('42 59 44 00 00 00 00 00')).toBe('BYD');
    expect(name('52 45 43 2D 42 4D 53 00')).toBe('REC-BMS');
  });

  it('accepts a 6-byte 0x351 without the discharge voltage limit', () => {
    expect(decodeOk(0x351, '14 02 B0 04 40 06')).toMatchObject({ dischargeVoltageLimitV: null });
  });

  it('uses a high-resolution SOC only when it agrees with the whole percent', () => {
    expect(decodeOk(0x355, '5A 00 64 00 2A 23')).toMatchObject({ socPct: 90.02 }); // 0x232A = 9002
    expect(decodeOk(0x355, '5A 00 64 00 10 27')).toMatchObject({ socPct: 90 }); // 100.00: disagrees
  });

  it('decodes each 0x359 bit to its own flag and 0x35A pairs as set / cleared / unknown', () => {
    for (const [name, pos] of Object.entries(PYLONTECH_0x359_BITS) as [BmsFlag, { byte: number; bit: number }][]) {
      const data = new Uint8Array(7);
      data[pos.byte] = 1 << pos.bit;
      const r = readingsOf([[0x359, Buffer.from(data).toString('hex')]]);
      const set = BMS_FLAGS.filter((f) => r[f] === true);
      expect(set).toEqual([name]);
    }
    for (const [name, pos] of Object.entries(SMA_0x35A_PAIRS) as [BmsFlag, { byte: number; bit: number }][]) {
      const data = new Uint8Array(8).fill(0xaa);
      data[pos.byte] = ((data[pos.byte] as number) & ~(0b11 << pos.bit)) | (0b01 << pos.bit);
      const r = readingsOf([[0x35a, Buffer.from(data).toString('hex')]]);
      expect(BMS_FLAGS.filter((f) => r[f] === true)).toEqual([name]);
    }
    // 00 (TinyBMS-style "not supported") leaves a flag unknown.
    expect(readingsOf([[0x35a, '00000000']]).protection_general).toBeNull();
  });
});

describe('property: every 0..8-byte payload for every id decodes or is rejected, never throws', () => {
  const ids = [0x305, 0x351, 0x355, 0x356, 0x359, 0x35a, 0x35b, 0x35c, 0x35e, 0x35f, 0x370, 0x7ff];
  it('holds for random payloads, with values in range when accepted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ids),
        fc.boolean(),
        fc.uint8Array({ minLength: 0, maxLength: 8 }),
        (id, extended, data) => {
          const result = decodeBmsFrame({ id, extended, data });
          if (!result.ok) {
            expect(typeof result.reason).toBe('string');
            return;
          }
          const set: BmsFrameSet = {};
          rememberFrame(set, result.frame);
          for (const value of Object.values(bmsReadings(set))) {
            if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
          }
          if (result.frame.kind === 'soc') {
            expect(result.frame.socPct).toBeGreaterThanOrEqual(0);
            expect(result.frame.socPct).toBeLessThanOrEqual(100);
          }
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('holds exhaustively for every length and every single-byte value at every position', () => {
    for (const id of ids) {
      for (let len = 0; len <= 8; len++) {
        for (let at = 0; at < Math.max(1, len); at++) {
          for (let v = 0; v < 256; v++) {
            const data = new Uint8Array(len).fill(0);
            if (len > 0) data[at] = v;
            decodeBmsFrame({ id, data }); // a throw fails the test
          }
        }
      }
    }
  });
});

describe('encoders (the simulator) round-trip through the decoders', () => {
  it('holds for plausible values', () => {
    fc.assert(
      fc.property(
        fc.record({
          socPct: fc.integer({ min: 0, max: 100 }),
          voltageV: fc.integer({ min: 4000, max: 5800 }).map((v) => v / 100),
          currentA: fc.integer({ min: -2000, max: 2000 }).map((v) => v / 10),
          temperatureC: fc.integer({ min: -200, max: 600 }).map((v) => v / 10),
          flags: fc.subarray([...BMS_FLAGS].filter((f) => PYLONTECH_0x359_BITS[f] !== undefined)),
        }),
        ({ socPct, voltageV, currentA, temperatureC, flags }) => {
          const v: BmsFrameValues = {
            chargeVoltageLimitV: 53.2,
            chargeCurrentLimitA: 100,
            dischargeCurrentLimitA: 100,
            dischargeVoltageLimitV: 44.5,
            socPct,
            sohPct: 99,
            voltageV,
            currentA,
            temperatureC,
            moduleCount: 2,
            activeFlags: new Set(flags),
            chargeEnabled: true,
            dischargeEnabled: false,
            forceChargeRequest: true,
            manufacturer: 'PYLON',
          };
          const set: BmsFrameSet = {};
          for (const [id, data] of [
            [0x351, encodeLimits(v)],
            [0x355, encodeSoc(v)],
            [0x356, encodeMeasurements(v)],
            [0x359, encodeFlags(v)],
            [0x35c, encodeRequests(v)],
            [0x35e, encodeManufacturer(v)],
          ] as const) {
            const result = decodeBmsFrame({ id, data });
            if (!result.ok) throw new Error(result.reason);
            rememberFrame(set, result.frame);
          }
          const r = bmsReadings(set);
          expect(r).toMatchObject({
            battery_soc: socPct,
            battery_voltage: voltageV,
            battery_current: currentA,
            battery_temperature: temperatureC,
            module_count: 2,
            charge_enabled: true,
            discharge_enabled: false,
            force_charge_request: true,
            manufacturer: 'PYLON',
          });
          expect(BMS_FLAGS.filter((f) => r[f] === true).sort()).toEqual([...flags].sort());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
