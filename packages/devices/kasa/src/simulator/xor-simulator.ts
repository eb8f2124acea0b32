import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { DecodeError, listenOn } from '@sps/core';
import { decodeLegacyDiscoveryRequest, encodeLegacyDiscoveryAnswer } from '../codec/discovery.js';
import { encodeXorFrame, XorFrameReader } from '../codec/xor.js';
import { handleIotRequest } from './iot-handler.js';
import { KasaSimulatorBase, type KasaSimulatorCommonOptions } from './simulator-base.js';

export type KasaXorSimulatorOptions = KasaSimulatorCommonOptions;

/**
 * A legacy Kasa plug: the IOT dialect in length-prefixed XOR frames over TCP, and (when asked)
 * the UDP discovery responder that answers an XOR `get_sysinfo` datagram with the sysinfo.
 * Connections stay open for as many requests as the client sends, like a real plug.
 */
export class KasaXorSimulator extends KasaSimulatorBase {
  private server: Server | null = null;
  private udp: UdpSocket | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(options: KasaXorSimulatorOptions = {}) {
    super(options);
    if (this.profile.dialect !== 'iot')
      throw new Error(`${this.profile.model} speaks SMART; the XOR transport carries IOT only`);
  }

  /** Listen on TCP; resolves with the bound port (0 = a free one). */
  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    const port = await listenOn(server, address);
    this.startWandering();
    return port;
  }

  /** Answer discovery datagrams on UDP (9999 on a real plug; port 0 = a free one for tests). */
  async startDiscovery(address: { host?: string; port?: number } = {}): Promise<number> {
    const udp = createSocket('udp4');
    this.udp = udp;
    udp.on('message', (datagram, remote) => {
      try {
        const request = decodeLegacyDiscoveryRequest(datagram);
        const answer = handleIotRequest(request, this.model, this.profile);
        udp.send(encodeLegacyDiscoveryAnswer(answer), remote.port, remote.address);
      } catch {
        // Real plugs ignore datagrams they cannot read.
      }
    });
    await new Promise<void>((resolve) => udp.bind(address.port ?? 0, address.host ?? '127.0.0.1', resolve));
    return udp.address().port;
  }

  async stop(): Promise<void> {
    this.stopWandering();
    this.cancelPending();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new XorFrameReader();
    socket.on('data', (chunk: Buffer) => {
      if (this.faults.dropConnections) {
        socket.destroy();
        return;
      }
      let frames: string[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (err instanceof DecodeError) socket.destroy();
        return;
      }
      for (const text of frames) this.answer(socket, text);
    });
  }

  private answer(socket: Socket, text: string): void {
    this.requestCount++;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      // A real plug closes the connection on a frame it cannot parse.
      socket.destroy();
      return;
    }
    const malformed = this.faults.malformed;
    const answer = handleIotRequest(request, this.model, this.profile, malformed);
    let bytes: Buffer;
    if (malformed === 'json') bytes = encodeXorFrame('{"system":{"get_sysinfo":{"model":"HS1');
    else if (malformed === 'frame') bytes = Buffer.from('\u00ff\u00ff\u00ff\u00ffgarbage', 'latin1');
    else bytes = encodeXorFrame(JSON.stringify(answer));
    this.later(() => {
      if (!socket.destroyed) socket.write(bytes);
    });
  }
}
