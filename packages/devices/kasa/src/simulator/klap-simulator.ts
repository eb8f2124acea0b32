import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOn } from '@sps/core';
import { decodeTdpDatagram, encodeTdpDatagram } from '../codec/discovery.js';
import {
  KLAP_SEED_BYTES,
  KlapCipherSession,
  klapAuthHash,
  klapClientHash,
  klapServerHash,
  sameHash,
  type KlapVersion,
} from '../codec/klap.js';
import { handleIotRequest } from './iot-handler.js';
import { KasaSimulatorBase, type KasaSimulatorCommonOptions } from './simulator-base.js';
import { handleSmartRequest } from './smart-handler.js';

export interface KasaKlapSimulatorOptions extends KasaSimulatorCommonOptions {
  /** The TP-Link account the plug is linked to; absent = never linked (blank credentials). */
  readonly username?: string;
  readonly password?: string;
  /** The TIMEOUT cookie, s (real plugs: 86400). */
  readonly sessionTimeoutS?: number;
}

interface SimSession {
  readonly local: Buffer;
  readonly remote: Buffer;
  cipher: KlapCipherSession | null;
  readonly expiresAt: number;
}

/**
 * A newer-firmware plug speaking KLAP over HTTP: handshake1/handshake2 with the account's
 * auth hash, then `/app/request?seq=N` with signed AES-128-CBC bodies. The KLAP version follows
 * the profile's dialect (IOT → v1 MD5 hashes, SMART → v2 SHA hashes), as on real plugs.
 * Also answers TDP discovery probes on UDP when asked (`startDiscovery`).
 */
export class KasaKlapSimulator extends KasaSimulatorBase {
  readonly klapVersion: KlapVersion;
  private authHash: Buffer;
  private readonly sessionTimeoutS: number;
  private readonly sessions = new Map<string, SimSession>();
  private server: Server | null = null;
  private udp: UdpSocket | null = null;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  handshakes = 0;

  constructor(options: KasaKlapSimulatorOptions = {}) {
    super({ ...options, profile: options.profile ?? 'p110' });
    this.klapVersion = this.profile.dialect === 'iot' ? 1 : 2;
    this.authHash = klapAuthHash(this.klapVersion, options.username ?? '', options.password ?? '');
    this.sessionTimeoutS = options.sessionTimeoutS ?? 86_400;
  }

  /** Re-link the plug to another account (or blank credentials); existing sessions end. */
  setCredentials(username: string, password: string): void {
    this.authHash = klapAuthHash(this.klapVersion, username, password);
    this.sessions.clear();
  }

  /** Forget every session, as a plug does on reboot: the next request gets 403. */
  expireSessions(): void {
    this.sessions.clear();
  }

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    const server = createServer((req, res) => this.route(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    const port = await listenOn(server, address);
    this.startWandering();
    this.port = port;
    return port;
  }

  /** Answer TDP probes on UDP (20002 on a real plug; port 0 = a free one for tests). */
  async startDiscovery(address: { host?: string; port?: number } = {}): Promise<number> {
    const udp = createSocket('udp4');
    this.udp = udp;
    udp.on('message', (datagram, remote) => {
      try {
        const { header } = decodeTdpDatagram(datagram);
        const answer = {
          error_code: 0,
          result: {
            device_id: this.model.deviceId,
            device_model: `${this.profile.model}(AU)`,
            device_type: this.profile.dialect === 'iot' ? 'IOT.SMARTPLUGSWITCH' : 'SMART.TAPOPLUG',
            factory_default: false,
            ip: remote.address === '127.0.0.1' ? '127.0.0.1' : (address.host ?? '127.0.0.1'),
            is_support_iot_cloud: true,
            mac: this.model.mac.replaceAll(':', '-'),
            mgt_encrypt_schm: { encrypt_type: 'KLAP', http_port: this.port || 80, is_support_https: false, lv: 2 },
            obd_src: 'tplink',
          },
        };
        udp.send(encodeTdpDatagram(answer, { opCode: 2, serial: header.serial }), remote.port, remote.address);
      } catch {
        // Real plugs ignore probes they cannot read.
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

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (this.faults.dropConnections) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://plug');
      if (req.method !== 'POST') return this.reply(res, 405);
      if (url.pathname === '/app/handshake1') return this.handshake1(body, res);
      if (url.pathname === '/app/handshake2') return this.handshake2(req, body, res);
      if (url.pathname === '/app/request') return this.request(req, url, body, res);
      return this.reply(res, 404);
    });
  }

  private handshake1(local: Buffer, res: ServerResponse): void {
    if (local.length !== KLAP_SEED_BYTES) return this.reply(res, 400);
    this.handshakes++;
    const remote = randomBytes(KLAP_SEED_BYTES);
    const id = randomBytes(16).toString('hex').toUpperCase();
    this.sessions.set(id, {
      local,
      remote,
      cipher: null,
      expiresAt: this.clock.now() + this.sessionTimeoutS * 1000,
    });
    const serverHash = klapServerHash(this.klapVersion, local, remote, this.authHash);
    this.reply(res, 200, Buffer.concat([remote, serverHash]), {
      'set-cookie': `TP_SESSIONID=${id};TIMEOUT=${this.sessionTimeoutS}`,
    });
  }

  private handshake2(req: IncomingMessage, proof: Buffer, res: ServerResponse): void {
    const id = sessionIdOf(req);
    const session = id === null ? undefined : this.sessions.get(id);
    if (!session || id === null) return this.reply(res, 403);
    const expected = klapClientHash(this.klapVersion, session.local, session.remote, this.authHash);
    if (!sameHash(proof, expected)) {
      this.sessions.delete(id);
      return this.reply(res, 403);
    }
    session.cipher = new KlapCipherSession(session.local, session.remote, this.authHash);
    this.reply(res, 200);
  }

  private request(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): void {
    const id = sessionIdOf(req);
    const session = id === null ? undefined : this.sessions.get(id);
    const seq = Number(url.searchParams.get('seq'));
    if (!session?.cipher || this.clock.now() >= session.expiresAt || !Number.isInteger(seq))
      return this.reply(res, 403);
    let text: string;
    try {
      text = session.cipher.open(body, seq, true);
    } catch {
      return this.reply(res, 400);
    }
    this.requestCount++;
    let request: unknown = null;
    try {
      request = JSON.parse(text);
    } catch {
      // Fall through with null: both dialects answer a request they cannot read with an error.
    }
    const malformed = this.faults.malformed;
    const answer =
      this.profile.dialect === 'iot'
        ? handleIotRequest(request, this.model, this.profile, malformed)
        : handleSmartRequest(request, this.model, this.profile, malformed);
    let reply: Buffer;
    if (malformed === 'json') reply = session.cipher.seal('{"error_code":0,"result":{"device_on', seq);
    else if (malformed === 'frame') reply = randomBytes(67);
    else reply = session.cipher.seal(JSON.stringify(answer), seq);
    this.later(() => this.reply(res, 200, reply));
  }

  private reply(res: ServerResponse, status: number, body?: Buffer, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
    res.end(body);
  }
}

function sessionIdOf(req: IncomingMessage): string | null {
  const match = /(?:^|;\s*)TP_SESSIONID=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1] ?? null;
}
