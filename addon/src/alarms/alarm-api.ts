import { isoUtc } from '@sps/core';
import { ALARM_KINDS } from '@sps/control';
import { z } from 'zod';
import type { AlarmRuntime } from './alarm-runtime.js';

/** GET /api/alarms: the response, typed by its schema (the panel and tests parse it with the same one). */
export const alarmsResponseSchema = z.object({
  enabled: z.boolean(),
  notify: z.array(z.string()),
  cooldown_min: z.number(),
  rules: z.array(z.object({ id: z.string(), kind: z.enum(ALARM_KINDS), devices: z.array(z.string()).nullable() })),
  alarms: z.array(
    z.object({
      key: z.string(),
      rule: z.string(),
      kind: z.enum(ALARM_KINDS),
      device: z.string(),
      active: z.boolean(),
      since: z.string().nullable(),
      value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
      reading: z.string().nullable(),
    }),
  ),
});
export type AlarmsResponse = z.output<typeof alarmsResponseSchema>;

export function alarmsResponse(alarms: AlarmRuntime | undefined): AlarmsResponse {
  if (!alarms) return { enabled: false, notify: [], cooldown_min: 0, rules: [], alarms: [] };
  return {
    enabled: alarms.rules.length > 0,
    notify: alarms.notifyServices.map((s) => `notify.${s}`),
    cooldown_min: alarms.cooldownMs / 60_000,
    rules: alarms.rules.map((r) => ({ id: r.id, kind: r.kind, devices: r.devices ? [...r.devices] : null })),
    alarms: alarms.list().map((a) => ({
      key: a.key,
      rule: a.ruleId,
      kind: a.kind,
      device: a.deviceId,
      active: a.active,
      since: a.since === undefined ? null : isoUtc(a.since),
      value: a.value,
      reading: a.reading || null,
    })),
  };
}
