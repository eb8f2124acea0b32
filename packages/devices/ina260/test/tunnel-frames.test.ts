import fc from 'fast-check';
import { DecodeError } from '@sps/core';
import {
  CLIENT_FRAMES,
  decodeError,
  decodeRead,
  decodeWrite,
  encodeError,
  encodeFrame,
  encodeRead,
  encodeWrite,
  I2cFrameReader,
  I2cFrameType,
  SERVER_FRAMES,
} from '@sps/device-ina260';

describe('I2C tunnel frames', () => {
  it('lays out READ as [type][seq BE][length BE][address][register][count]', () => {
    expect(Array.from(encodeRead(0x1234, { address: 0x40, register: 0xfe, count: 2 }))).toEqual([
      1, 0x12, 0x34, 0, 3, 0x40, 0xfe, 2,
    ]);
    expect(Array.from(encodeWrite(7, { address: 0x41, register: 0, data: Uint8Array.of(0x61, 0x27) }))).toEqual([
      2, 0, 7, 0, 4, 0x41, 0, 0x61, 0x27,
    ]);
  });

  it('round-trips requests and errors through a stream split anywhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0x7f }),
        fc.integer({ min: 0, max: 0xff }),
        fc.uint8Array({ maxLength: 32 }),
        fc.integer({ min: 1, max: 40 }),
        (seq, address, register, data, cut) => {
          const stream = Buffer.concat([
            encodeRead(seq, { address, register, count: Math.max(1, data.length) }),
            encodeWrite(seq, { address, register, data }),
          ]);
          const reader = new I2cFrameReader(CLIENT_FRAMES);
          const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
          expect(frames).toHaveLength(2);
          expect(decodeRead(frames[0]!)).toEqual({ address, register, count: Math.max(1, data.length) });
          expect(decodeWrite(frames[1]!)).toEqual({ address, register, data });
          expect(reader.partial).toBe(false);
        },
      ),
    );
    const reader = new I2cFrameReader(SERVER_FRAMES);
    const [frame] = reader.push(encodeError(3, { code: 'ENXIO', message: 'no acknowledge\nfrom 0x41' }));
    expect(decodeError(frame!)).toEqual({ code: 'ENXIO', message: 'no acknowledge from 0x41' });
    // Over-long messages are cut to fit the frame.
    const [long] = reader.push(encodeError(4, { code: 'EIO', message: 'é'.repeat(400) }));
    expect(long!.payload.length).toBeLessThanOrEqual(255);
    expect(decodeError(long!).code).toBe('EIO');
  });

  it.each([
    ['an unknown type', [9, 0, 0, 0, 0]],
    ['a request type where replies are expected', [1, 0, 0, 0, 3, 0x40, 0, 2]],
    ['an oversized DATA frame', [3, 0, 0, 0xff, 0xff]],
    ['DATA longer than 32 bytes', [3, 0, 0, 0, 33]],
    ['an ACK with a payload', [4, 0, 0, 0, 1, 0]],
    ['an empty ERROR', [5, 0, 0, 0, 0]],
  ])('refuses %s from the header alone', (_what, bytes) => {
    expect(() => new I2cFrameReader(SERVER_FRAMES).push(Uint8Array.from(bytes))).toThrow(DecodeError);
  });

  it('refuses bad request payloads and error texts', () => {
    const reader = new I2cFrameReader(CLIENT_FRAMES);
    const [badAddress] = reader.push(Uint8Array.of(1, 0, 0, 0, 3, 0x80, 0, 2));
    expect(() => decodeRead(badAddress!)).toThrow(/7-bit/);
    const [badCount] = reader.push(Uint8Array.of(1, 0, 0, 0, 3, 0x40, 0, 0));
    expect(() => decodeRead(badCount!)).toThrow(/READ of 0 bytes/);
    const server = new I2cFrameReader(SERVER_FRAMES);
    const [notErrno] = server.push(encodeFrame(I2cFrameType.ERROR, 1, Buffer.from('broken')));
    expect(() => decodeError(notErrno!)).toThrow(/ERROR frame/);
    const [notUtf8] = server.push(encodeFrame(I2cFrameType.ERROR, 1, Uint8Array.of(0x45, 0xff)));
    expect(() => decodeError(notUtf8!)).toThrow(/UTF-8/);
  });

  it('will not encode what the bus cannot carry', () => {
    expect(() => encodeRead(0, { address: 0x80, register: 0, count: 2 })).toThrow(RangeError);
    expect(() => encodeRead(0, { address: 0x40, register: 0, count: 33 })).toThrow(RangeError);
    expect(() => encodeWrite(0, { address: 0x40, register: 256, data: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeWrite(0, { address: 0x40, register: 0, data: new Uint8Array(33) })).toThrow(RangeError);
    expect(() => encodeFrame(I2cFrameType.ACK, 0x10000)).toThrow(RangeError);
  });
});
