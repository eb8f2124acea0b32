import fc from 'fast-check';
import {
  decodeIdentifier,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeIdentifier,
  encodeRequestFrame,
  encodeResponseFrame,
  enumName,
  OPERATING_STATES,
  toFloat32,
  type XcomFrame,
} from '@sps/device-studer';

const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
const frame = (id: number, bytes: string): XcomFrame => ({ id, extended: true, data: Buffer.from(bytes, 'hex') });

// Goldens worked out by hand from the layout in Studer's xcomcan package (dest<<19 | src<<9 | service<<6 | flags)
// and its examples: client 0x00 reads user info 3000 from the first Xtender (address 101), writes
// parameter 1286 = 230.0 to RAM (part 4).
describe('identifier layout', () => {
  it('read user info 3000 from XT 101, client 0: 0x03280000, payload 0bb8', () => {
    const f = encodeRequestFrame(0, 101, { service: 'read_user_info', object: 3000 });
    expect(f.id).toBe(0x03280000);
    expect(f.extended).toBe(true);
    expect(hex(f.data)).toBe('0bb8');
  });

  it('write parameter 1286 = 230.0 to RAM: service 2, payload 0506 04 43660000', () => {
    const f = encodeRequestFrame(0, 101, { service: 'write_parameter', object: 1286, part: 'ram', value: 230 });
    expect(f.id).toBe(0x03280080);
    expect(hex(f.data)).toBe('05060443660000');
  });

  it('read parameter 1138 max from VT/XT: part 2', () => {
    const f = encodeRequestFrame(0x00, 101, { service: 'read_parameter', object: 1138, part: 'max' });
    expect(f.id).toBe(0x03280040);
    expect(hex(f.data)).toBe('047202');
  });

  it('takes apart every field, addresses of 10 bits', () => {
    const id = encodeIdentifier({ destination: 0x3ff, source: 301, service: 3, error: true });
    expect(decodeIdentifier(id)).toEqual({ destination: 0x3ff, source: 301, service: 3, flags: 1, error: true });
    expect(id).toBeLessThanOrEqual(0x1fffffff);
    expect(() => encodeIdentifier({ destination: 1024, source: 0, service: 0 })).toThrow(RangeError);
  });

  it('round-trips any addresses and service', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1023 }),
        fc.integer({ min: 0, max: 1023 }),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (d, s, svc, e) => {
          const back = decodeIdentifier(encodeIdentifier({ destination: d, source: s, service: svc, error: e }));
          expect([back.destination, back.source, back.service, back.error]).toEqual([d, s, svc, e]);
        },
      ),
    );
  });
});

describe('responses', () => {
  it('a user info answer from XT 101 to client 0: 52.5 V', () => {
    const decoded = decodeResponseFrame(frame(0x0000ca00, '0bb842520000'));
    expect(decoded).toEqual({
      ok: true,
      value: {
        source: 101,
        destination: 0,
        body: { kind: 'value', service: 'read_user_info', object: 3000, value: 52.5 },
      },
    });
  });

  it('a parameter answer names its part', () => {
    const decoded = decodeResponseFrame(frame(0x0000ca40, '04720142200000'));
    expect(decoded).toEqual({
      ok: true,
      value: {
        source: 101,
        destination: 0,
        body: { kind: 'value', service: 'read_parameter', object: 1138, part: 'min', value: 40 },
      },
    });
  });

  it('an error answer (flag bit 0) names the code', () => {
    const decoded = decodeResponseFrame(frame(0x0000ca81, '047200000028'));
    expect(decoded).toEqual({
      ok: true,
      value: {
        source: 101,
        destination: 0,
        body: { kind: 'error', service: 'write_parameter', object: 1138, code: 0x28, name: 'DATA_TOO_BIG' },
      },
    });
    const unknown = decodeResponseFrame(frame(0x0000ca01, '0bb800000099'));
    expect(unknown.ok && unknown.value.body.kind === 'error' && unknown.value.body.name).toBe('UNKNOWN_0x99');
  });

  it('a message notification (service 3) to the RCC group', () => {
    const id = encodeIdentifier({ destination: 500, source: 101, service: 3 });
    const decoded = decodeResponseFrame(frame(id, '00140000002a'));
    expect(decoded).toEqual({
      ok: true,
      value: { source: 101, destination: 500, body: { kind: 'message', message: 20, value: 42 } },
    });
  });

  it('encodes what it decodes (the simulator side)', () => {
    const f = encodeResponseFrame(101, 0, {
      kind: 'value',
      service: 'write_parameter',
      object: 1107,
      part: 'flash',
      value: 16,
    });
    expect(hex(f.data)).toBe('04530041800000');
    const e = encodeResponseFrame(101, 0, {
      kind: 'error',
      service: 'read_user_info',
      object: 9999,
      code: 0x22,
      name: 'OBJECT_ID_NOT_FOUND',
    });
    expect(decodeIdentifier(e.id).error).toBe(true);
    expect(decodeResponseFrame(e)).toMatchObject({
      ok: true,
      value: { body: { kind: 'error', name: 'OBJECT_ID_NOT_FOUND' } },
    });
  });

  it('names what it cannot read instead of guessing', () => {
    const reason = (f: XcomFrame): string => {
      const d = decodeResponseFrame(f);
      return d.ok ? 'decoded' : d.reason;
    };
    expect(reason({ id: 0x351, extended: false, data: new Uint8Array(8) })).toMatch(/11-bit/);
    expect(reason(frame(0x0000ca00, '0bb84252'))).toMatch(/4 bytes \(expected 6\)/);
    expect(reason(frame(0x0000ca40, '04720342200000'))).toMatch(/part 3/);
    expect(reason(frame(0x0000ca00, '0bb87fc00000'))).toMatch(/not a finite number/);
    expect(reason(frame(0x0000cb00, '0000'))).toMatch(/service 4/);
  });

  it('FLOAT32: the value as the wire will carry it', () => {
    expect(toFloat32(0.1)).not.toBe(0.1);
    expect(toFloat32(16)).toBe(16);
  });
});

describe('requests as the device reads them', () => {
  it('round-trips every request', () => {
    const req = { service: 'write_parameter', object: 1138, part: 'flash', value: 60 } as const;
    expect(decodeRequestFrame(encodeRequestFrame(0, 101, req))).toEqual({
      ok: true,
      value: { source: 0, destination: 101, body: req },
    });
  });

  it('refuses a request with the error flag or a wrong length', () => {
    expect(decodeRequestFrame(frame(0x03280001, '0bb8'))).toMatchObject({ ok: false });
    expect(decodeRequestFrame(frame(0x03280000, '0bb800'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/3 bytes/),
    });
  });
});

describe('property: any frame of up to 8 bytes decodes or is a reason, never throws', () => {
  const anyFrame = fc.record({
    id: fc.integer({ min: 0, max: 0x1fffffff }),
    extended: fc.boolean(),
    data: fc.uint8Array({ minLength: 0, maxLength: 8 }),
  });
  it('responses', () => {
    fc.assert(
      fc.property(anyFrame, (f) => {
        const d = decodeResponseFrame(f);
        if (d.ok) expect(d.value.source).toBeLessThanOrEqual(1023);
        else expect(d.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 5000 },
    );
  });
  it('requests', () => {
    fc.assert(
      fc.property(anyFrame, (f) => {
        const d = decodeRequestFrame(f);
        expect(typeof d.ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });
  it('every 8-byte payload on every service id', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (svc, err, data) => {
          const id = encodeIdentifier({ destination: 0, source: 101, service: svc, error: err });
          const d = decodeResponseFrame({ id, extended: true, data });
          expect(d.ok).toBe(false); // no Studer public frame is 8 bytes long
        },
      ),
    );
  });
});

describe('enums', () => {
  it('names known values and calls the rest unknown', () => {
    expect(enumName(OPERATING_STATES, 1)).toBe('inverter');
    expect(enumName(OPERATING_STATES, 9)).toBe('unknown');
    expect(enumName(OPERATING_STATES, 1.5)).toBe('unknown');
  });
});
