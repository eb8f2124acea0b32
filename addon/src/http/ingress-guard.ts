import type { FastifyInstance } from 'fastify';
import { closeAfterReply } from './closing-reply.js';

/** The Supervisor's ingress proxy; inside HA nothing else may talk to the add-on's port. */
export const INGRESS_PROXY_ADDRESS = '172.30.32.2';

const PROXY = new Set([INGRESS_PROXY_ADDRESS, `::ffff:${INGRESS_PROXY_ADDRESS}`]);
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * What the add-on's own tools inside the container read over loopback: the image's HEALTHCHECK and
 * `sps dr status`. Nothing else: the add-on runs on the host's network (config.yaml `host_network`,
 * for SocketCAN), so loopback is the host's too — HA Core and every other host-network add-on — and
 * none of them may write to a battery or read the panel without going through ingress.
 */
const LOOPBACK_READS = new Set(['/api/health', '/api/dr']);

/** HA's add-on docs: an ingress add-on should answer only 172.30.32.2. */
export function isAllowedUnderSupervisor(remoteAddress: string | undefined, method = 'GET', url = '/'): boolean {
  if (remoteAddress === undefined) return false;
  if (PROXY.has(remoteAddress)) return true;
  if (!LOOPBACK.has(remoteAddress)) return false;
  const path = url.split('?')[0] ?? url;
  return (method === 'GET' || method === 'HEAD') && LOOPBACK_READS.has(path);
}

export function registerIngressGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isAllowedUnderSupervisor(request.socket.remoteAddress, request.method, request.url)) {
      return closeAfterReply(reply).code(403).send({ error: 'only Home Assistant ingress may connect' });
    }
    return undefined;
  });
}
