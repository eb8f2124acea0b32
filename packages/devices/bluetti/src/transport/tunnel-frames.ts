import { DecodeError } from '@sps/core';
import { z } from 'zod';

/**
 * The loopback "GATT tunnel" — a test/demo tool, not a Bluetti protocol. It carries what a
 * BLE link carries between a central and a simulated station in another process:
 * `[type u8][length u16 BE][payload]`.
 *
 *  HELLO     server→client  JSON {address, name} of the station, sent on accept
 *  SUBSCRIBE client→server  enable notifications on FF01 (empty)
 *  WRITE     client→server  bytes written to FF02
 *  NOTIFY    server→client  one FF01 notification
 *  ERROR     server→client  UTF-8 reason; the server closes the connection after it
 */
export const TunnelFrameType = { HELLO: 1, SUBSCRIBE: 2, WRITE: 3, NOTIFY: 4, ERROR: 5 } as const;
export type TunnelFrameType = (typeof TunnelFrameType)[keyof typeof TunnelFrameType];

/** A BLE write or notification is at most 512 bytes (ATT maximum attribute length). */
export const MAX_TUNNEL_PAYLOAD = 512;

export interface TunnelFrame {
  readonly type: TunnelFrameType;
  readonly payload: Uint8Array;
}

const TYPES = new Set<number>(Object.values(TunnelFrameType));

export const TunnelHello = z.strictObject({
  address: z.string().min(1).max(64),
  name: z.string().max(64),
});
export type TunnelHello = z.infer<typeof TunnelHello>;

export function encodeTunnelFrame(type: TunnelFrameType, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > MAX_TUNNEL_PAYLOAD) throw new RangeError(`tunnel payload over ${MAX_TUNNEL_PAYLOAD} bytes`);
  const out = new Uint8Array(3 + payload.length);
  out[0] = type;
  out[1] = payload.length >>> 8;
  out[2] = payload.length & 0xff;
  out.set(payload, 3);
  return out;
}

export function decodeHello(payload: Uint8Array): TunnelHello {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new DecodeError('tunnel HELLO is not JSON');
  }
  const parsed = TunnelHello.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DecodeError(`tunnel HELLO.${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Splits a TCP byte stream into tunnel frames. An unknown type or an oversized length throws
 * DecodeError: the stream cannot be resynchronised, so the connection must be dropped.
 */
export class TunnelFrameReader {
  private buffer = new Uint8Array(0);

  push(bytes: Uint8Array): TunnelFrame[] {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    const frames: TunnelFrame[] = [];
    let offset = 0;
    while (joined.length - offset >= 3) {
      const type = joined[offset] as number;
      const length = ((joined[offset + 1] as number) << 8) | (joined[offset + 2] as number);
      if (!TYPES.has(type)) throw new DecodeError(`unknown tunnel frame type ${type}`);
      if (length > MAX_TUNNEL_PAYLOAD)
        throw new DecodeError(`tunnel frame of ${length} bytes exceeds ${MAX_TUNNEL_PAYLOAD}`);
      if (joined.length - offset < 3 + length) break;
      frames.push({ type: type as TunnelFrameType, payload: joined.slice(offset + 3, offset + 3 + length) });
      offset += 3 + length;
    }
    this.buffer = joined.slice(offset);
    return frames;
  }
}
