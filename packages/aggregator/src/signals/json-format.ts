import { z } from 'zod';
import { DR_EVENT_TYPES, DR_PROGRAMS } from '../contracts.js';
import {
  DEFAULT_EVENT_DURATION_MINUTES,
  MAX_EVENT_DURATION_MINUTES,
  checkEventWindow,
  defaultEventId,
  type ParseResult,
} from './parsed-event.js';

/**
 * The JSON event form: `{"id","program","type","start","end"|"duration_minutes","goal_kw"|"goal_pct","status"}`.
 * Times are ISO 8601 with an offset (a time without one would be a guess about the sender's zone).
 * Unknown keys are ignored, so a newer aggregator can add fields.
 */
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isoInstant(text: string): number | null {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

const isoTime = z
  .string()
  .max(40)
  .refine((s) => isoInstant(s) !== null, {
    message: 'expected an ISO 8601 time with an offset, e.g. 2026-07-01T16:00:00-04:00',
  });
const caseless = <T extends readonly [string, ...string[]]>(values: T, to: (s: string) => string) =>
  z.preprocess((v) => (typeof v === 'string' ? to(v) : v), z.enum(values));

const jsonEventSchema = z
  .object({
    id: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, 'expected 1–128 printable characters without spaces')
      .optional(),
    program: caseless(DR_PROGRAMS, (s) => s.toUpperCase()),
    type: caseless(DR_EVENT_TYPES, (s) => s.toLowerCase()),
    start: isoTime,
    end: isoTime.optional(),
    duration_minutes: z.number().int().min(1).max(MAX_EVENT_DURATION_MINUTES).optional(),
    goal_kw: z.number().positive().max(1000).nullable().optional(),
    goal_pct: z.number().positive().max(100).nullable().optional(),
    status: z.enum(['active', 'cancelled']).default('active'),
    sent_at: z.string().max(64).optional(),
  })
  .refine((e) => e.end === undefined || e.duration_minutes === undefined, {
    message: 'give end or duration_minutes, not both',
    path: ['end'],
  })
  .refine((e) => e.goal_kw === undefined || e.goal_kw === null || e.goal_pct === undefined || e.goal_pct === null, {
    message: 'give goal_kw or goal_pct, not both',
    path: ['goal_kw'],
  });

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const field = issue.path.length > 0 ? issue.path.join('.') : 'payload';
  return `${field}: ${issue.message}`;
}

export function parseJsonEvent(value: unknown, ctx: { readonly receivedAtMs: number }): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'JSON: expected an object' };
  }
  const parsed = jsonEventSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error) };
  const e = parsed.data;
  const startMs = isoInstant(e.start) as number;
  const endMs =
    e.end !== undefined
      ? (isoInstant(e.end) as number)
      : startMs + (e.duration_minutes ?? DEFAULT_EVENT_DURATION_MINUTES) * 60_000;
  const bad = checkEventWindow(startMs, endMs, ctx.receivedAtMs);
  if (bad !== null) return { ok: false, reason: bad };
  return {
    ok: true,
    event: {
      id: e.id ?? defaultEventId(e.program, startMs),
      program: e.program,
      type: e.type,
      startMs,
      endMs,
      goalKw: e.goal_kw ?? null,
      goalPct: e.goal_pct ?? null,
      status: e.status,
      receivedAtMs: ctx.receivedAtMs,
      sentAt: e.sent_at ?? null,
    },
  };
}
