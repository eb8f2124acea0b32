import { DrRequestError } from '@sps/aggregator';
import type { Clock } from '@sps/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  firstProblem,
  optOutRequestSchema,
  sharingRequestSchema,
  simulateRequestSchema,
  toSimulateInput,
} from '../dr/dr-requests.js';
import { drOffStatus, type DrRuntime } from '../dr/dr-runtime.js';

/**
 * GET /api/dr: the DR status (DrApiStatus, then extras); with DR off, the normal mode with
 * `enabled: false` and nothing connected. The writes (opt-out, simulate, sharing level) pass the
 * same access guard as every other POST (ingress, Host/Origin checks, write token).
 */
export function registerDrRoutes(app: FastifyInstance, dr: DrRuntime | undefined, clock: Clock): void {
  app.get('/api/dr', async () => (dr ? dr.status() : drOffStatus()));

  const off = (reply: FastifyReply) =>
    reply.code(409).send({ error: 'demand response is off (the aggregator option section is empty)' });
  const refused = (reply: FastifyReply, err: unknown) => {
    if (err instanceof DrRequestError) return reply.code(409).send({ error: err.message });
    throw err;
  };

  app.post('/api/dr/opt-out', async (request, reply) => {
    if (!dr) return off(reply);
    const parsed = optOutRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const { message, field } = firstProblem(parsed.error);
      return reply.code(400).send({ error: message, field });
    }
    try {
      const event = dr.optOut(parsed.data.event_id);
      return { opted_out: event.id, status: dr.status() };
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.post('/api/dr/simulate', async (request, reply) => {
    if (!dr) return off(reply);
    const parsed = simulateRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const { message, field } = firstProblem(parsed.error);
      return reply.code(400).send({ error: message, field });
    }
    try {
      const event = dr.simulate(toSimulateInput(parsed.data, clock.now()));
      return { simulated: event.id, status: dr.status() };
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.post('/api/dr/sharing', async (request, reply) => {
    if (!dr) return off(reply);
    const parsed = sharingRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const { message, field } = firstProblem(parsed.error);
      return reply.code(400).send({ error: message, field });
    }
    try {
      dr.setSharing(parsed.data.level);
      return { sharing: dr.sharingLevel() };
    } catch (err) {
      return refused(reply, err);
    }
  });
}
