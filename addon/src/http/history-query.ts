import { READING_KEY_PATTERN } from '@sps/core';
import { z } from 'zod';
import { expecting } from '../zod-fields.js';

const DAY_MS = 86_400_000;
/** The longest span one history request may cover (the aggregate retention's order of magnitude). */
export const MAX_HISTORY_SPAN_MS = 3 * 366 * DAY_MS;

const isoWithZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

/** ISO 8601 in UTC (ending in Z) or epoch milliseconds. */
const instant = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const ms = /^\d{1,15}$/.test(text) ? Number(text) : isoWithZ.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 UTC time ending in Z, or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** A step as milliseconds (`300000`) or with a unit (`30s`, `5m`, `1h`, `1d`). */
const step = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const match = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text);
    const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1) : Number.NaN;
    if (!Number.isFinite(ms) || ms < 1000 || ms > 31 * DAY_MS) {
      ctx.addIssue({ code: 'custom', message: 'expected a step between 1s and 31d, e.g. 300000, 30s, 5m, 1h' });
      return z.NEVER;
    }
    return ms;
  });

export const historyQuerySchema = z
  .strictObject({
    device: z.string({ error: expecting('expected a device id') }).optional(),
    key: z
      .string({ error: expecting('expected a reading key such as battery_soc') })
      .regex(READING_KEY_PATTERN, { error: 'expected a reading key such as battery_soc' }),
    from: instant.optional(),
    to: instant.optional(),
    step: step.optional(),
  })
  .transform((q, ctx) => {
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    if (from >= to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
      return z.NEVER;
    }
    if (to - from > MAX_HISTORY_SPAN_MS) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'the range may span at most 3 years' });
      return z.NEVER;
    }
    return { device: q.device, key: q.key, from, to, stepMs: q.step };
  });

export type HistoryQuery = z.output<typeof historyQuerySchema>;
