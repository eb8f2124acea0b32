import type { SafetyGuard } from '@sps/control';
import type { Clock } from '@sps/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { ProblemBoard } from '../problems.js';
import type { ReadingArchive } from '../reading-archive.js';
import { registerApiRoutes } from './api-routes.js';
import { AccessGuard, type AccessPolicy } from './access-guard.js';
import { defaultHttpLimits, type HttpLimits } from './http-limits.js';
import { registerIngressGuard } from './ingress-guard.js';
import { LiveStream } from './live-stream.js';
import { registerWebRoutes } from './web-routes.js';
import type { PricingRuntime } from '../pricing/pricing-runtime.js';
import { registerPricingRoutes } from './pricing-routes.js';
import type { OptimizerRuntime } from '../optimizer/optimizer-runtime.js';
import { registerPlanRoutes } from './plan-routes.js';
import type { DrRuntime } from '../dr/dr-runtime.js';
import { registerDrRoutes } from './dr-routes.js';
import { registerAlarmRoutes } from './alarm-routes.js';
import type { AlarmRuntime } from '../alarms/alarm-runtime.js';
import { registerTelemetryRoutes } from './telemetry-routes.js';
import type { TelemetryRuntime } from '../telemetry/open-telemetry.js';

export interface HttpServerDeps {
  readonly manager: DeviceManager;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly archive: ReadingArchive;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  readonly startedAt: number;
  /** Problems the user must know about (health, panel). */
  readonly problems: ProblemBoard;
  /** Under the Supervisor: only the ingress proxy (and loopback) may connect. */
  readonly ingressOnly: boolean;
  /** Outside the Supervisor: the Host check, cross-site write refusal and write token (ignored with ingressOnly). */
  readonly access?: AccessPolicy;
  /** Timeouts and the connection cap; defaults from defaultHttpLimits() (tests shorten them). */
  readonly limits?: Partial<HttpLimits>;
  /** Prices and forecasts (GET /api/prices, /api/forecasts); absent in tests that do not need them. */
  readonly pricing?: PricingRuntime;
  /** The battery plan (GET /api/plan, /api/plan.svg); absent in tests that do not need it. */
  readonly optimizer?: OptimizerRuntime;
  /** Demand response (GET /api/dr and its writes); undefined: DR is off, /api/dr says so. */
  readonly dr?: DrRuntime;
  /** Alarms (GET /api/alarms); absent in tests that do not need them (the route then says none). */
  readonly alarms?: AlarmRuntime;
  /** Remote telemetry (GET /api/telemetry); undefined: off. */
  readonly telemetry?: TelemetryRuntime;
}

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const limits: HttpLimits = { ...defaultHttpLimits(), ...deps.limits };
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Every page load, poll and stream would otherwise log a line at info level.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // Idle keep-alive sockets must not hold a shutdown back.
    forceCloseConnections: true,
    // fastify disables Node's request timeout by default; a slow-body client then held its socket for good.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
  });
  app.server.maxConnections = limits.maxConnections;

  if (deps.ingressOnly) registerIngressGuard(app);
  else if (deps.access) {
    const guard = new AccessGuard(deps.access, () => boundPort(app));
    guard.register(app);
    // The panel asks whether to offer its token field.
    app.get('/api/access', async () => ({ write_token_required: guard.writesNeedToken }));
  }

  // Bodies fastify cannot parse (bad JSON, wrong content type, too large) get the same
  // `{ error, field }` shape as validation failures.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: `body: ${err.message}`, field: 'body' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url}` }),
  );

  const stream = new LiveStream(deps.hub, deps.manager, deps.clock, deps.dr);
  registerApiRoutes(app, { ...deps, streamClients: () => stream.clientCount });
  stream.register(app);
  if (deps.pricing) registerPricingRoutes(app, deps.pricing, deps.clock);
  if (deps.optimizer) registerPlanRoutes(app, deps.optimizer);
  registerDrRoutes(app, deps.dr, deps.clock);
  registerAlarmRoutes(app, deps.alarms);
  registerTelemetryRoutes(app, deps.telemetry);
  registerWebRoutes(app);
  return app;
}

function boundPort(app: FastifyInstance): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : -1;
}
