import { createServer, type Server, type Socket } from 'node:net';
import { listenOn, toDeviceError } from '@sps/core';
import type { GattPeripheral, GattPeripheralSession } from './gatt-peripheral.js';
import { encodeTunnelFrame, MAX_TUNNEL_PAYLOAD, TunnelFrameReader, TunnelFrameType } from './tunnel-frames.js';

/**
 * Serves one simulated station over the loopback GATT tunnel (tunnel-frames.ts). Each TCP
 * connection is one BLE central; a malformed frame from a client closes that connection only.
 */
export class GattTunnelServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly peripheral: GattPeripheral) {}

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    if (this.server) throw new Error('tunnel server already started');
    const server = createServer((socket) => this.serve(socket));
    const port = await listenOn(server, address);
    this.server = server;
    return port;
  }

  get port(): number | null {
    const bound = this.server?.address();
    return typeof bound === 'object' && bound !== null ? bound.port : null;
  }

  /** Close every client connection (the listener stays up). */
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
    let session: GattPeripheralSession | null = null;
    const send = (type: TunnelFrameType, payload?: Uint8Array): void => {
      if (!socket.destroyed) socket.write(encodeTunnelFrame(type, payload));
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      session?.close();
      session = null;
    });
    try {
      session = this.peripheral.accept({
        notify: (chunk) => {
          for (let i = 0; i < chunk.length; i += MAX_TUNNEL_PAYLOAD) {
            send(TunnelFrameType.NOTIFY, chunk.subarray(i, i + MAX_TUNNEL_PAYLOAD));
          }
        },
        disconnect: () => socket.destroy(),
      });
    } catch (err) {
      send(TunnelFrameType.ERROR, Buffer.from(toDeviceError(err).message, 'utf8'));
      socket.end();
      return;
    }
    const hello = { address: this.peripheral.address, name: this.peripheral.localName };
    send(TunnelFrameType.HELLO, Buffer.from(JSON.stringify(hello), 'utf8'));
    const reader = new TunnelFrameReader();
    socket.on('data', (data: Buffer) => {
      try {
        for (const frame of reader.push(data)) {
          if (frame.type === TunnelFrameType.SUBSCRIBE) session?.subscribed();
          else if (frame.type === TunnelFrameType.WRITE) session?.write(frame.payload);
        }
      } catch {
        socket.destroy();
      }
    });
  }
}
