import { DecodeError } from '@sps/core';
import { appendCrc, hasValidCrc } from './crc.js';

/**
 * Modbus-RTU frames as Bluetti tunnels them over GATT: `[slave=1][FC][data…][CRC lo][CRC hi]`,
 * no MBAP header (device-protocols.md §1.1). Pure functions; decoders throw only DecodeError.
 */
export const BLUETTI_SLAVE_ID = 0x01;
export const FC_READ_HOLDING = 0x03;
export const FC_WRITE_SINGLE = 0x06;
export const FC_WRITE_MULTIPLE = 0x10;

/** Modbus limits a read to 125 registers and a multiple write to 123. */
export const MAX_READ_COUNT = 125;
export const MAX_WRITE_COUNT = 123;

export type ModbusRequest =
  | { readonly fc: typeof FC_READ_HOLDING; readonly start: number; readonly count: number }
  | { readonly fc: typeof FC_WRITE_SINGLE; readonly address: number; readonly value: number }
  | { readonly fc: typeof FC_WRITE_MULTIPLE; readonly address: number; readonly values: readonly number[] };

export type ModbusResponse =
  | { readonly kind: 'registers'; readonly values: readonly number[] }
  | { readonly kind: 'written' }
  | { readonly kind: 'exception'; readonly code: number };

export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
};

function u16Check(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${what} must be an integer 0..65535, got ${value}`);
  }
  return value;
}

/** Human description of a request, used in error messages. */
export function describeRequest(request: ModbusRequest): string {
  switch (request.fc) {
    case FC_READ_HOLDING:
      return `reading registers ${request.start}..${request.start + request.count - 1}`;
    case FC_WRITE_SINGLE:
      return `writing register ${request.address}←${request.value}`;
    case FC_WRITE_MULTIPLE:
      return `writing registers ${request.address}..${request.address + request.values.length - 1}`;
  }
}

export function encodeRequest(request: ModbusRequest): Uint8Array {
  switch (request.fc) {
    case FC_READ_HOLDING: {
      u16Check(request.start, 'start');
      if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_READ_COUNT) {
        throw new RangeError(`count must be 1..${MAX_READ_COUNT}, got ${request.count}`);
      }
      return appendCrc(bytes(BLUETTI_SLAVE_ID, FC_READ_HOLDING, ...be16(request.start), ...be16(request.count)));
    }
    case FC_WRITE_SINGLE:
      u16Check(request.address, 'address');
      u16Check(request.value, 'value');
      return appendCrc(bytes(BLUETTI_SLAVE_ID, FC_WRITE_SINGLE, ...be16(request.address), ...be16(request.value)));
    case FC_WRITE_MULTIPLE: {
      u16Check(request.address, 'address');
      const n = request.values.length;
      if (n < 1 || n > MAX_WRITE_COUNT) throw new RangeError(`a multiple write takes 1..${MAX_WRITE_COUNT} registers`);
      const words = request.values.flatMap((v, i) => be16(u16Check(v, `values[${i}]`)));
      return appendCrc(
        bytes(BLUETTI_SLAVE_ID, FC_WRITE_MULTIPLE, ...be16(request.address), ...be16(n), n * 2, ...words),
      );
    }
  }
}

/**
 * How long the answer to `request` will be, judging from the bytes received so far; null while
 * too few bytes are in. An exception answer is 5 bytes, a read `5 + byte count`, a write echo 8.
 * A header that cannot belong to this request gives the length received, so the caller stops
 * waiting and the decoder says what was wrong.
 */
export function expectedResponseLength(request: ModbusRequest, received: Uint8Array): number | null {
  if (received.length < 2) return null;
  if (received[0] !== BLUETTI_SLAVE_ID) return received.length;
  const fc = received[1] as number;
  if (fc === (request.fc | 0x80)) return 5;
  if (fc !== request.fc) return received.length;
  if (request.fc !== FC_READ_HOLDING) return 8;
  // Trust the byte count the station announces, so a wrong count is reported as such, not as a timeout.
  return received.length < 3 ? null : 5 + (received[2] as number);
}

/** Decode the answer to `request`. Throws DecodeError for anything that is not a valid answer to it. */
export function decodeResponse(request: ModbusRequest, frame: Uint8Array): ModbusResponse {
  const what = describeRequest(request);
  if (frame.length < 5) throw new DecodeError(`answer ${what} is ${frame.length} bytes, too short for a frame`);
  if (!hasValidCrc(frame)) throw new DecodeError(`CRC mismatch in the ${frame.length}-byte answer ${what}`);
  if (frame[0] !== BLUETTI_SLAVE_ID) throw new DecodeError(`answer ${what} comes from slave ${frame[0]}, expected 1`);
  const fc = frame[1] as number;
  if (fc === (request.fc | 0x80)) {
    if (frame.length !== 5) throw new DecodeError(`exception answer ${what} is ${frame.length} bytes, expected 5`);
    return { kind: 'exception', code: frame[2] as number };
  }
  if (fc !== request.fc) throw new DecodeError(`answer ${what} has function code ${fc}, expected ${request.fc}`);
  switch (request.fc) {
    case FC_READ_HOLDING: {
      const byteCount = frame[2] as number;
      if (byteCount !== request.count * 2) {
        throw new DecodeError(`answer ${what} carries ${byteCount} bytes, expected ${request.count * 2}`);
      }
      if (frame.length !== 5 + byteCount) {
        throw new DecodeError(`answer ${what} is ${frame.length} bytes, expected ${5 + byteCount}`);
      }
      const values: number[] = [];
      for (let i = 0; i < request.count; i++)
        values.push(((frame[3 + 2 * i] as number) << 8) | (frame[4 + 2 * i] as number));
      return { kind: 'registers', values };
    }
    case FC_WRITE_SINGLE:
    case FC_WRITE_MULTIPLE: {
      if (frame.length !== 8) throw new DecodeError(`write echo ${what} is ${frame.length} bytes, expected 8`);
      const address = readBe16(frame, 2);
      const second = readBe16(frame, 4);
      const expectedSecond = request.fc === FC_WRITE_SINGLE ? request.value : request.values.length;
      if (address !== request.address || second !== expectedSecond) {
        throw new DecodeError(`write echo ${what} does not match (echoed ${address}/${second})`);
      }
      return { kind: 'written' };
    }
  }
}

/** Decode a request (the simulator's side). Throws DecodeError for a frame it cannot trust. */
export function decodeRequest(frame: Uint8Array): ModbusRequest {
  if (frame.length < 8) throw new DecodeError(`request is ${frame.length} bytes, too short`);
  if (!hasValidCrc(frame)) throw new DecodeError('request CRC mismatch');
  if (frame[0] !== BLUETTI_SLAVE_ID) throw new DecodeError(`request for slave ${frame[0]}`);
  const fc = frame[1] as number;
  const first = readBe16(frame, 2);
  const second = readBe16(frame, 4);
  switch (fc) {
    case FC_READ_HOLDING:
      if (frame.length !== 8) throw new DecodeError(`read request is ${frame.length} bytes, expected 8`);
      return { fc, start: first, count: second };
    case FC_WRITE_SINGLE:
      if (frame.length !== 8) throw new DecodeError(`write request is ${frame.length} bytes, expected 8`);
      return { fc, address: first, value: second };
    case FC_WRITE_MULTIPLE: {
      const byteCount = frame[6] as number;
      if (second < 1 || byteCount !== second * 2 || frame.length !== 9 + byteCount) {
        throw new DecodeError('multiple-write request length does not match its count');
      }
      const values: number[] = [];
      for (let i = 0; i < second; i++) values.push(readBe16(frame, 7 + 2 * i));
      return { fc, address: first, values };
    }
    default:
      throw new DecodeError(`unknown function code ${fc}`);
  }
}

/** The simulator's answers. */
export function encodeReadResponse(values: readonly number[]): Uint8Array {
  return appendCrc(bytes(BLUETTI_SLAVE_ID, FC_READ_HOLDING, values.length * 2, ...values.flatMap((v) => be16(v))));
}

export function encodeWriteEcho(request: Exclude<ModbusRequest, { fc: typeof FC_READ_HOLDING }>): Uint8Array {
  const second = request.fc === FC_WRITE_SINGLE ? request.value : request.values.length;
  return appendCrc(bytes(BLUETTI_SLAVE_ID, request.fc, ...be16(request.address), ...be16(second)));
}

export function encodeException(fc: number, code: number): Uint8Array {
  return appendCrc(bytes(BLUETTI_SLAVE_ID, (fc | 0x80) & 0xff, code & 0xff));
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function be16(value: number): [number, number] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

function readBe16(frame: Uint8Array, offset: number): number {
  return ((frame[offset] as number) << 8) | (frame[offset + 1] as number);
}
