import type { FastifyInstance } from 'fastify';
import type { OptimizerRuntime } from '../optimizer/optimizer-runtime.js';
import { planChartPoints } from '../optimizer/plan-points.js';
import { renderPlanSvg } from './plan-chart.js';

/**
 * GET /api/plan: the optimiser's state and the plan in force (or why there is none);
 * GET /api/plan.svg: the same plan drawn by plan-chart.ts, which the panel puts inline.
 */
export function registerPlanRoutes(app: FastifyInstance, optimizer: OptimizerRuntime): void {
  app.get('/api/plan', async () => {
    const view = optimizer.view();
    const s = view.status;
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
      override: s?.override ?? null,
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
}
