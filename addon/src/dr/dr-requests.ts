import { DR_EVENT_TYPES, DR_PROGRAMS, SHARING_LEVELS, type SimulateEventInput } from '@sps/aggregator';
import { z } from 'zod';

/**
 * The bodies of DR requests, shared by the HTTP API and HA's services so both validate alike:
 * `simulate_event` (start or minutes_from_now, duration, programme, type, goal) and `opt_out_event`.
 */
export const simulateRequestSchema = z
  .strictObject({
    start: z
      .string({ error: 'start: expected an ISO 8601 time with an offset' })
      .refine((v) => /(Z|[+-]\d{2}:?\d{2})$/i.test(v.trim()) && Number.isFinite(Date.parse(v)), {
        error: 'start: expected an ISO 8601 time with an offset, e.g. 2026-12-04T17:00:00-05:00',
      })
      .optional(),
    minutes_from_now: z
      .number({ error: 'minutes_from_now: expected minutes from 0 to 10080' })
      .min(0, { error: 'minutes_from_now: expected minutes from 0 to 10080' })
      .max(10_080, { error: 'minutes_from_now: expected minutes from 0 to 10080' })
      .optional(),
    duration_minutes: z
      .number({ error: 'duration_minutes: expected whole minutes from 1 to 1440' })
      .int({ error: 'duration_minutes: expected whole minutes from 1 to 1440' })
      .min(1, { error: 'duration_minutes: expected whole minutes from 1 to 1440' })
      .max(1440, { error: 'duration_minutes: expected whole minutes from 1 to 1440' })
      .optional(),
    program: z.enum(DR_PROGRAMS, { error: `program: expected one of ${DR_PROGRAMS.join('|')}` }).optional(),
    type: z.enum(DR_EVENT_TYPES, { error: `type: expected one of ${DR_EVENT_TYPES.join('|')}` }).optional(),
    goal_kw: z
      .number({ error: 'goal_kw: expected kW from 0.01 to 10000' })
      .min(0.01, { error: 'goal_kw: expected kW from 0.01 to 10000' })
      .max(10_000, { error: 'goal_kw: expected kW from 0.01 to 10000' })
      .optional(),
  })
  .refine((v) => v.start === undefined || v.minutes_from_now === undefined, {
    error: 'start: give start or minutes_from_now, not both',
    path: ['start'],
  });
export type SimulateRequest = z.output<typeof simulateRequestSchema>;

/** A simulated event lasts an hour unless told otherwise (a real one defaults to 4 h). */
export const SIMULATED_DEFAULT_MINUTES = 60;

export function toSimulateInput(request: SimulateRequest, nowMs: number): SimulateEventInput {
  const startMs =
    request.start !== undefined ? Date.parse(request.start) : nowMs + (request.minutes_from_now ?? 0) * 60_000;
  return {
    startMs,
    durationMinutes: request.duration_minutes ?? SIMULATED_DEFAULT_MINUTES,
    program: request.program ?? 'DLRP',
    type: request.type ?? 'contingency',
    ...(request.goal_kw === undefined ? {} : { goalKw: request.goal_kw }),
  };
}

export const optOutRequestSchema = z.strictObject({
  event_id: z
    .string({ error: 'event_id: expected an event id' })
    .min(1, { error: 'event_id: expected an event id' })
    .max(256, { error: 'event_id: expected an event id' })
    .optional(),
});

export const sharingRequestSchema = z.strictObject({
  level: z.enum(SHARING_LEVELS, { error: `level: expected one of ${SHARING_LEVELS.join('|')}` }),
});

/** `field: message` of the first issue, and the field alone (HTTP's `{error, field}`). */
export function firstProblem(error: z.ZodError): { message: string; field: string } {
  const issue = error.issues[0];
  if (!issue) return { message: 'invalid body', field: 'body' };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    return { message: `${key}: unknown field`, field: key };
  }
  const field = issue.path.map(String).join('.') || 'body';
  const message = issue.message.startsWith(`${field}:`) ? issue.message : `${field}: ${issue.message}`;
  return { message, field };
}
