import type { FastifyInstance } from 'fastify';
import { closeAfterReply } from './closing-reply.js';

/** The Supervisor's ingress proxy; inside HA nothing else may talk to the add-on's port. */
export const INGRESS_PROXY_ADDRESS = '172.30.32.2';

const ALLOWED = new Set([
  INGRESS_PROXY_ADDRESS,
  `::ffff:${INGRESS_PROXY_ADDRESS}`,
  // Loopback: the add-on's own tools inside the container.
  '127.0.0.1',
  '::1',
  '::ffff:127.0.0.1',
]);

/** HA's add-on docs: an ingress add-on should answer only 172.30.32.2. */
export function isAllowedUnderSupervisor(remoteAddress: string | undefined): boolean {
  return remoteAddress !== undefined && ALLOWED.has(remoteAddress);
}

export function registerIngressGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isAllowedUnderSupervisor(request.socket.remoteAddress)) {
      return closeAfterReply(reply).code(403).send({ error: 'only Home Assistant ingress may connect' });
    }
    return undefined;
  });
}
