import { CONTROLLER_GOALS, OverrideRequestError } from '@sps/control';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { OptimizerUnavailableError, type OptimizerRuntime } from '../optimizer/optimizer-runtime.js';
import { planChartPoints } from '../optimizer/plan-points.js';
import { formatPath } from '../zod-fields.js';
import { badRequest, errorReply, type ErrorReply } from './error-replies.js';
import { renderPlanSvg } from './plan-chart.js';

/** POST /api/optimizer: the HA switch and goal select, for the panel. */
const OptimizerChange = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).optional(),
    goal: z.enum(CONTROLLER_GOALS, { error: `expected one of ${CONTROLLER_GOALS.join(', ')}` }).optional(),
  })
  .refine((c) => c.enabled !== undefined || c.goal !== undefined, { error: 'give enabled, goal or both' });

function send(reply: FastifyReply, answer: ErrorReply): FastifyReply {
  if (answer.headers) reply.headers(answer.headers);
  return reply.code(answer.status).send(answer.body);
}

/** A controller failure as an HTTP answer: bad field 400, no optimiser 409, the guard's refusal 422. */
function overrideError(err: unknown): ErrorReply {
  if (err instanceof OverrideRequestError) return badRequest(err.message, err.field);
  if (err instanceof OptimizerUnavailableError) return { status: 409, body: { error: err.message } };
  return errorReply(err);
}

/**
 * GET /api/plan: the optimiser's state and the plan as it will run (a manual override is an input
 * of the plan: the intervals it fixes carry `override: true`), each interval with its reason,
 * forecasts and baseline cost;
 * GET /api/plan.svg: the same plan drawn by plan-chart.ts;
 * POST /api/optimizer `{enabled?, goal?}`; POST /api/optimizer/override `{kind, power_w?, soc_pct?,
 * duration_minutes}` (the controller's manual override: no power = the battery's effective
 * maximum); DELETE /api/optimizer/override ends it early.
 */
export function registerPlanRoutes(app: FastifyInstance, optimizer: OptimizerRuntime): void {
  app.get('/api/plan', async () => {
    const view = optimizer.view();
    const s = view.status;
    const command = s?.current.command;
    const appliedPower = command && 'power_w' in command ? command.power_w : undefined;
    const override = s?.override
      ? {
          ...s.override,
          // No power asked for = the effective maximum: show the power really written.
          ...(s.override.power_w === undefined && appliedPower !== undefined && s.override.kind !== 'hold_soc'
            ? { power_w: appliedPower }
            : {}),
        }
      : null;
    return {
      running: view.running,
      off_reason: view.offReason,
      battery_device: view.batteryDevice,
      enabled: view.enabled,
      goal: view.goal,
      mode: s?.mode ?? 'off',
      current: s?.current ?? null,
      next: s?.next ?? null,
      today: s?.today ?? null,
      fallback_reason: s?.fallbackReason ?? null,
      override,
      last_error: s?.lastError ?? null,
      plan_at: s?.planAt ?? null,
      plan: s?.plan ?? null,
      // Several batteries (issue 12): each one's state, and the plan of all of them together.
      batteries: view.batteries.map((b) => ({
        device: b.device,
        station: b.station,
        planned: b.planned,
        reason: b.reason,
        mode: b.status?.mode ?? 'off',
        current: b.status?.current ?? null,
        fallback_reason: b.status?.fallbackReason ?? null,
        override: b.status?.override ?? null,
        last_error: b.status?.lastError ?? null,
      })),
      joint_plan: view.jointPlan
        ? {
            members: view.jointPlan.members,
            excluded: view.jointPlan.excluded,
            at: new Date(view.jointPlan.at).toISOString(),
            plan: view.jointPlan.plan,
          }
        : null,
      // The EV's planned charging and each deferrable load (window, run time, manual hold); per-interval
      // on/off is in plan.intervals[].ev_kw and plan.intervals[].deferrables.
      ev: view.flexLoads?.ev ?? null,
      deferrable_loads: view.flexLoads?.deferrables ?? [],
    };
  });
  app.get('/api/plan.svg', async (_request, reply) => {
    const view = optimizer.view();
    // With several batteries the chart is the joint plan (each battery's SOC and power); else the battery's.
    const plan =
      view.jointPlan && view.jointPlan.members.length > 1 ? view.jointPlan.plan : (view.status?.plan ?? null);
    const svg = renderPlanSvg(plan ? planChartPoints(plan) : [], plan ? { currency: plan.currency } : {});
    return reply.header('content-type', 'image/svg+xml; charset=utf-8').header('cache-control', 'no-cache').send(svg);
  });

  app.post('/api/optimizer', async (request, reply) => {
    const parsed = OptimizerChange.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? '?'] : (issue?.path ?? []);
      const field = path.length > 0 ? formatPath(path) : 'body';
      const text = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid');
      return send(reply, badRequest(`${field}: ${text}`, field));
    }
    const { enabled, goal } = parsed.data;
    if (enabled !== undefined) await optimizer.setEnabled(enabled);
    if (goal !== undefined) await optimizer.setGoal(goal);
    const view = optimizer.view();
    return { enabled: view.enabled, goal: view.goal };
  });

  app.post('/api/optimizer/override', async (request, reply) => {
    try {
      const override = await optimizer.require().startOverride(request.body ?? {});
      return { override };
    } catch (err) {
      const answer = overrideError(err);
      if (answer.status === 500) request.log.error({ err }, 'override failed unexpectedly');
      return send(reply, answer);
    }
  });

  app.delete('/api/optimizer/override', async (request, reply) => {
    try {
      await optimizer.require().clearOverride();
      return { override: null };
    } catch (err) {
      const answer = overrideError(err);
      if (answer.status === 500) request.log.error({ err }, 'cancelling the override failed unexpectedly');
      return send(reply, answer);
    }
  });
}
