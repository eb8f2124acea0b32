import { hex8 } from '../codec/word.js';
import { I2cTransferError, type I2cBus } from './i2c-bus.js';

/** A chip on the in-memory bus; it sees exactly the bytes the hardware would. */
export interface I2cPeripheral {
  readRegister(register: number, length: number): Uint8Array;
  writeRegister(register: number, data: Uint8Array): void;
}

/**
 * What can go wrong on a real bus:
 * - `nack`: no acknowledge (ENXIO), as if the chip were unplugged;
 * - `bus_error`: EIO mid-transfer (noise, a loose wire);
 * - `timeout`: the kernel gives up on a stretched clock (ETIMEDOUT);
 * - `hang`: the transfer never completes (the client's own timeout must catch it);
 * - `flip`: the read arrives with bits flipped (I2C has no checksum), XOR `mask` on the word;
 * - `short`: fewer bytes than asked for.
 */
export type I2cFault =
  | { readonly kind: 'nack' | 'bus_error' | 'timeout' | 'hang' | 'short' }
  | { readonly kind: 'flip'; readonly mask: number };

interface ActiveFault {
  readonly fault: I2cFault;
  remaining: number;
  readonly register: number | undefined;
}

/** An I2C bus in memory: the tests' and the demo's transport. Absent addresses NACK, like hardware. */
export class MemoryI2cBus implements I2cBus {
  private readonly peripherals = new Map<number, I2cPeripheral>();
  private faults: ActiveFault[] = [];
  /** Transfers attempted, for tests that count bus traffic. */
  transfers = 0;
  writes = 0;

  constructor(readonly name = 'memory') {}

  attach(address: number, peripheral: I2cPeripheral): this {
    this.peripherals.set(address, peripheral);
    return this;
  }

  detach(address: number): void {
    this.peripherals.delete(address);
  }

  /** The next `times` transfers (all by default, until cleared) fail this way; `register` narrows it. */
  injectFault(fault: I2cFault, options: { times?: number; register?: number } = {}): void {
    this.faults.push({ fault, remaining: options.times ?? Number.POSITIVE_INFINITY, register: options.register });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async readRegister(address: number, register: number, length: number): Promise<Uint8Array> {
    const fault = this.transfer(register);
    const peripheral = this.target(address, fault);
    if (fault?.kind === 'hang') return new Promise<Uint8Array>(() => undefined);
    const data = peripheral.readRegister(register, length);
    if (fault?.kind === 'short') return data.slice(0, Math.max(0, length - 1));
    if (fault?.kind === 'flip' && data.length >= 2) {
      const out = Uint8Array.from(data);
      out[0] = (out[0] as number) ^ ((fault.mask >> 8) & 0xff);
      out[1] = (out[1] as number) ^ (fault.mask & 0xff);
      return out;
    }
    return data;
  }

  async writeRegister(address: number, register: number, data: Uint8Array): Promise<void> {
    const fault = this.transfer(register);
    const peripheral = this.target(address, fault);
    if (fault?.kind === 'hang') return new Promise<void>(() => undefined);
    this.writes++;
    peripheral.writeRegister(register, Uint8Array.from(data));
  }

  /** Nothing to release: the chips live as long as the bus object, across reconnects. */
  async close(): Promise<void> {}

  private transfer(register: number): I2cFault | undefined {
    this.transfers++;
    const active = this.faults.find((f) => f.remaining > 0 && (f.register === undefined || f.register === register));
    if (!active) return undefined;
    active.remaining--;
    return active.fault;
  }

  private target(address: number, fault: I2cFault | undefined): I2cPeripheral {
    const peripheral = this.peripherals.get(address);
    if (peripheral === undefined || fault?.kind === 'nack') {
      throw new I2cTransferError('ENXIO', `no acknowledge from ${hex8(address)} on ${this.name}`);
    }
    if (fault?.kind === 'bus_error') throw new I2cTransferError('EIO', 'Input/output error');
    if (fault?.kind === 'timeout') throw new I2cTransferError('ETIMEDOUT', 'Connection timed out');
    return peripheral;
  }
}
