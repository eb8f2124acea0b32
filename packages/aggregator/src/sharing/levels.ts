/**
 * What each sharing level lets out of the house: one table, read by the code that builds
 * batches and by DOCS.md ("Sharing"). A record kind leaves only when the level in force is at or
 * above the kind's level.
 */
import { z } from 'zod';
import { SHARING_LEVELS, type SharingLevel } from '../contracts.js';

export const SHARED_KINDS = {
  /** An event received, started, ended, cancelled, or the user opting out (participation). */
  dr_change: 'events',
  /** Per event: baseline, actual and avoided energy by hour, the goal met. */
  dr_performance: 'events',
  /** 15-minute time-weighted averages of battery SOC, grid, load and PV power, per device. */
  average_15m: 'aggregate',
  /** Every reading of every device, the last value in each minute. */
  reading_1m: 'full',
  /** The community MQTT topics: the announce and `OpenDemandResponse/Participant/<name>` each minute. */
  participant_mqtt: 'full',
} as const satisfies Record<string, Exclude<SharingLevel, 'none'>>;

export type SharedKind = keyof typeof SHARED_KINDS;

export const sharingLevelSchema = z.enum(SHARING_LEVELS);

export function levelRank(level: SharingLevel): number {
  return SHARING_LEVELS.indexOf(level);
}

export function levelAllows(level: SharingLevel, kind: SharedKind): boolean {
  return levelRank(level) >= levelRank(SHARED_KINDS[kind]);
}

/** The readings the `aggregate` level averages (canonical keys: %, W with the shared signs). */
export const AVERAGED_KEYS = ['battery_soc', 'grid_power', 'load_power', 'pv_power'] as const;
