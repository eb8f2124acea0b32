import type { FastifyReply } from 'fastify';

/**
 * A refused request's connection is closed once the answer is sent: a client we will not serve
 * must not keep its socket (and a file descriptor) by trickling a body after the refusal. With
 * `Connection: close` Node ends and destroys the socket when the response finishes, whatever is
 * still arriving.
 */
export function closeAfterReply(reply: FastifyReply): FastifyReply {
  return reply.header('connection', 'close');
}
