import { decodeIdentifier, encodeIdentifier, XCOM_SERVICE } from './identifier.js';

/**
 * Payloads of the Studer public protocol on Xcom-CAN: big-endian, values as IEEE-754 FLOAT32.
 *
 *   service 0 read user info   request  [u16 info]                 response [u16 info][f32 value]
 *   service 1 read parameter   request  [u16 param][u8 part]       response [u16 param][u8 part][f32 value]
 *   service 2 write parameter  request  [u16 param][u8 part][f32]  response (echo) [u16 param][u8 part][f32]
 *   service 3 message          (device → all RCCs) [u16 message][u32 value]
 *   error (identifier flag bit 0) on services 0..2: [u16 object][u32 error code]
 *
 * Parameter "parts": 0 the value in flash (a write goes to flash and RAM), 1 its minimum, 2 its
 * maximum, 4 the unsaved value (a write to RAM only; a read of part 4 answers the flash value).
 * Error codes: the table below. Source: Studer Innotec's MIT `xcomcan` package
 * (studer-innotec/xcomcan @ 251cfc58: xcomcan/node.py pack formats and error table,
 * xcomcan/addresses.py parts and addresses), facts only. Lengths are checked exactly: a frame of
 * another length is not one of these and is named as such, never guessed at.
 */

/** A frame as the CAN layer hands it over (structurally the same as @sps/can's CanFrame). */
export interface XcomFrame {
  readonly id: number;
  readonly extended: boolean;
  readonly data: Uint8Array;
}

export const PARAMETER_PART = { flash: 0, min: 1, max: 2, ram: 4 } as const;
export type ParameterPartName = keyof typeof PARAMETER_PART;
const PART_BY_CODE = new Map<number, ParameterPartName>(
  Object.entries(PARAMETER_PART).map(([name, code]) => [code, name as ParameterPartName]),
);

/** The device's error codes (answers with flag bit 0 set), by number. */
export const XCOM_ERROR_CODES: Readonly<Record<number, string>> = {
  0x01: 'INVALID_FRAME',
  0x02: 'DEVICE_NOT_FOUND',
  0x03: 'RESPONSE_TIMEOUT',
  0x12: 'INVALID_SERVICE_ARGUMENT',
  0x13: 'GATEWAY_BUSY',
  0x22: 'OBJECT_ID_NOT_FOUND',
  0x24: 'INVALID_DATA_LENGTH',
  0x25: 'PROPERTY_IS_READ_ONLY',
  0x26: 'INVALID_DATA',
  0x27: 'DATA_TOO_SMALL',
  0x28: 'DATA_TOO_BIG',
  0x29: 'WRITE_PROPERTY_FAILED',
  0x2a: 'READ_PROPERTY_FAILED',
  0x2b: 'ACCESS_DENIED',
  0x2d: 'MULTICAST_READ_NOT_SUPPORTED',
};
export const XCOM_ERROR = {
  invalidFrame: 0x01,
  deviceNotFound: 0x02,
  responseTimeout: 0x03,
  gatewayBusy: 0x13,
  objectNotFound: 0x22,
  readOnly: 0x25,
  dataTooSmall: 0x27,
  dataTooBig: 0x28,
  writeFailed: 0x29,
} as const;

export function xcomErrorName(code: number): string {
  return XCOM_ERROR_CODES[code] ?? `UNKNOWN_0x${code.toString(16)}`;
}

export type XcomRequest =
  | { readonly service: 'read_user_info'; readonly object: number }
  | { readonly service: 'read_parameter'; readonly object: number; readonly part: ParameterPartName }
  | {
      readonly service: 'write_parameter';
      readonly object: number;
      readonly part: ParameterPartName;
      readonly value: number;
    };

export type XcomRequestService = XcomRequest['service'];

export type XcomResponse =
  | { readonly kind: 'value'; readonly service: 'read_user_info'; readonly object: number; readonly value: number }
  | {
      readonly kind: 'value';
      readonly service: 'read_parameter' | 'write_parameter';
      readonly object: number;
      readonly part: ParameterPartName;
      readonly value: number;
    }
  | {
      readonly kind: 'error';
      readonly service: XcomRequestService;
      readonly object: number;
      readonly code: number;
      readonly name: string;
    }
  | { readonly kind: 'message'; readonly message: number; readonly value: number };

/** Who sent it to whom, and what. */
export interface Addressed<T> {
  readonly source: number;
  readonly destination: number;
  readonly body: T;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const SERVICE_IDS: Readonly<Record<XcomRequestService, number>> = {
  read_user_info: XCOM_SERVICE.readUserInfo,
  read_parameter: XCOM_SERVICE.readParameter,
  write_parameter: XCOM_SERVICE.writeParameter,
};
const SERVICE_NAMES: readonly XcomRequestService[] = ['read_user_info', 'read_parameter', 'write_parameter'];

// ---------------------------------------------------------------- encoding

export function encodeRequestFrame(source: number, destination: number, request: XcomRequest): XcomFrame {
  checkObject(request.object);
  const id = encodeIdentifier({ destination, source, service: SERVICE_IDS[request.service] });
  switch (request.service) {
    case 'read_user_info':
      return { id, extended: true, data: bytes(2, (v) => v.setUint16(0, request.object)) };
    case 'read_parameter':
      return {
        id,
        extended: true,
        data: bytes(3, (v) => {
          v.setUint16(0, request.object);
          v.setUint8(2, PARAMETER_PART[request.part]);
        }),
      };
    case 'write_parameter':
      return { id, extended: true, data: valuePayload(request.object, request.part, request.value) };
  }
}

/** The device side (simulator): an answer to `destination`. */
export function encodeResponseFrame(source: number, destination: number, response: XcomResponse): XcomFrame {
  if (response.kind === 'message') {
    const id = encodeIdentifier({ destination, source, service: XCOM_SERVICE.messageNotification });
    return {
      id,
      extended: true,
      data: bytes(6, (v) => {
        v.setUint16(0, response.message);
        v.setUint32(2, response.value);
      }),
    };
  }
  checkObject(response.object);
  const service = SERVICE_IDS[response.service];
  if (response.kind === 'error') {
    const id = encodeIdentifier({ destination, source, service, error: true });
    return {
      id,
      extended: true,
      data: bytes(6, (v) => {
        v.setUint16(0, response.object);
        v.setUint32(2, response.code);
      }),
    };
  }
  const id = encodeIdentifier({ destination, source, service });
  if (response.service === 'read_user_info') {
    return {
      id,
      extended: true,
      data: bytes(6, (v) => {
        v.setUint16(0, response.object);
        v.setFloat32(2, response.value);
      }),
    };
  }
  return { id, extended: true, data: valuePayload(response.object, response.part, response.value) };
}

/** What a value becomes on the wire (FLOAT32): compare against this, not the number asked for. */
export function toFloat32(value: number): number {
  return Math.fround(value);
}

// ---------------------------------------------------------------- decoding (never throws)

/** A device's answer (or message). Any frame gives a value or a reason; nothing throws. */
export function decodeResponseFrame(frame: XcomFrame): Decoded<Addressed<XcomResponse>> {
  if (!frame.extended) return fail('an 11-bit frame is not Studer public protocol (29-bit ids only)');
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > 0x1fffffff)
    return fail(`identifier ${frame.id} out of range`);
  const { destination, source, service, error } = decodeIdentifier(frame.id);
  const data = frame.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const addressed = (body: XcomResponse): Decoded<Addressed<XcomResponse>> => ({
    ok: true,
    value: { source, destination, body },
  });
  if (service === XCOM_SERVICE.messageNotification) {
    if (data.length !== 6) return fail(`message notification of ${data.length} bytes (expected 6)`);
    return addressed({ kind: 'message', message: view.getUint16(0), value: view.getUint32(2) });
  }
  const name = SERVICE_NAMES[service];
  if (name === undefined) return fail(`service ${service} is not a Studer public service`);
  if (error) {
    if (data.length !== 6) return fail(`${name} error answer of ${data.length} bytes (expected 6)`);
    const code = view.getUint32(2);
    return addressed({ kind: 'error', service: name, object: view.getUint16(0), code, name: xcomErrorName(code) });
  }
  if (name === 'read_user_info') {
    if (data.length !== 6) return fail(`read_user_info answer of ${data.length} bytes (expected 6)`);
    const value = view.getFloat32(2);
    if (!Number.isFinite(value)) return fail(`user info ${view.getUint16(0)} is not a finite number`);
    return addressed({ kind: 'value', service: name, object: view.getUint16(0), value });
  }
  if (data.length !== 7) return fail(`${name} answer of ${data.length} bytes (expected 7)`);
  const part = PART_BY_CODE.get(view.getUint8(2));
  if (part === undefined) return fail(`${name} answer names part ${view.getUint8(2)} (known: 0, 1, 2, 4)`);
  const value = view.getFloat32(3);
  if (!Number.isFinite(value)) return fail(`parameter ${view.getUint16(0)} is not a finite number`);
  return addressed({ kind: 'value', service: name, object: view.getUint16(0), part, value });
}

/** A client's request, as the device (the simulator) reads it. Any frame gives a value or a reason. */
export function decodeRequestFrame(frame: XcomFrame): Decoded<Addressed<XcomRequest>> {
  if (!frame.extended) return fail('an 11-bit frame is not Studer public protocol (29-bit ids only)');
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > 0x1fffffff)
    return fail(`identifier ${frame.id} out of range`);
  const { destination, source, service, error } = decodeIdentifier(frame.id);
  const name = SERVICE_NAMES[service];
  if (name === undefined) return fail(`service ${service} is not a request`);
  if (error) return fail('a request never carries the error flag');
  const data = frame.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const addressed = (body: XcomRequest): Decoded<Addressed<XcomRequest>> => ({
    ok: true,
    value: { source, destination, body },
  });
  const expected = name === 'read_user_info' ? 2 : name === 'read_parameter' ? 3 : 7;
  if (data.length !== expected) return fail(`${name} request of ${data.length} bytes (expected ${expected})`);
  const object = view.getUint16(0);
  if (name === 'read_user_info') return addressed({ service: name, object });
  const part = PART_BY_CODE.get(view.getUint8(2));
  if (part === undefined) return fail(`${name} request names part ${view.getUint8(2)} (known: 0, 1, 2, 4)`);
  if (name === 'read_parameter') return addressed({ service: name, object, part });
  const value = view.getFloat32(3);
  if (!Number.isFinite(value)) return fail(`write of parameter ${object}: the value is not a finite number`);
  return addressed({ service: name, object, part, value });
}

// ---------------------------------------------------------------- helpers

function valuePayload(object: number, part: ParameterPartName, value: number): Uint8Array {
  if (!Number.isFinite(value)) throw new RangeError(`value: ${value} is not a finite number`);
  return bytes(7, (v) => {
    v.setUint16(0, object);
    v.setUint8(2, PARAMETER_PART[part]);
    v.setFloat32(3, value);
  });
}

function bytes(length: number, fill: (view: DataView) => void): Uint8Array {
  const data = new Uint8Array(length);
  fill(new DataView(data.buffer));
  return data;
}

function checkObject(object: number): void {
  if (!Number.isInteger(object) || object < 0 || object > 0xffff) {
    throw new RangeError(`object: ${object} is not a user info / parameter number (0..65535)`);
  }
}

function fail<T>(reason: string): Decoded<T> {
  return { ok: false, reason };
}
