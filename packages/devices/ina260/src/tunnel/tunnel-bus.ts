import { createConnection, type Socket } from 'node:net';
import { DeviceError } from '@sps/core';
import { I2cTransferError, type I2cBus } from '../bus/i2c-bus.js';
import {
  decodeError,
  encodeRead,
  encodeWrite,
  I2cFrameReader,
  I2cFrameType,
  SERVER_FRAMES,
  type I2cFrame,
} from './frames.js';

export interface TunnelBusOptions {
  readonly host: string;
  readonly port: number;
  /** Longest wait for one transfer, connecting included, ms. */
  readonly timeoutMs: number;
}

interface Pending {
  readonly expects: typeof I2cFrameType.DATA | typeof I2cFrameType.ACK;
  readonly count: number;
  readonly resolve: (frame: I2cFrame) => void;
  readonly reject: (err: Error) => void;
}

/**
 * An `I2cBus` over the loopback I2C tunnel (frames.ts) to `sps simulate ina260`: a test/demo
 * tool. It connects on the first transfer and again after the link drops, so an adapter whose
 * simulator went away recovers when it is back. Every failure is a DeviceError (refused, lost,
 * timeout, bad_response for a malformed reply) or an I2cTransferError with the errno the
 * simulated bus reported, which `i2cError()` maps like a real bus's.
 */
export class TunnelI2cBus implements I2cBus {
  readonly name: string;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 0;
  private closed = false;

  constructor(private readonly options: TunnelBusOptions) {
    this.name = `tcp-sim ${options.host}:${options.port}`;
  }

  async readRegister(address: number, register: number, length: number): Promise<Uint8Array> {
    const frame = await this.request(I2cFrameType.DATA, length, (seq) =>
      encodeRead(seq, { address, register, count: length }),
    );
    return frame.payload;
  }

  async writeRegister(address: number, register: number, data: Uint8Array): Promise<void> {
    await this.request(I2cFrameType.ACK, 0, (seq) => encodeWrite(seq, { address, register, data }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop(new DeviceError('not_connected', `${this.name} was closed`));
  }

  private async request(
    expects: Pending['expects'],
    count: number,
    encode: (seq: number) => Uint8Array,
  ): Promise<I2cFrame> {
    if (this.closed) throw new DeviceError('not_connected', `${this.name} was closed`);
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    // Encode first: a request the tunnel cannot carry is the caller's mistake, not the link's.
    const frame = encode(seq);
    const { timeoutMs } = this.options;
    return new Promise<I2cFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new DeviceError('timeout', `${this.name}: no answer within ${timeoutMs} ms`));
        // A reply may still be on its way; a fresh connection cannot confuse it with the next one.
        this.drop(new DeviceError('connection_lost', `${this.name}: dropped after a timeout`));
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T): void => {
          clearTimeout(timer);
          this.pending.delete(seq);
          fn(value);
        };
      this.pending.set(seq, { expects, count, resolve: settle(resolve), reject: settle(reject) });
      this.connected().then(
        (socket) => {
          if (this.pending.has(seq)) socket.write(frame);
        },
        (err: unknown) => this.pending.get(seq)?.reject(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  private connected(): Promise<Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private open(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = createConnection({ host: this.options.host, port: this.options.port });
      socket.setNoDelay(true);
      const reader = new I2cFrameReader(SERVER_FRAMES);
      let up = false;
      socket.once('connect', () => {
        up = true;
        if (this.closed) {
          socket.destroy();
          reject(new DeviceError('not_connected', `${this.name} was closed`));
          return;
        }
        this.socket = socket;
        resolve(socket);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!up) reject(new DeviceError('connection_refused', `${this.name}: ${err.code ?? err.message}`));
      });
      socket.on('close', () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.failAll(
          reader.partial
            ? new DeviceError('bad_response', `${this.name} closed the connection in the middle of a frame`)
            : new DeviceError('connection_lost', `${this.name} closed the connection`),
        );
      });
      socket.on('data', (data: Buffer) => {
        let frames: I2cFrame[];
        try {
          frames = reader.push(data);
        } catch (err) {
          this.malformed(socket, err instanceof Error ? err.message : String(err));
          return;
        }
        for (const frame of frames) {
          if (!this.answer(frame)) {
            this.malformed(socket, `a reply to no request (seq ${frame.seq}) or of the wrong kind`);
            return;
          }
        }
      });
    });
  }

  /** Settles the request a reply belongs to; false when it belongs to none or does not fit. */
  private answer(frame: I2cFrame): boolean {
    const request = this.pending.get(frame.seq);
    if (request === undefined) return false;
    if (frame.type === I2cFrameType.ERROR) {
      let error;
      try {
        error = decodeError(frame);
      } catch (err) {
        request.reject(this.badResponse(err instanceof Error ? err.message : String(err)));
        return true;
      }
      request.reject(new I2cTransferError(error.code, `${this.name}: ${error.message}`));
      return true;
    }
    if (frame.type !== request.expects) return false;
    if (frame.type === I2cFrameType.DATA && frame.payload.length > request.count) {
      request.reject(this.badResponse(`${frame.payload.length} bytes for a read of ${request.count}`));
      return true;
    }
    request.resolve(frame);
    return true;
  }

  private malformed(socket: Socket, detail: string): void {
    if (this.socket === socket) this.socket = null;
    socket.destroy();
    this.failAll(this.badResponse(detail));
  }

  private badResponse(detail: string): DeviceError {
    return new DeviceError('bad_response', `${this.name} sent a malformed frame (${detail})`);
  }

  private failAll(err: Error): void {
    for (const request of [...this.pending.values()]) request.reject(err);
  }

  private drop(err: Error): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    this.failAll(err);
  }
}
