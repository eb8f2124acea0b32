import type { LoadHistorySource, LoadSample } from '@sps/forecasts';
import { z } from 'zod';
import type { ReadingArchive } from '../reading-archive.js';

/** The store's 30-minute means are plenty for a 30-minute load profile and keep the query small. */
const STEP_MS = 30 * 60_000;

/**
 * Household load from the store: the `load_power` readings (W) of one device as 30-minute
 * means in kW. Without a chosen device, the first configured device that recorded any.
 */
export class StoreLoadHistory implements LoadHistorySource {
  constructor(
    private readonly archive: ReadingArchive,
    private readonly deviceIds: () => readonly string[],
    private readonly device?: string,
  ) {}

  async loadHistory(from: number, to: number): Promise<LoadSample[]> {
    const candidates = this.device === undefined ? this.deviceIds() : [this.device];
    for (const deviceId of candidates) {
      const history = await this.archive.history({ deviceId, key: 'load_power', from, to, stepMs: STEP_MS });
      const samples = history.points
        .filter((p) => Number.isFinite(p.mean) && p.count > 0)
        .map((p) => ({ start: p.t, end: p.t + STEP_MS, kw: Math.max(0, p.mean / 1000) }));
      if (samples.length > 0) return samples;
    }
    return [];
  }
}

/** HA's `recorder/statistics_during_period` answer; times are epoch ms (HA ≥ 2023.3) or ISO text. */
const statisticsSchema = z.record(
  z.string(),
  z.array(
    z.object({
      start: z.union([z.number(), z.string()]),
      end: z.union([z.number(), z.string()]).optional(),
      mean: z.number().nullable().optional(),
    }),
  ),
);

export interface HaCommandSender {
  sendCommand<T = unknown>(message: { type: string } & Record<string, unknown>): Promise<T>;
}

function toMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/**
 * Hourly means of an HA power sensor from its long-term statistics, in kW (HA converts the
 * unit for us), used while the store is younger than the load model wants.
 */
export class HaStatisticsLoadHistory implements LoadHistorySource {
  constructor(
    private readonly ha: () => HaCommandSender | undefined,
    private readonly entityId: string,
  ) {}

  async loadHistory(from: number, to: number): Promise<LoadSample[]> {
    const ha = this.ha();
    if (!ha) throw new Error('not connected to Home Assistant');
    const raw = await ha.sendCommand({
      type: 'recorder/statistics_during_period',
      start_time: new Date(from).toISOString(),
      end_time: new Date(to).toISOString(),
      statistic_ids: [this.entityId],
      period: 'hour',
      types: ['mean'],
      units: { power: 'kW' },
    });
    const parsed = statisticsSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`statistics of ${this.entityId}: unexpected answer from HA`);
    const rows = parsed.data[this.entityId] ?? [];
    return rows
      .filter((r) => typeof r.mean === 'number' && Number.isFinite(r.mean))
      .map((r) => {
        const start = toMs(r.start);
        return { start, end: r.end === undefined ? start + 3_600_000 : toMs(r.end), kw: Math.max(0, r.mean as number) };
      })
      .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.end > s.start);
  }
}
