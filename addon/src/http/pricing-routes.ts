import type { Clock } from '@sps/core';
import type { FastifyInstance } from 'fastify';
import { forecastsJson, pricesJson } from '../pricing/pricing-json.js';
import type { PricingRuntime } from '../pricing/pricing-runtime.js';

/** GET /api/prices (the normalised series from now on, with status and reason) and GET /api/forecasts. */
export function registerPricingRoutes(app: FastifyInstance, pricing: PricingRuntime, clock: Clock): void {
  app.get('/api/prices', async () => pricesJson(pricing, clock.now()));
  app.get('/api/forecasts', async () => forecastsJson(pricing, clock.now()));
}
