import { z } from 'zod';
import type { GridSpec, PowerSegment } from '../grid.js';
import { MINUTE, resampleSegments } from '../grid.js';
import { ForecastFetchError, describeZodError } from '../http.js';
import { withZeroGaps } from './ha.js';
import type { HaForecastBridge, SolarForecast, SolarForecastProvider } from './provider.js';

/*
 * Solcast's HA integration (BJReplay/ha-solcast-solar) exposes the half-hourly
 * forecast in the `detailedForecast` attribute of its day sensors: items
 * `{ period_start (local ISO with offset), pv_estimate, pv_estimate10, pv_estimate90 }`
 * in kW (average power, not kWh).
 */

export const SOLCAST_DEFAULT_ENTITIES = [
  'sensor.solcast_pv_forecast_forecast_today',
  'sensor.solcast_pv_forecast_forecast_tomorrow',
  'sensor.solcast_pv_forecast_forecast_day_3',
];

const itemSchema = z.object({
  period_start: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp'),
  pv_estimate: z.number().nonnegative(),
  pv_estimate10: z.number().nonnegative().optional(),
  pv_estimate90: z.number().nonnegative().optional(),
});
const attributesSchema = z.object({ detailedForecast: z.array(itemSchema) });

export class SolcastAttributeProvider implements SolarForecastProvider {
  readonly id = 'solcast';

  constructor(
    private readonly bridge: HaForecastBridge,
    private readonly entityIds: readonly string[] = SOLCAST_DEFAULT_ENTITIES,
    /** Solcast's period (30 minutes for detailedForecast, 60 for detailedHourly). */
    private readonly periodMinutes = 30,
  ) {}

  async forecast(grid: GridSpec): Promise<SolarForecast> {
    const segments: PowerSegment[] = [];
    const warnings: string[] = [];
    for (const id of this.entityIds) {
      const attrs = await this.bridge.entityAttributes(id);
      if (attrs === undefined) {
        warnings.push(`${id}: entity not found`);
        continue;
      }
      const parsed = attributesSchema.safeParse(attrs);
      if (!parsed.success) {
        throw new ForecastFetchError('invalid', `${id}: ${describeZodError(parsed.error)}`);
      }
      for (const item of parsed.data.detailedForecast) {
        const start = Date.parse(item.period_start);
        const seg: PowerSegment = { start, end: start + this.periodMinutes * MINUTE, kw: item.pv_estimate };
        if (item.pv_estimate10 !== undefined) seg.kwP10 = item.pv_estimate10;
        if (item.pv_estimate90 !== undefined) seg.kwP90 = item.pv_estimate90;
        segments.push(seg);
      }
    }
    if (segments.length === 0)
      throw new ForecastFetchError('invalid', `Solcast: no detailedForecast in ${this.entityIds.join(', ')}`);
    const unique = [...new Map(segments.map((s) => [s.start, s])).values()];
    return {
      source: this.id,
      points: resampleSegments(withZeroGaps(unique), grid),
      ...(warnings.length ? { warnings } : {}),
    };
  }
}
