import { createSocket, type Socket } from 'node:dgram';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import {
  decodeLegacyDiscoveryAnswer,
  decodeTdpAnswer,
  encodeLegacyDiscoveryRequest,
  encodeTdpProbe,
  LEGACY_DISCOVERY_PORT,
  TDP_DISCOVERY_PORT,
  type DiscoveredPlug,
} from './codec/discovery.js';

export interface DiscoverKasaOptions {
  /** Where to send the probes: the broadcast address (default 255.255.255.255) or one plug's address. */
  readonly target?: string;
  /** How long to listen for answers. */
  readonly timeoutMs?: number;
  /** Probes per port, spread over the listening time (UDP gets lost). */
  readonly probes?: number;
  /** Override the discovery ports (tests run simulators on free ports). */
  readonly legacyPort?: number;
  readonly tdpPort?: number;
}

export interface KasaDiscoveryResult {
  readonly plugs: readonly DiscoveredPlug[];
  /** Answers that could not be used, e.g. a plug using the older AES scheme; one line each. */
  readonly skipped: readonly string[];
}

/**
 * Find Kasa/Tapo plugs on the local network — only when the user asks (`sps discover kasa`):
 * broadcasts the XOR `get_sysinfo` to UDP 9999 and a TDP probe to UDP 20002 and collects the
 * answers for `timeoutMs`. Never called by the add-on on its own.
 */
export async function discoverKasa(options: DiscoverKasaOptions = {}): Promise<KasaDiscoveryResult> {
  const target = options.target ?? '255.255.255.255';
  const timeoutMs = options.timeoutMs ?? 3000;
  const probes = Math.max(1, options.probes ?? 3);
  const legacyPort = options.legacyPort ?? LEGACY_DISCOVERY_PORT;
  const tdpPort = options.tdpPort ?? TDP_DISCOVERY_PORT;
  const found = new Map<string, DiscoveredPlug>();
  const skipped = new Map<string, string>();

  const legacyRequest = encodeLegacyDiscoveryRequest();
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tdpProbe = encodeTdpProbe(publicKey.export({ type: 'spki', format: 'pem' }).toString(), randomInt(0, 2 ** 32));

  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (datagram, remote) => {
    const key = `${remote.address}:${remote.port}`;
    try {
      let plug: DiscoveredPlug | null = null;
      if (remote.port === legacyPort) plug = decodeLegacyDiscoveryAnswer(datagram, remote.address);
      else if (remote.port === tdpPort) plug = decodeTdpAnswer(datagram, remote.address);
      if (plug && !found.has(`${plug.host}/${plug.transport}`)) found.set(`${plug.host}/${plug.transport}`, plug);
    } catch (err) {
      skipped.set(key, `${key}: ${(err as Error).message}`);
    }
  });
  // An unreachable target or a closed port must not crash the caller.
  socket.on('error', (err) => skipped.set('socket', `socket: ${err.message}`));

  await new Promise<void>((resolve) => socket.bind(0, resolve));
  socket.setBroadcast(true);
  try {
    for (let i = 0; i < probes; i++) {
      await send(socket, legacyRequest, legacyPort, target);
      await send(socket, tdpProbe, tdpPort, target);
      await sleep(timeoutMs / probes);
    }
  } finally {
    socket.close();
  }
  return { plugs: [...found.values()], skipped: [...skipped.values()] };
}

function send(socket: Socket, datagram: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve) => socket.send(datagram, port, address, () => resolve()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
