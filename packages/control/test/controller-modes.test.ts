import { ManualClock, type Command, type CommandOutcome, type DeviceCapabilities, type ReadingSet } from '@sps/core';
import { loadScheduler, type Scheduler } from '@sps/scheduler';
import { Controller, SafetyGuard, type ControlledDevice, type PowerForecastSource } from '@sps/control';
import { DAY_START, HOUR, MINUTE, TestPriceSource, dayOfPrices } from './helpers/control-rig';

/** Goals, the guard's refusals and hand-back on stop, against an in-memory device (commands recorded). */

class RecordingDevice implements ControlledDevice {
  readonly id = 'battery';
  readonly commands: Command[] = [];
  soc = 50;
  constructor(private readonly clock: ManualClock) {}
  capabilities(): DeviceCapabilities {
    return {
      commands: ['force_charge', 'force_discharge', 'restore_normal'],
      limits: { maxChargeW: 5000, maxDischargeW: 5000, capacityWh: 10_000 },
    };
  }
  latestReadings(): ReadingSet {
    return { timestamp: this.clock.now(), values: { battery_soc: this.soc, load_power: 500, pv_power: 0 } };
  }
  availability(): undefined {
    return undefined;
  }
  execute(command: Command): Promise<CommandOutcome> {
    this.commands.push(command);
    return Promise.resolve({ command, applied: {}, writes: 1 });
  }
}

const flat = (kw: number): PowerForecastSource => ({
  forecast: (g) => {
    const out = [];
    for (let t = g.from; t < g.to; t += g.stepMs) out.push({ start: t, end: t + g.stepMs, kw });
    return out;
  },
});

let scheduler: Scheduler;
beforeAll(async () => {
  scheduler = await loadScheduler();
});

function setup(startHour: number): { clock: ManualClock; device: RecordingDevice; controller: Controller } {
  const clock = new ManualClock(DAY_START + startHour * HOUR);
  const device = new RecordingDevice(clock);
  const controller = new Controller({
    device,
    guard: new SafetyGuard({ limits: { backupReservePct: 10 }, clock }),
    scheduler,
    prices: new TestPriceSource(dayOfPrices(DAY_START - 2 * HOUR, 4)),
    solar: flat(0),
    load: flat(0.5),
    currency: 'AUD',
    clock,
    intervalMinutes: 30,
    horizonHours: 24,
  });
  return { clock, device, controller };
}

async function run(clock: ManualClock, controller: Controller, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += MINUTE) {
    await clock.advance(MINUTE);
    await controller.whenIdle();
  }
}

describe('Controller goals', () => {
  it('off hands a forced battery back once, then writes nothing; cost resumes the plan', async () => {
    const { clock, device, controller } = setup(1);
    await controller.start();
    expect(device.commands).toEqual([{ type: 'force_charge', power_w: expect.any(Number) as number }]);
    await controller.setGoal('off');
    expect(device.commands[1]).toEqual({ type: 'restore_normal' });
    await run(clock, controller, 30 * MINUTE);
    expect(device.commands).toHaveLength(2);
    const s = controller.status();
    expect(s).toMatchObject({ goal: 'off', mode: 'off', plan: null, current: { action: 'OFF', command: null } });
    await controller.setGoal('cost');
    expect(device.commands[2]?.type).toBe('force_charge');
    await controller.stop();
  });

  it('the optimisation switch off behaves like goal off', async () => {
    const { device, controller } = setup(1);
    await controller.start();
    await controller.setEnabled(false);
    expect(device.commands.map((c) => c.type)).toEqual(['force_charge', 'restore_normal']);
    expect(controller.status()).toMatchObject({
      enabled: false,
      mode: 'off',
      current: { reason: 'optimisation disabled' },
    });
    await controller.stop();
    expect(device.commands).toHaveLength(2);
  });

  it('self_consumption puts the battery in its own mode and plans nothing', async () => {
    const { clock, device, controller } = setup(1);
    await controller.start();
    await controller.setGoal('self_consumption');
    await run(clock, controller, 10 * MINUTE);
    expect(device.commands.map((c) => c.type)).toEqual(['force_charge', 'restore_normal']);
    expect(controller.status()).toMatchObject({
      mode: 'self_consumption',
      plan: null,
      current: { action: 'SELF_CONSUMPTION' },
    });
    await controller.stop();
  });
});

describe('Controller safety', () => {
  it('a forced discharge the guard refuses (battery at the reserve) becomes self-consumption, with the error reported', async () => {
    const { device, controller } = setup(12);
    device.soc = 10;
    await controller.start();
    await controller.startOverride({ kind: 'force_discharge', duration_minutes: 30 });
    expect(device.commands[device.commands.length - 1]).toEqual({ type: 'restore_normal' });
    expect(device.commands.some((c) => c.type === 'force_discharge')).toBe(false);
    const s = controller.status();
    expect(s.lastError?.message).toMatch(
      /^discharge at 5000 W refused by the safety guard: type: force_discharge refused/,
    );
    expect(s.current.reason).toMatch(/refused by the safety guard, self-consumption instead$/);
    await controller.stop();
  });

  it('refuses an override whose requested power breaks a limit, with the guard’s reason', async () => {
    const { device, controller } = setup(1);
    await controller.start();
    const before = device.commands.length;
    await expect(
      controller.startOverride({ kind: 'force_charge', power_w: 9000, duration_minutes: 10 }),
    ).rejects.toThrow('power_w: 9000 W exceeds the maximum charge power of 5000 W');
    expect(device.commands).toHaveLength(before);
    expect(controller.status().override).toBeNull();
    await controller.stop();
  });

  it('an override without a power uses the largest the limits allow', async () => {
    const { device, controller } = setup(1);
    await controller.start();
    await controller.startOverride({ kind: 'force_charge', duration_minutes: 10 });
    expect(device.commands[device.commands.length - 1]).toEqual({ type: 'force_charge', power_w: 5000 });
    await controller.stop();
  });

  it('stop() ends a forced mode (an inverter must not keep force-charging without us)', async () => {
    const { device, controller } = setup(1);
    await controller.start();
    expect(device.commands[0]?.type).toBe('force_charge');
    await controller.stop();
    expect(device.commands[device.commands.length - 1]).toEqual({ type: 'restore_normal' });
  });
});

describe('Controller plan view', () => {
  it('each interval carries its reason, forecasts and baseline cost', async () => {
    const { controller } = setup(1);
    await controller.start();
    const plan = controller.status().plan;
    expect(plan?.intervals.length).toBeGreaterThan(0);
    for (const i of plan?.intervals ?? []) {
      expect(i.reason.length).toBeGreaterThan(0);
      expect(i.load_kw).toBe(0.5);
      expect(i.pv_kw).toBe(0);
      expect(typeof i.baseline_cost).toBe('number');
      expect(i.override).toBeUndefined();
    }
    await controller.stop();
  });

  it('a manual override feeds the plan: the intervals under it show the forced action and SOC, then the plan resumes', async () => {
    const { clock, device, controller } = setup(1);
    await controller.start();
    const o = await controller.startOverride({ kind: 'force_discharge', power_w: 2000, duration_minutes: 60 });
    expect(device.commands[device.commands.length - 1]).toEqual({ type: 'force_discharge', power_w: 2000 });
    const s = controller.status();
    expect(s.override).toMatchObject({ kind: 'force_discharge', power_w: 2000, until: o.until });
    const under = (s.plan?.intervals ?? []).filter((i) => i.override === true);
    // 30-minute intervals: the one in progress and the next one lie under a 60-minute override.
    expect(under.length).toBe(2);
    for (const i of under) {
      expect(i).toMatchObject({ action: 'EXPORT', battery_discharge_kw: 2, battery_charge_kw: 0 });
      expect(i.reason).toBe(`manual override: force discharge at 2000 W until ${o.until}`);
      // 0.5 kW of load, 2 kW out of the battery: 1.5 kW exported.
      expect(i.grid_export_kw).toBeCloseTo(1.5, 6);
      expect(i.grid_import_kw).toBe(0);
    }
    // 2 kW for 30 min from a 10 kWh battery at 50 %: 1 kWh / 0.95 out, ≈ 10.5 % per interval.
    expect(under[0]?.soc_pct).toBeCloseTo(50 - 100 / 0.95 / 10, 2);
    expect(under[1]?.soc_pct).toBeCloseTo(50 - 200 / 0.95 / 10, 2);
    const after = s.plan?.intervals.find((i) => Date.parse(i.start) >= Date.parse(o.until));
    expect(after?.override).toBeUndefined();

    await run(clock, controller, 61 * MINUTE);
    const ended = controller.status();
    expect(ended.override).toBeNull();
    expect(ended.plan?.intervals.some((i) => i.override === true)).toBe(false);
    await controller.stop();
  });

  it('the override is an input of the plan: its SOC carries on after it and the rest is planned around it', async () => {
    const { controller } = setup(1);
    await controller.start();
    const o = await controller.startOverride({ kind: 'force_discharge', power_w: 2000, duration_minutes: 60 });
    const plan = controller.status().plan!;
    const intervals = plan.intervals;
    const end = intervals.findIndex((i) => Date.parse(i.start) >= Date.parse(o.until));
    expect(end).toBe(2);
    // Every interval follows from the one before it (10 kWh, 95 % each way, 30 minutes): no jump
    // after the override's end, where the old overlay shifted the plan made without it.
    let soc = 50;
    for (const i of intervals) {
      soc += ((i.battery_charge_kw * 0.95 - i.battery_discharge_kw / 0.95) * 0.5 * 100) / 10;
      expect(i.soc_pct).toBeCloseTo(soc, 4);
    }
    // Planned around it: the cheap night after the override refills what was given away
    // (the 08 c night and the 52 c evening), so the SOC climbs again before the evening.
    const refill = intervals.slice(end).filter((i) => i.action === 'CHARGE');
    expect(refill.length).toBeGreaterThan(0);
    expect(intervals.slice(end).every((i) => i.override === undefined)).toBe(true);
    // The plan's cost is the plan's own: the export of the override's intervals counted in it.
    expect(plan.cost).not.toBeNull();
    await controller.stop();
  });

  it('setting and clearing an override re-plans at once, not at the next 5-minute re-plan', async () => {
    const { controller } = setup(1);
    const plans: number[] = [];
    controller.events.on('plan', (p) => plans.push(p.intervals.filter((i) => i.override === true).length));
    await controller.start();
    expect(plans).toEqual([0]);
    await controller.startOverride({ kind: 'hold_soc', duration_minutes: 90 });
    expect(plans).toEqual([0, 3]);
    expect(controller.status().plan?.intervals[0]).toMatchObject({
      action: 'IDLE',
      battery_charge_kw: 0,
      battery_discharge_kw: 0,
      override: true,
    });
    await controller.clearOverride();
    expect(plans).toEqual([0, 3, 0]);
    // Back to the plan's own first interval (the 08 c night: charging).
    expect(controller.status().plan?.intervals[0]?.action).toBe('CHARGE');
    await controller.stop();
  });

  it('an override past the battery’s planning limit is clipped in the plan, with the reason', async () => {
    const clock = new ManualClock(DAY_START + HOUR);
    const device = new RecordingDevice(clock);
    const controller = new Controller({
      device,
      guard: new SafetyGuard({ limits: { backupReservePct: 10 }, clock }),
      scheduler,
      prices: new TestPriceSource(dayOfPrices(DAY_START - 2 * HOUR, 4)),
      solar: flat(0),
      load: flat(0.5),
      currency: 'AUD',
      clock,
      intervalMinutes: 30,
      horizonHours: 24,
      // The plan may charge at 3 kW (a user's cap); the guard allows the device 5 kW.
      battery: { maxChargeW: 3000 },
    });
    await controller.start();
    await controller.startOverride({ kind: 'force_charge', power_w: 4000, duration_minutes: 30 });
    const first = controller.status().plan?.intervals[0];
    expect(first).toMatchObject({ action: 'CHARGE', battery_charge_kw: 3, override: true });
    expect(first?.reason).toMatch(
      /^manual override: force charge at 4000 W until .* \(clipped to 3\.00 kW, the battery's charge limit\)$/,
    );
    await controller.stop();
  });

  it('an override without a power projects the effective maximum', async () => {
    const { controller } = setup(1);
    await controller.start();
    await controller.startOverride({ kind: 'force_charge', duration_minutes: 30 });
    const first = controller.status().plan?.intervals.find((i) => i.override === true);
    expect(first).toMatchObject({ action: 'CHARGE', battery_charge_kw: 5 });
    await controller.stop();
  });
});
