import { expectedResponseLength, type ModbusRequest } from './modbus-frames.js';
import { looksLikeAtCommand, looksLikeHandshake } from './handshake.js';

export type AssemblyResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly frame: Uint8Array }
  /** Not a Modbus answer at all: the encryption handshake, or the BLE module's AT command mode. */
  | { readonly status: 'foreign'; readonly kind: 'encryption_handshake' | 'at_command'; readonly bytes: Uint8Array };

/** Longest frame we ever wait for: a 125-register read answer. */
const MAX_FRAME = 5 + 2 * 125;

/**
 * Joins the notifications that carry one answer. With the default ATT MTU a 40-register
 * answer (85 bytes) arrives as five notifications; the length is known once two bytes are in
 * (device-protocols.md §1.1). Bytes beyond the expected length are dropped.
 */
export class ResponseAssembler {
  private buffer = new Uint8Array(0);

  constructor(readonly request: ModbusRequest) {}

  get received(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): AssemblyResult {
    if (this.buffer.length === 0) {
      if (looksLikeHandshake(chunk)) return { status: 'foreign', kind: 'encryption_handshake', bytes: chunk };
      if (looksLikeAtCommand(chunk)) return { status: 'foreign', kind: 'at_command', bytes: chunk };
    }
    const joined = new Uint8Array(Math.min(this.buffer.length + chunk.length, MAX_FRAME + chunk.length));
    joined.set(this.buffer);
    joined.set(chunk.subarray(0, joined.length - this.buffer.length), this.buffer.length);
    this.buffer = joined;
    const expected = expectedResponseLength(this.request, this.buffer);
    if (expected === null) return { status: 'incomplete' };
    const limit = Math.min(expected, MAX_FRAME);
    if (this.buffer.length < limit) return { status: 'incomplete' };
    const frame = this.buffer.slice(0, limit);
    this.buffer = new Uint8Array(0);
    return { status: 'complete', frame };
  }

  reset(): void {
    this.buffer = new Uint8Array(0);
  }
}
