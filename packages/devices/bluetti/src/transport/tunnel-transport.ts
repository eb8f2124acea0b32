import { createConnection, type Socket } from 'node:net';
import { DeviceError, toDeviceError } from '@sps/core';
import { normaliseAddress } from '../gatt.js';
import { TransportListeners, type BleLinkInfo, type BleTransport } from './ble-transport.js';
import { decodeHello, encodeTunnelFrame, TunnelFrameReader, TunnelFrameType } from './tunnel-frames.js';

export interface TunnelTransportOptions {
  readonly host: string;
  readonly port: number;
  /** When set, the tunnel must serve this station (HELLO's address), else connect fails. */
  readonly address?: string;
  readonly timeoutMs: number;
}

/**
 * The central side of the loopback GATT tunnel (see tunnel-frames.ts): lets `sps simulate
 * bluetti` run the simulated station in another process. A test/demo tool.
 */
export class TcpTunnelTransport implements BleTransport {
  readonly label: string;
  private readonly listeners = new TransportListeners();
  private socket: Socket | null = null;

  constructor(private readonly options: TunnelTransportOptions) {
    this.label = `tunnel ${options.host}:${options.port}`;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  async connect(): Promise<BleLinkInfo> {
    await this.disconnect();
    const { host, port, timeoutMs } = this.options;
    const socket = createConnection({ host, port });
    socket.setNoDelay(true);
    const reader = new TunnelFrameReader();
    return new Promise<BleLinkInfo>((resolve, reject) => {
      let settled = false;
      const fail = (err: DeviceError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new DeviceError('timeout', `no HELLO from ${this.label} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('error', (err) => {
        if (!settled) {
          const e = toDeviceError(err);
          fail(
            new DeviceError(e.kind === 'bad_response' ? 'connection_refused' : e.kind, `${this.label}: ${e.message}`),
          );
        }
      });
      socket.on('close', () => {
        if (!settled) fail(new DeviceError('connection_refused', `${this.label} closed the connection`));
        else if (this.socket === socket) {
          this.socket = null;
          this.listeners.disconnected(`${this.label} closed the connection`);
        }
      });
      socket.on('data', (data: Buffer) => {
        let frames;
        try {
          frames = reader.push(data);
        } catch (err) {
          // A garbled stream cannot be resynchronised: drop the link.
          const reason = `${this.label} sent a malformed frame (${err instanceof Error ? err.message : String(err)})`;
          if (!settled) fail(new DeviceError('bad_response', reason));
          else socket.destroy();
          return;
        }
        for (const frame of frames) {
          if (frame.type === TunnelFrameType.NOTIFY && settled) this.listeners.notify(frame.payload);
          else if (frame.type === TunnelFrameType.ERROR) {
            const reason = Buffer.from(frame.payload).toString('utf8');
            if (!settled) fail(new DeviceError('connection_refused', `${this.label}: ${reason}`));
            else socket.destroy();
          } else if (frame.type === TunnelFrameType.HELLO && !settled) {
            try {
              const hello = decodeHello(frame.payload);
              const wanted = this.options.address;
              if (wanted !== undefined && normaliseAddress(hello.address) !== normaliseAddress(wanted)) {
                fail(new DeviceError('connection_refused', `${this.label} serves ${hello.address}, not ${wanted}`));
                return;
              }
              settled = true;
              clearTimeout(timer);
              this.socket = socket;
              socket.write(encodeTunnelFrame(TunnelFrameType.SUBSCRIBE));
              resolve({ name: hello.name });
            } catch (err) {
              fail(toDeviceError(err));
            }
          }
        }
      });
    });
  }

  async write(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (socket === null) throw new DeviceError('connection_lost', `${this.label} is not connected`);
    await new Promise<void>((resolve, reject) =>
      socket.write(encodeTunnelFrame(TunnelFrameType.WRITE, data), (err) =>
        err ? reject(new DeviceError('connection_lost', `${this.label}: ${err.message}`)) : resolve(),
      ),
    );
  }

  async disconnect(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  onNotification(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onNotification(listener);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}
