import { parseIna260Connection } from '@sps/device-ina260';

describe('INA260 connection options', () => {
  it('defaults the address to 0x40 and the timeout to 1 s', () => {
    expect(parseIna260Connection({ bus: 1 })).toEqual({ bus: 1, address: 0x40, timeout_ms: 1000 });
  });

  it('accepts the forms options and CLI flags arrive in', () => {
    expect(parseIna260Connection({ bus: 'memory', address: '0x4F', averaging: '256', timeout_ms: '200' })).toEqual({
      bus: 'memory',
      address: 0x4f,
      averaging: 256,
      timeout_ms: 200,
    });
    expect(parseIna260Connection({ bus: '/dev/i2c-3', address: 65 }).bus).toBe(3);
    expect(parseIna260Connection({ bus: '0' }).bus).toBe(0);
  });

  it.each([
    [{}, /^connection\.bus: expected an I2C bus number/],
    [{ bus: 'i2c' }, /^connection\.bus: expected an I2C bus number/],
    [{ bus: 256 }, /^connection\.bus: /],
    [{ bus: 1, address: 0x3f }, /^connection\.address: expected an I2C address from 0x40 to 0x4f/],
    [{ bus: 1, address: '0x50' }, /^connection\.address: /],
    [{ bus: 1, address: 'forty' }, /^connection\.address: /],
    [{ bus: 1, averaging: 3 }, /^connection\.averaging: expected one of 1\|4\|16\|64\|128\|256\|512\|1024/],
    [{ bus: 1, timeout_ms: 5 }, /^connection\.timeout_ms: /],
    [{ bus: 1, shunt_ohms: 0.002 }, /^connection\.shunt_ohms: unknown field/],
    [null, /^connection: /],
  ])('refuses %j naming the field', (input, message) => {
    expect(() => parseIna260Connection(input)).toThrow(message);
  });
});
