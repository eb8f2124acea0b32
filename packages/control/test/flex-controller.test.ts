import { loadScheduler, type Plan, type Scheduler } from '@sps/scheduler';
import type { PlanGrid } from '../src/index';
import { startControlRig, type ControlRig } from './helpers/control-rig';

/**
 * The controller's planAdditions port (the EV and the deferrable loads) against the Sungrow
 * simulator over Modbus TCP: the loads ride in the battery's plan, and loads that make the plan
 * infeasible are dropped from it rather than costing the battery its plan.
 */
let scheduler: Scheduler;
let rig: ControlRig | undefined;

beforeAll(async () => {
  scheduler = await loadScheduler();
});

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function firstPlan(r: ControlRig): Promise<Plan> {
  const plans: Plan[] = [];
  r.controller.events.on('plan', (p) => plans.push(p));
  await r.controller.start();
  await r.controller.whenIdle();
  if (!plans[0]) throw new Error('no plan');
  return plans[0];
}

describe('Controller planAdditions', () => {
  it('co-optimises the loads it is given on the plan’s grid', async () => {
    const grids: PlanGrid[] = [];
    rig = await startControlRig(scheduler, {
      controller: {
        planAdditions: (grid) => {
          grids.push(grid);
          return {
            deferrable_loads: [{ name: 'pump', power_kw: 1, start_index: 2, end_index: 10, run_minutes: 60 }],
          };
        },
      },
    });
    const plan = await firstPlan(rig);
    expect(grids[0]).toMatchObject({ stepMs: 30 * 60_000, intervals: plan.intervals.length });
    expect(plan.status).toBe('optimal');
    const on = plan.intervals.flatMap((iv, t) => ((iv.deferrables?.[0]?.kw ?? 0) > 0 ? [t] : []));
    expect(on).toHaveLength(2);
    for (const t of on) expect(t >= 2 && t < 10).toBe(true);
  });

  it('plans the battery without loads that make the plan infeasible, and says so', async () => {
    rig = await startControlRig(scheduler, {
      controller: {
        planAdditions: () => ({
          // Three hours of run in a one-hour window.
          deferrable_loads: [{ name: 'pump', power_kw: 1, start_index: 2, end_index: 4, run_minutes: 180 }],
        }),
      },
    });
    const plan = await firstPlan(rig);
    expect(plan.status).toBe('optimal');
    expect(plan.intervals[0]?.deferrables).toBeUndefined();
    expect(rig.controller.status().lastError?.message).toMatch(/the EV and deferrable loads made the plan infeasible/);
    expect(rig.controller.status().mode).toBe('optimising');
  });
});
