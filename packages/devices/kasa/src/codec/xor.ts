import { DecodeError } from '@sps/core';

/**
 * The legacy Kasa "autokey" cipher (device-protocols.md §3.1): the key starts at 171 and
 * every ciphertext byte becomes the key for the next byte. It hides nothing from anyone
 * who knows the rule, but it is what the plugs speak on TCP and UDP 9999.
 */
export const XOR_INITIAL_KEY = 171;

/** The largest frame we accept: a sysinfo answer is ~1 kB; anything near this is garbage or not Kasa. */
export const MAX_XOR_FRAME_BYTES = 256 * 1024;

export function xorEncrypt(plain: Uint8Array): Buffer {
  const out = Buffer.alloc(plain.length);
  let key = XOR_INITIAL_KEY;
  for (let i = 0; i < plain.length; i++) {
    key = (plain[i] as number) ^ key;
    out[i] = key;
  }
  return out;
}

export function xorDecrypt(cipher: Uint8Array): Buffer {
  const out = Buffer.alloc(cipher.length);
  let key = XOR_INITIAL_KEY;
  for (let i = 0; i < cipher.length; i++) {
    const c = cipher[i] as number;
    out[i] = c ^ key;
    key = c;
  }
  return out;
}

/** A TCP frame: 4-byte big-endian length, then the encrypted JSON text. */
export function encodeXorFrame(json: string): Buffer {
  const body = xorEncrypt(Buffer.from(json, 'utf8'));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/**
 * Collects a TCP byte stream into whole frames. `push` returns the decrypted JSON text of
 * every frame completed by this chunk; a length that cannot be a Kasa frame is a DecodeError
 * (an HTTP server answering on the port starts with "HTTP", i.e. 1.2 GB).
 */
export class XorFrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): string[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const frames: string[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_XOR_FRAME_BYTES) {
        const head = this.buffered.subarray(0, 4).toString('latin1');
        throw new DecodeError(
          /^[A-Z]{4}$/.test(head)
            ? `not a Kasa XOR frame (the answer starts with "${head}", like an HTTP server)`
            : `XOR frame length ${length} exceeds ${MAX_XOR_FRAME_BYTES} bytes`,
        );
      }
      if (this.buffered.length < 4 + length) break;
      frames.push(xorDecrypt(this.buffered.subarray(4, 4 + length)).toString('utf8'));
      this.buffered = this.buffered.subarray(4 + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/** One frame from a complete buffer (tests, one-shot use); leftovers or a short buffer are DecodeErrors. */
export function decodeXorFrame(bytes: Uint8Array): string {
  const reader = new XorFrameReader();
  const frames = reader.push(bytes);
  if (frames.length !== 1 || reader.pendingBytes !== 0) {
    throw new DecodeError(
      frames.length === 0
        ? `incomplete XOR frame (${bytes.length} bytes)`
        : `expected one XOR frame, found ${frames.length} and ${reader.pendingBytes} extra bytes`,
    );
  }
  return frames[0] as string;
}
