import type { ActiveAlarmSnapshot, NotifiedSnapshot } from '@sps/control';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';

export const ALARM_STATE_NAMESPACE = 'alarms';
export const ALARM_STATE_KEY = 'state';

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const AlarmStateDocument = z.object({
  /** Alarms on when it was written, with when they began. */
  active: z.array(
    z.object({
      ruleId: z.string(),
      deviceId: z.string(),
      since: z.number(),
      value: scalar,
      reading: z.string(),
    }),
  ),
  /** What the owner was last told per alarm. */
  notified: z.array(z.object({ key: z.string(), active: z.boolean(), sentAt: z.number() })),
  /** Every alarm that existed (rule id, device id), so HA keeps its entity while the device is offline. */
  known: z.array(z.tuple([z.string(), z.string()])),
});
export type AlarmStateDocument = z.output<typeof AlarmStateDocument>;

const EMPTY: AlarmStateDocument = { active: [], notified: [], known: [] };

/**
 * The alarms' small durable state in the add-on's store (SQLite's state table, like the timed
 * overrides): read once at start, written on every change. A damaged document is logged and
 * ignored (the alarms start afresh, never crash the add-on).
 */
export class AlarmStateFile {
  constructor(
    private readonly store: StateStore,
    private readonly logger: Logger,
  ) {}

  load(): AlarmStateDocument {
    let raw: unknown;
    try {
      raw = this.store.getState(ALARM_STATE_NAMESPACE, ALARM_STATE_KEY);
    } catch (err) {
      this.logger.warn({ err }, 'cannot read the alarms of the last run; starting afresh');
      return EMPTY;
    }
    if (raw === undefined) return EMPTY;
    const parsed = AlarmStateDocument.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ reason: parsed.error.issues[0]?.message }, 'ignoring unreadable alarm state');
      return EMPTY;
    }
    return parsed.data;
  }

  save(
    active: readonly ActiveAlarmSnapshot[],
    notified: readonly NotifiedSnapshot[],
    known: readonly [string, string][],
  ): void {
    try {
      this.store.putState(ALARM_STATE_NAMESPACE, ALARM_STATE_KEY, { active, notified, known });
    } catch (err) {
      this.logger.warn({ err }, 'cannot persist the alarms');
    }
  }
}
