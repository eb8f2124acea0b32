import { createServer, type Server, type Socket } from 'node:net';
import { listenOn } from '@sps/core';
import type { I2cBus } from '../bus/i2c-bus.js';
import {
  CLIENT_FRAMES,
  decodeRead,
  decodeWrite,
  encodeError,
  encodeFrame,
  I2cFrameReader,
  I2cFrameType,
  type I2cFrame,
  type ReadRequest,
  type WriteRequest,
} from './frames.js';

/**
 * Serves an `I2cBus` (in practice a MemoryI2cBus with simulated chips) over the loopback I2C
 * tunnel (frames.ts). Each connection's transfers run one after another, as on a real bus; a
 * transfer that never completes (an injected `hang`) leaves its request unanswered. A malformed
 * frame from a client closes that connection only.
 */
export class I2cTunnelServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly bus: I2cBus) {}

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    if (this.server) throw new Error('I2C tunnel server already started');
    const server = createServer((socket) => this.serve(socket));
    const port = await listenOn(server, address);
    this.server = server;
    return port;
  }

  get port(): number | null {
    const bound = this.server?.address();
    return typeof bound === 'object' && bound !== null ? bound.port : null;
  }

  /** Close every client connection; the listener stays up. */
  dropClients(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.dropClients();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    const reader = new I2cFrameReader(CLIENT_FRAMES);
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      let frames: I2cFrame[];
      try {
        frames = reader.push(data);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        queue = queue
          .then(() => this.transfer(frame))
          .then((reply) => {
            if (!socket.destroyed) socket.write(reply);
          });
      }
    });
  }

  /** One transfer on the bus; its outcome as the reply frame (EINVAL for a request no bus could carry). */
  private async transfer(frame: I2cFrame): Promise<Uint8Array> {
    let request: ReadRequest | WriteRequest;
    try {
      request = frame.type === I2cFrameType.READ ? decodeRead(frame) : decodeWrite(frame);
    } catch (err) {
      return encodeError(frame.seq, { code: 'EINVAL', message: err instanceof Error ? err.message : String(err) });
    }
    try {
      if ('count' in request) {
        const bytes = await this.bus.readRegister(request.address, request.register, request.count);
        return encodeFrame(I2cFrameType.DATA, frame.seq, bytes.subarray(0, request.count));
      }
      await this.bus.writeRegister(request.address, request.register, request.data);
      return encodeFrame(I2cFrameType.ACK, frame.seq);
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'EIO';
      return encodeError(frame.seq, { code, message: err instanceof Error ? err.message : String(err) });
    }
  }
}
