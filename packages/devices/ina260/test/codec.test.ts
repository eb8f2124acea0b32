import fc from 'fast-check';
import { DecodeError, DeviceError } from '@sps/core';
import {
  AVERAGING_COUNTS,
  checkIdentity,
  checkPower,
  CONFIG_POWER_ON,
  decodeConfig,
  decodeMeasurement,
  decodeWord,
  desiredConfigWord,
  encodeWord,
  fromSigned16,
  swapBytes,
  toSigned16,
  updatePeriodMs,
} from '@sps/device-ina260';

const word = fc.integer({ min: 0, max: 0xffff });

describe('register words', () => {
  it('are big-endian on the wire', () => {
    expect(decodeWord(Uint8Array.of(0x54, 0x49))).toBe(0x5449);
    expect([...encodeWord(0x2270)]).toEqual([0x22, 0x70]);
  });

  it('swaps an SMBus (little-endian) word into the register value', () => {
    // i2c-bus readWord of the manufacturer register returns 0x4954 on the wire bytes 54 49.
    expect(swapBytes(0x4954)).toBe(0x5449);
    fc.assert(fc.property(word, (w) => swapBytes(swapBytes(w)) === w));
  });

  it('round-trips every word and every signed value', () => {
    fc.assert(fc.property(word, (w) => decodeWord(encodeWord(w)) === w));
    fc.assert(fc.property(fc.integer({ min: -0x8000, max: 0x7fff }), (v) => toSigned16(fromSigned16(v)) === v));
    expect(toSigned16(0xfff6)).toBe(-10);
  });

  it('random byte strings decode to a word or a DecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        try {
          const w = decodeWord(bytes);
          return bytes.length === 2 && w >= 0 && w <= 0xffff;
        } catch (err) {
          return err instanceof DecodeError && bytes.length !== 2;
        }
      }),
    );
  });
});

describe('configuration register', () => {
  it('decodes the power-on value 0x6127', () => {
    expect(decodeConfig(CONFIG_POWER_ON)).toMatchObject({
      averaging: 1,
      busConversionUs: 1100,
      currentConversionUs: 1100,
      mode: 'both_continuous',
    });
    expect(updatePeriodMs(decodeConfig(CONFIG_POWER_ON))).toBeCloseTo(2.2, 6);
  });

  it('sets averaging in bits 11–9 and keeps the conversion times', () => {
    // AVG = 0b011 (64 samples): 0x6127 → 0x6727.
    expect(desiredConfigWord(CONFIG_POWER_ON, { averaging: 64 })).toBe(0x6727);
    expect(decodeConfig(0x6727).averaging).toBe(64);
    expect(desiredConfigWord(CONFIG_POWER_ON, {})).toBe(CONFIG_POWER_ON);
  });

  it('never sets the reset bit, always asks for continuous mode, keeps every other bit', () => {
    fc.assert(
      fc.property(word, fc.option(fc.constantFrom(...AVERAGING_COUNTS), { nil: undefined }), (current, averaging) => {
        const wanted = desiredConfigWord(current, averaging === undefined ? {} : { averaging });
        const decoded = decodeConfig(wanted);
        const avgMask = averaging === undefined ? 0 : 0x0e00;
        return (
          (wanted & 0x8000) === 0 &&
          decoded.mode === 'both_continuous' &&
          (averaging === undefined || decoded.averaging === averaging) &&
          (wanted & ~(0x8000 | 0x0007 | avgMask) & 0xffff) === (current & ~(0x8000 | 0x0007 | avgMask) & 0xffff)
        );
      }),
    );
  });

  it('decodes every word without throwing', () => {
    fc.assert(fc.property(word, (w) => AVERAGING_COUNTS.includes(decodeConfig(w).averaging)));
  });
});

describe('measurement registers', () => {
  it('scales current 1.25 mA, voltage 1.25 mV, power 10 mW per LSB', () => {
    // 12.0 V = 9600 counts, 2.5 A = 2000 counts, 30.00 W = 3000 counts.
    expect(decodeMeasurement({ current: 2000, busVoltage: 9600, power: 3000 })).toEqual({
      voltageV: 12,
      currentA: 2.5,
      powerW: 30,
    });
    // 1 LSB each, and a negative current (two's complement 0xFFFF = -1 count).
    expect(decodeMeasurement({ current: 0xffff, busVoltage: 1, power: 1 })).toEqual({
      voltageV: 0.00125,
      currentA: -0.00125,
      powerW: 0.01,
    });
    expect(decodeMeasurement({ current: 0x8000, busVoltage: 28800, power: 0xffff })).toEqual({
      voltageV: 36,
      currentA: -40.96,
      powerW: 655.35,
    });
  });

  it('refuses a bus voltage word with bit 15 set', () => {
    expect(() => decodeMeasurement({ current: 0, busVoltage: 0x8001, power: 0 })).toThrow(DecodeError);
    expect(() => decodeMeasurement({ current: 0, busVoltage: 0x8001, power: 0 })).toThrow(
      /bus voltage register 0x8001/,
    );
  });

  it('random words decode to finite numbers in range or a DecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(word, fc.integer(), fc.double()),
        fc.oneof(word, fc.integer(), fc.double()),
        fc.oneof(word, fc.integer(), fc.double()),
        (current, busVoltage, power) => {
          try {
            const m = decodeMeasurement({ current, busVoltage, power });
            return (
              Number.isFinite(m.voltageV) &&
              m.voltageV >= 0 &&
              m.voltageV <= 40.96 &&
              Math.abs(m.currentA) <= 40.96 &&
              m.powerW >= 0 &&
              m.powerW <= 655.35
            );
          } catch (err) {
            return err instanceof DecodeError;
          }
        },
      ),
    );
  });

  it('the power register agrees with V × |I| within quantisation, whatever the sign of I', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 28800 }),
        fc.integer({ min: -12000, max: 12000 }),
        (voltageCounts, currentCounts) => {
          const powerCounts = Math.floor((Math.abs(currentCounts) * 0.00125 * voltageCounts * 0.00125) / 0.01);
          const m = decodeMeasurement({
            current: fromSigned16(currentCounts),
            busVoltage: voltageCounts,
            power: Math.min(0xffff, powerCounts),
          });
          return checkPower(m).consistent;
        },
      ),
    );
  });

  it('flags a power register far from V × |I|', () => {
    const m = decodeMeasurement({ current: 4000, busVoltage: 16000, power: 0x7d00 });
    expect(checkPower(m)).toMatchObject({ consistent: false, productW: 100 });
  });
});

describe('identity registers', () => {
  it('accepts TI die 0x227x, any revision', () => {
    expect(checkIdentity(0x5449, 0x2270, 'here')).toEqual({ manufacturerId: 0x5449, dieId: 0x227, revision: 0 });
    expect(checkIdentity(0x5449, 0x2273, 'here').revision).toBe(3);
  });

  it('names a different chip as unsupported', () => {
    const err = (() => {
      try {
        checkIdentity(0x5449, 0x2260, 'address 0x40 on memory');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toBe('unsupported');
    expect((err as DeviceError).message).toMatch(/TI INA226, not an INA260: die id 0x2260/);
    expect(() => checkIdentity(0x0000, 0x0000, 'x')).toThrow(/manufacturer id 0x0000/);
  });

  it('random identity words give an identity or an unsupported DeviceError', () => {
    fc.assert(
      fc.property(word, word, (m, d) => {
        try {
          checkIdentity(m, d, 'x');
          return m === 0x5449 && d >> 4 === 0x227;
        } catch (err) {
          return err instanceof DeviceError && err.kind === 'unsupported';
        }
      }),
    );
  });
});
