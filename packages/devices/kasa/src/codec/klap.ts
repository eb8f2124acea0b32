import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { DecodeError } from '@sps/core';

/**
 * KLAP, the transport of newer Kasa/Tapo firmware (device-protocols.md §3.1; key derivation
 * checked against python-kasa `kasa/transports/klaptransport.py`, facts only):
 *
 * - auth_hash  v1 = MD5(MD5(user) ‖ MD5(pass))          (IOT devices, "KLAP v1")
 *              v2 = SHA256(SHA1(user) ‖ SHA1(pass))      (SMART devices, "KLAP v2")
 * - handshake1: client sends local_seed (16 B); device answers remote_seed (16 B) ‖ server hash,
 *   server hash v1 = SHA256(local ‖ auth), v2 = SHA256(local ‖ remote ‖ auth)
 * - handshake2: client proves the same auth: v1 SHA256(remote ‖ auth), v2 SHA256(remote ‖ local ‖ auth)
 * - session: key = SHA256("lsk" ‖ local ‖ remote ‖ auth)[0..16]; ivSeed = SHA256("iv" ‖ …);
 *   iv = ivSeed[0..12] ‖ seq (i32 BE), seq starts at ivSeed[28..32] (signed) and is pre-incremented
 *   per request; sig = SHA256("ldk" ‖ …)[0..28]; body = SHA256(sig ‖ seq ‖ ciphertext) ‖ AES-128-CBC(PKCS7).
 *   The answer is encrypted with the same seq.
 */
export type KlapVersion = 1 | 2;

export const KLAP_SEED_BYTES = 16;
const SIGNATURE_BYTES = 32;

const digest = (algorithm: 'md5' | 'sha1' | 'sha256', ...parts: Uint8Array[]): Buffer => {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export function klapAuthHash(version: KlapVersion, username: string, password: string): Buffer {
  const user = Buffer.from(username, 'utf8');
  const pass = Buffer.from(password, 'utf8');
  return version === 1
    ? digest('md5', digest('md5', user), digest('md5', pass))
    : digest('sha256', digest('sha1', user), digest('sha1', pass));
}

export function klapServerHash(version: KlapVersion, local: Uint8Array, remote: Uint8Array, auth: Uint8Array): Buffer {
  return version === 1 ? digest('sha256', local, auth) : digest('sha256', local, remote, auth);
}

export function klapClientHash(version: KlapVersion, local: Uint8Array, remote: Uint8Array, auth: Uint8Array): Buffer {
  return version === 1 ? digest('sha256', remote, auth) : digest('sha256', remote, local, auth);
}

/** Constant-time comparison of two hashes of possibly different length. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** handshake1's answer: remote_seed ‖ 32-byte server hash. */
export function splitHandshake1(body: Uint8Array): { remoteSeed: Buffer; serverHash: Buffer } {
  if (body.length !== KLAP_SEED_BYTES + 32) {
    throw new DecodeError(`handshake1 answer is ${body.length} bytes, expected ${KLAP_SEED_BYTES + 32}`);
  }
  const buf = Buffer.from(body);
  return { remoteSeed: buf.subarray(0, KLAP_SEED_BYTES), serverHash: buf.subarray(KLAP_SEED_BYTES) };
}

const toInt32 = (n: number): number => n | 0;

/** The symmetric state both ends derive after a successful handshake. */
export class KlapCipherSession {
  private readonly key: Buffer;
  private readonly ivPrefix: Buffer;
  private readonly sig: Buffer;
  private seq: number;

  constructor(local: Uint8Array, remote: Uint8Array, auth: Uint8Array) {
    const derive = (label: string): Buffer => digest('sha256', Buffer.from(label, 'latin1'), local, remote, auth);
    this.key = derive('lsk').subarray(0, 16);
    const ivSeed = derive('iv');
    this.ivPrefix = ivSeed.subarray(0, 12);
    this.seq = ivSeed.readInt32BE(28);
    this.sig = derive('ldk').subarray(0, 28);
  }

  /** The last sequence number used (the device expects the next request to use seq + 1). */
  get sequence(): number {
    return this.seq;
  }

  /** Client side: the next request's seq and body. */
  encryptRequest(plain: string): { seq: number; body: Buffer } {
    this.seq = toInt32(this.seq + 1);
    return { seq: this.seq, body: this.seal(plain, this.seq) };
  }

  /** Either side: encrypt `plain` under `seq` and prefix the signature. */
  seal(plain: string, seq: number): Buffer {
    const cipher = createCipheriv('aes-128-cbc', this.key, this.iv(seq));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([this.signature(seq, ciphertext), ciphertext]);
  }

  /**
   * Either side: decrypt a body sealed under `seq`. `verify` checks the signature too (the
   * simulator does, as a device must); the client does not, like the reference client.
   */
  open(body: Uint8Array, seq: number, verify: boolean): string {
    if (body.length < SIGNATURE_BYTES + 16 || (body.length - SIGNATURE_BYTES) % 16 !== 0) {
      throw new DecodeError(`KLAP body of ${body.length} bytes is not a signature plus whole AES blocks`);
    }
    const buf = Buffer.from(body);
    const ciphertext = buf.subarray(SIGNATURE_BYTES);
    if (verify && !sameHash(buf.subarray(0, SIGNATURE_BYTES), this.signature(seq, ciphertext))) {
      throw new DecodeError(`KLAP signature does not match for seq ${seq}`);
    }
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.key, this.iv(seq));
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new DecodeError(`KLAP body does not decrypt under seq ${seq} (${(err as Error).message})`);
    }
  }

  private iv(seq: number): Buffer {
    const tail = Buffer.alloc(4);
    tail.writeInt32BE(toInt32(seq), 0);
    return Buffer.concat([this.ivPrefix, tail]);
  }

  private signature(seq: number, ciphertext: Uint8Array): Buffer {
    const seqBytes = Buffer.alloc(4);
    seqBytes.writeInt32BE(toInt32(seq), 0);
    return digest('sha256', this.sig, seqBytes, ciphertext);
  }
}
