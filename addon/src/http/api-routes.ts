import type { SafetyGuard } from '@sps/control';
import { Command, isoUtc } from '@sps/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { ProblemBoard } from '../problems.js';
import type { ReadingArchive } from '../reading-archive.js';
import { formatPath } from '../zod-fields.js';
import { badRequest, errorReply, type ErrorReply } from './error-replies.js';
import { historyQuerySchema } from './history-query.js';
import { deviceJson, readingsJson, unitOf } from './presenters.js';

export interface ApiDeps {
  readonly manager: DeviceManager;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly archive: ReadingArchive;
  readonly version: string;
  readonly startedAt: number;
  /** Open /api/stream connections. */
  readonly streamClients: () => number;
  /** What the user must know about; any problem makes health `degraded`. */
  readonly problems: ProblemBoard;
}

function send(reply: FastifyReply, answer: ErrorReply): FastifyReply {
  if (answer.headers) reply.headers(answer.headers);
  return reply.code(answer.status).send(answer.body);
}

/** `field: message` of a zod failure; `body`/`query` stands in for the whole input. */
function firstIssue(
  issues: readonly { path: readonly PropertyKey[]; message: string; code: string; keys?: readonly string[] }[],
  whole: string,
): { field: string; message: string } {
  const issue = issues[0];
  if (!issue) return { field: whole, message: `${whole}: invalid` };
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys?.[0] ?? '?'] : issue.path;
  const field = path.length > 0 ? formatPath(path) : whole;
  const text = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return { field, message: `${field}: ${text}` };
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { manager, hub, guard, archive } = deps;

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/api/health', async () => {
    const runners = manager.list();
    const problems = deps.problems.list();
    return {
      status: problems.length > 0 ? 'degraded' : 'ok',
      problems: problems.map(({ id, severity, message, since }) => ({ id, severity, message, since })),
      version: deps.version,
      started: isoUtc(deps.startedAt),
      devices: { total: runners.length, available: runners.filter((r) => r.availability.available).length },
      stream_clients: deps.streamClients(),
    };
  });

  app.get('/api/devices', async () => ({ devices: manager.list().map((runner) => deviceJson(runner, guard)) }));

  app.get('/api/readings', async () => {
    const devices: Record<string, unknown> = {};
    for (const runner of manager.list()) {
      const latest = hub.latest(runner.config.id);
      devices[runner.config.id] = {
        available: runner.availability.available,
        ...(latest ? readingsJson(latest, runner.description) : { timestamp: null, readings: {} }),
      };
    }
    return { devices };
  });

  app.get('/api/readings/history', async (request, reply) => {
    const parsed = historyQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error.issues, 'query');
      return send(reply, badRequest(message, field));
    }
    const query = parsed.data;
    const runners = manager.list();
    const deviceId = query.device ?? (runners.length === 1 ? runners[0]?.config.id : undefined);
    if (deviceId === undefined)
      return send(reply, badRequest('device: is required when several devices exist', 'device'));
    const runner = manager.get(deviceId);
    if (!runner) return send(reply, { status: 404, body: { error: `no device with id "${deviceId}"` } });
    const history = await archive.history({
      deviceId,
      key: query.key,
      from: query.from,
      to: query.to,
      ...(query.stepMs === undefined ? {} : { stepMs: query.stepMs }),
    });
    // Cost comes with its "without optimiser" counterpart, on the same buckets.
    const baseline =
      query.key === 'cost'
        ? await archive.history({
            deviceId,
            key: 'cost_baseline',
            from: query.from,
            to: query.to,
            ...(query.stepMs === undefined ? {} : { stepMs: query.stepMs }),
          })
        : undefined;
    return {
      device: deviceId,
      key: query.key,
      unit: unitOf(query.key, runner.description),
      from: isoUtc(query.from),
      to: isoUtc(query.to),
      step_ms: query.stepMs ?? null,
      resolution: history.resolution,
      points: history.points.map((p) => ({ ...p, t: isoUtc(p.t) })),
      ...(baseline ? { baseline: baseline.points.map((p) => ({ t: isoUtc(p.t), mean: p.mean })) } : {}),
    };
  });

  app.post<{ Params: { id: string } }>('/api/devices/:id/commands', async (request, reply) => {
    if (!manager.get(request.params.id)) {
      return send(reply, { status: 404, body: { error: `no device with id "${request.params.id}"` } });
    }
    const parsed = Command.safeParse(request.body);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error.issues, 'body');
      return send(reply, badRequest(message, field));
    }
    try {
      const result = await manager.execute(request.params.id, parsed.data);
      return { device: request.params.id, ...result };
    } catch (err) {
      const answer = errorReply(err);
      if (answer.status === 500) request.log.error({ err }, 'command failed unexpectedly');
      return send(reply, answer);
    }
  });
}
