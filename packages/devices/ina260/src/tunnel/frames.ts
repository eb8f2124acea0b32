import { DecodeError } from '@sps/core';
import { z } from 'zod';

/**
 * The loopback "I2C tunnel": a test/demo tool that lets `sps simulate ina260` keep simulated
 * chips in another process. It is not an INA260 protocol; it carries exactly what an I2C bus
 * carries, one request and one reply per transfer. Every frame is
 *
 *   [type u8][seq u16 BE][length u16 BE][payload: length bytes]
 *
 * `seq` is chosen by the client and echoed in the reply, so a reply is matched to its request.
 *
 *  type  name   direction       payload
 *  1     READ   client→server   [address u8 (0-127)][register u8][count u8 (1-32)]
 *  2     WRITE  client→server   [address u8 (0-127)][register u8][data: 0-32 bytes]
 *  3     DATA   server→client   the bytes read (at most the count asked for; fewer = a short read)
 *  4     ACK    server→client   empty: the write was acknowledged
 *  5     ERROR  server→client   ASCII "<errno> <message>", e.g. "ENXIO no acknowledge from 0x41": the
 *                               errno the Linux i2c-dev driver would give, so every bus maps it alike
 *
 * 32 bytes is the SMBus "I2C block" limit the Linux bus has too. A length beyond what the type
 * allows, an unknown type or a bad payload is a DecodeError: a byte stream cannot be resynchronised,
 * so the connection is dropped.
 */
export const I2cFrameType = { READ: 1, WRITE: 2, DATA: 3, ACK: 4, ERROR: 5 } as const;
export type I2cFrameType = (typeof I2cFrameType)[keyof typeof I2cFrameType];

export const FRAME_HEADER_BYTES = 5;
/** SMBus I2C block transfers carry at most 32 data bytes. */
export const MAX_TRANSFER_BYTES = 32;
export const MAX_ERROR_BYTES = 255;

const NAMES: Record<I2cFrameType, string> = { 1: 'READ', 2: 'WRITE', 3: 'DATA', 4: 'ACK', 5: 'ERROR' };

/** Payload length allowed per type: [min, max]. */
const PAYLOAD_BOUNDS: Record<I2cFrameType, readonly [number, number]> = {
  [I2cFrameType.READ]: [3, 3],
  [I2cFrameType.WRITE]: [2, 2 + MAX_TRANSFER_BYTES],
  [I2cFrameType.DATA]: [0, MAX_TRANSFER_BYTES],
  [I2cFrameType.ACK]: [0, 0],
  [I2cFrameType.ERROR]: [1, MAX_ERROR_BYTES],
};

export interface I2cFrame {
  readonly type: I2cFrameType;
  readonly seq: number;
  readonly payload: Uint8Array;
}

export interface ReadRequest {
  readonly address: number;
  readonly register: number;
  readonly count: number;
}

export interface WriteRequest {
  readonly address: number;
  readonly register: number;
  readonly data: Uint8Array;
}

/** An errno name, a space, a message on one line. */
const errorText = z.string().regex(/^E[A-Z0-9]{1,15}(?: [^\r\n]*)?$/, { error: 'expected "<errno> <message>"' });

export interface TunnelError {
  readonly code: string;
  readonly message: string;
}

function isFrameType(value: number): value is I2cFrameType {
  return value >= I2cFrameType.READ && value <= I2cFrameType.ERROR;
}

export function encodeFrame(type: I2cFrameType, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const [min, max] = PAYLOAD_BOUNDS[type];
  if (payload.length < min || payload.length > max) {
    throw new RangeError(`${NAMES[type]} payload of ${payload.length} bytes (allowed ${min}-${max})`);
  }
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new RangeError(`frame seq ${seq} is not a u16`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = type;
  out[1] = seq >>> 8;
  out[2] = seq & 0xff;
  out[3] = payload.length >>> 8;
  out[4] = payload.length & 0xff;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function encodeRead(seq: number, request: ReadRequest): Uint8Array {
  checkTransfer(request.address, request.register);
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_TRANSFER_BYTES) {
    throw new RangeError(`a read of ${request.count} bytes (1-${MAX_TRANSFER_BYTES})`);
  }
  return encodeFrame(I2cFrameType.READ, seq, Uint8Array.of(request.address, request.register, request.count));
}

export function encodeWrite(seq: number, request: WriteRequest): Uint8Array {
  checkTransfer(request.address, request.register);
  if (request.data.length > MAX_TRANSFER_BYTES) {
    throw new RangeError(`a write of ${request.data.length} bytes (at most ${MAX_TRANSFER_BYTES})`);
  }
  const payload = new Uint8Array(2 + request.data.length);
  payload[0] = request.address;
  payload[1] = request.register;
  payload.set(request.data, 2);
  return encodeFrame(I2cFrameType.WRITE, seq, payload);
}

export function encodeError(seq: number, error: TunnelError): Uint8Array {
  const code = /^E[A-Z0-9]{1,15}$/.test(error.code) ? error.code : 'EIO';
  const message = error.message.replace(/[\r\n]+/g, ' ');
  let bytes = Buffer.from(`${code} ${message}`, 'utf8');
  // Cut at a character boundary: the receiver checks the text is valid UTF-8.
  while (bytes.length > MAX_ERROR_BYTES) bytes = Buffer.from(bytes.toString('utf8', 0, bytes.length - 4), 'utf8');
  return encodeFrame(I2cFrameType.ERROR, seq, bytes);
}

function checkTransfer(address: number, register: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0x7f) {
    throw new RangeError(`I2C address ${address} is not a 7-bit address`);
  }
  if (!Number.isInteger(register) || register < 0 || register > 0xff) {
    throw new RangeError(`register ${register} is not a byte`);
  }
}

export function decodeRead(frame: I2cFrame): ReadRequest {
  const address = frame.payload[0] as number;
  const register = frame.payload[1] as number;
  const count = frame.payload[2] as number;
  if (address > 0x7f) throw new DecodeError(`READ address ${address} is not a 7-bit address`);
  if (count < 1 || count > MAX_TRANSFER_BYTES) throw new DecodeError(`READ of ${count} bytes`);
  return { address, register, count };
}

export function decodeWrite(frame: I2cFrame): WriteRequest {
  const address = frame.payload[0] as number;
  if (address > 0x7f) throw new DecodeError(`WRITE address ${address} is not a 7-bit address`);
  return { address, register: frame.payload[1] as number, data: frame.payload.slice(2) };
}

export function decodeError(frame: I2cFrame): TunnelError {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(frame.payload);
  } catch {
    throw new DecodeError('ERROR frame is not UTF-8 text');
  }
  const parsed = errorText.safeParse(text);
  if (!parsed.success) throw new DecodeError(`ERROR frame: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const space = text.indexOf(' ');
  return space < 0
    ? { code: text, message: text }
    : { code: text.slice(0, space), message: text.slice(space + 1) || text.slice(0, space) };
}

/**
 * Splits a TCP byte stream into frames of the types one side accepts. Throws DecodeError as
 * soon as a header is wrong (unknown or unexpected type, a length the type does not allow), so a
 * garbled or oversized frame is refused at once instead of waiting for bytes that never come.
 */
export class I2cFrameReader {
  private buffer = new Uint8Array(0);

  constructor(private readonly accepts: ReadonlySet<I2cFrameType>) {}

  /** Bytes of an unfinished frame are waiting (the peer closing now truncated it). */
  get partial(): boolean {
    return this.buffer.length > 0;
  }

  push(bytes: Uint8Array): I2cFrame[] {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    const frames: I2cFrame[] = [];
    let offset = 0;
    while (joined.length - offset >= 1) {
      const type = joined[offset] as number;
      if (!isFrameType(type) || !this.accepts.has(type)) throw new DecodeError(`unexpected frame type ${type}`);
      if (joined.length - offset < FRAME_HEADER_BYTES) break;
      const seq = ((joined[offset + 1] as number) << 8) | (joined[offset + 2] as number);
      const length = ((joined[offset + 3] as number) << 8) | (joined[offset + 4] as number);
      const [min, max] = PAYLOAD_BOUNDS[type];
      if (length < min || length > max) {
        throw new DecodeError(`${NAMES[type]} frame of ${length} bytes (allowed ${min}-${max})`);
      }
      if (joined.length - offset < FRAME_HEADER_BYTES + length) break;
      const start = offset + FRAME_HEADER_BYTES;
      frames.push({ type, seq, payload: joined.slice(start, start + length) });
      offset = start + length;
    }
    this.buffer = joined.slice(offset);
    return frames;
  }
}

export const CLIENT_FRAMES: ReadonlySet<I2cFrameType> = new Set([I2cFrameType.READ, I2cFrameType.WRITE]);
export const SERVER_FRAMES: ReadonlySet<I2cFrameType> = new Set([
  I2cFrameType.DATA,
  I2cFrameType.ACK,
  I2cFrameType.ERROR,
]);
