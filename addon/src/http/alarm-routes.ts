import type { FastifyInstance } from 'fastify';
import { alarmsResponse, type AlarmsResponse } from '../alarms/alarm-api.js';
import type { AlarmRuntime } from '../alarms/alarm-runtime.js';

/**
 * GET /api/alarms: the rules, the notify services and every alarm with its state and `since`
 * (alarmsResponseSchema). A read, so it passes the same guard as every other GET (ingress or Host check).
 */
export function registerAlarmRoutes(app: FastifyInstance, alarms: AlarmRuntime | undefined): void {
  app.get('/api/alarms', async (): Promise<AlarmsResponse> => alarmsResponse(alarms));
}
