import type { FastifyInstance } from 'fastify';
import type { TelemetryRuntime } from '../telemetry/open-telemetry.js';

/**
 * GET /api/telemetry: whether remote telemetry runs, and its outbox (pending batches, last error,
 * last sent, dropped). Read-only; the settings live in the add-on options.
 */
export function registerTelemetryRoutes(app: FastifyInstance, telemetry: TelemetryRuntime | undefined): void {
  app.get('/api/telemetry', async () => (telemetry ? { enabled: true, ...telemetry.status() } : { enabled: false }));
}
