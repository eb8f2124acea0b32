import { connect, type Socket } from 'node:net';
import { DeviceError, toDeviceError } from '@sps/core';
import type { KasaDialect } from '../codec/snapshot.js';
import { encodeXorFrame, XorFrameReader } from '../codec/xor.js';
import { SerialQueue, type KasaTransport } from './transport.js';

export interface XorTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
}

/**
 * The legacy transport: TCP (default 9999), one length-prefixed XOR frame each way.
 * A fresh connection per request keeps the plug's tiny TCP stack happy and means a plug that
 * rebooted between polls costs nothing; a late answer can never be taken for the next one.
 */
export class XorTransport implements KasaTransport {
  readonly kind = 'xor' as const;
  private readonly queue = new SerialQueue();
  private readonly sockets = new Set<Socket>();

  constructor(readonly options: XorTransportOptions) {}

  async open(): Promise<KasaDialect> {
    return 'iot';
  }

  request(json: string): Promise<string> {
    return this.queue.run(() => this.exchange(json));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private exchange(json: string): Promise<string> {
    const { host, port, timeoutMs } = this.options;
    return new Promise<string>((resolve, reject) => {
      const reader = new XorFrameReader();
      let connected = false;
      let settled = false;
      const socket = connect({ host, port });
      this.sockets.add(socket);
      const finish = (err: DeviceError | null, answer?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        this.sockets.delete(socket);
        if (err) reject(err);
        else resolve(answer as string);
      };
      const timer = setTimeout(
        () =>
          finish(
            new DeviceError(
              'timeout',
              connected
                ? `no answer from ${host}:${port} within ${timeoutMs} ms`
                : `cannot reach ${host}:${port} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      socket.on('connect', () => {
        connected = true;
        socket.write(encodeXorFrame(json));
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          const frames = reader.push(chunk);
          if (frames.length > 0) finish(null, frames[0]);
        } catch (err) {
          finish(toDeviceError(err));
        }
      });
      socket.on('error', (err) => finish(toDeviceError(err)));
      socket.on('close', () =>
        finish(
          new DeviceError(
            'connection_lost',
            reader.pendingBytes > 0
              ? `${host}:${port} closed the connection mid-answer (${reader.pendingBytes} bytes of a frame)`
              : `${host}:${port} closed the connection without answering`,
          ),
        ),
      );
    });
  }
}
