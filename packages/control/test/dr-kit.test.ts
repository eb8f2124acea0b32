import { loadScheduler, type Scheduler } from '@sps/scheduler';
import {
  DEFAULT_GRID_PI,
  type CurtailableRelay,
  type DemandResponseDirective,
  type DemandResponsePort,
  type GridMeasurement,
  type PricePoint,
  type SafetyGuard,
  type TrackedDevice,
} from '@sps/control';
import type { SungrowPhysicsConfig } from '@sps/device-sungrow';
import {
  DAY_START,
  FORCED_COMMAND_CODE,
  HOUR,
  MINUTE,
  startControlRig,
  TestPriceSource,
  type ControlRig,
} from './helpers/control-rig';

/**
 * Demand response on the simulated kit: the real controller (ManualClock) drives the Sungrow
 * simulator over Modbus TCP on loopback; the simulator's physics is grid = load − PV − battery, so
 * the grid import answers the battery as a real meter does. The device is polled every 5 s (what
 * the add-on's runner does), and the DR port's grid measurement is the inverter's own meter
 * reading (`grid_power`, > 0 import).
 */

const PERIOD = DEFAULT_GRID_PI.periodMs;
const POLL_MS = 5000;
/** The evening peak: no PV, a steady ~2.1 kW household load. */
const EVENING = DAY_START + 18.75 * HOUR;
const RESERVE = 10; // the rig's guard: backupReservePct 10, max charge/discharge 5 kW, export 5 kW

/** The winter kit with a quiet load (±40 W per minute), so ±10 % of the goal is about control, not noise. */
const QUIET: Partial<SungrowPhysicsConfig> = {
  initialSocPct: 80,
  efficiency: 0.96,
  pvPeakW: 1500,
  seed: 3,
  loadNoiseW: 40,
};

/** The calendar as the test sets it; the measurement is the inverter's meter, or frozen (stale). */
class TestDrPort implements DemandResponsePort {
  current: DemandResponseDirective = { mode: 'normal' };
  frozen: GridMeasurement | undefined | null = null;
  constructor(private readonly device: TrackedDevice) {}
  directive(): DemandResponseDirective {
    return this.current;
  }
  gridImport(): GridMeasurement | undefined {
    if (this.frozen !== null) return this.frozen;
    const r = this.device.latestReadings();
    const w = r?.values['grid_power'];
    return r && typeof w === 'number' ? { w, atMs: r.timestamp } : undefined;
  }
}

interface Sample {
  readonly at: number;
  readonly grid: number;
  readonly battery: number;
  readonly load: number;
  readonly soc: number;
  readonly ems: number;
  readonly forced: number;
  readonly power: number;
}

let scheduler: Scheduler;
let rig: ControlRig | undefined;

beforeAll(async () => {
  scheduler = await loadScheduler();
});

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Advances in 5 s steps (timers fire in order), polls after each, and samples the physics. */
async function run(r: ControlRig, ms: number, samples: Sample[] = []): Promise<Sample[]> {
  const end = r.clock.now() + ms;
  while (r.clock.now() < end) {
    await r.clock.advance(Math.min(POLL_MS, end - r.clock.now()));
    await r.controller.whenIdle();
    await r.device.poll();
    r.controller.readingsChanged();
    const s = r.sim.state;
    samples.push({
      at: r.clock.now(),
      grid: s.gridPowerW,
      battery: s.batteryPowerW,
      load: s.loadPowerW,
      soc: s.socPct,
      ...r.registers(),
    });
  }
  return samples;
}

/** No safety limit broken in any sample: reserve, max discharge, export limit. */
function expectSafe(samples: readonly Sample[], o: { maxDischargeW: number; exportLimitW: number }): void {
  for (const s of samples) {
    expect(s.soc).toBeGreaterThanOrEqual(RESERVE - 0.2);
    expect(s.battery).toBeLessThanOrEqual(o.maxDischargeW);
    if (s.forced === FORCED_COMMAND_CODE.discharge) expect(s.power).toBeLessThanOrEqual(o.maxDischargeW);
    expect(s.grid).toBeGreaterThanOrEqual(-o.exportLimitW - 100);
  }
}

async function startWithPort(
  physics: Partial<SungrowPhysicsConfig>,
  extra: Parameters<ControlRig['makeController']>[0] = {},
): Promise<{ r: ControlRig; port: TestDrPort }> {
  rig = await startControlRig(scheduler, { start: EVENING, physics });
  const r = rig;
  const port = new TestDrPort(r.device);
  r.controller = r.makeController({ demandResponse: port, deviceStaleMs: 10 * MINUTE, ...extra });
  await r.controller.start();
  await run(r, 2 * MINUTE);
  return { r, port };
}

function startEvent(r: ControlRig, port: TestDrPort, setpointW: number, id = 'csrp-1'): void {
  port.current = { mode: 'ongoing', eventId: id, eventEndMs: r.clock.now() + 2 * HOUR, importSetpointW: setpointW };
  r.controller.demandResponseChanged();
}

describe('the grid PI on the simulated kit', () => {
  it('holds the goal within ±10 % after 3 control periods, within the write budget', async () => {
    const { r, port } = await startWithPort(QUIET);
    // The baseline: what the house draws from the grid without the battery.
    const baseline = r.sim.state.loadPowerW - r.sim.state.pvPowerW;
    const goal = 1500;
    const setpoint = baseline - goal;
    const commands: number[] = [];
    r.controller.events.on('command', () => commands.push(r.clock.now()));
    const start = r.clock.now();
    startEvent(r, port, setpoint);
    const samples = await run(r, 10 * MINUTE);

    const settled = samples.filter((s) => s.at >= start + 3 * PERIOD + POLL_MS + 1000);
    expect(settled.length).toBeGreaterThan(100);
    for (const s of settled) expect(Math.abs(s.grid - setpoint)).toBeLessThanOrEqual(0.1 * goal);
    expectSafe(samples, { maxDischargeW: 5000, exportLimitW: 5000 });
    // The write budget is 12 per minute: the loop stays far under it.
    for (const t of commands) expect(commands.filter((c) => c > t - MINUTE && c <= t).length).toBeLessThanOrEqual(4);
    expect(commands.length).toBeLessThanOrEqual(20);

    const status = r.controller.status();
    expect(status.mode).toBe('demand_response');
    expect(status.demandResponse).toMatchObject({ mode: 'ongoing', eventId: 'csrp-1', setpointW: setpoint });
    const pi = status.demandResponse!.pi!;
    expect(pi.setpointW).toBe(setpoint);
    expect(Math.abs(pi.errorW!)).toBeLessThanOrEqual(0.1 * goal);
    expect(pi.outputW).toBeGreaterThan(1000);
    expect(status.current.reason).toMatch(/^event csrp-1: holding grid import at ≤ \d+ W/);
  }, 120_000);

  it('with the simulator’s default load noise (±150 W a minute): 30 minutes, almost always within ±10 %', async () => {
    const { r, port } = await startWithPort({ ...QUIET, loadNoiseW: 150 });
    const goal = 1500;
    const setpoint = r.sim.state.loadPowerW - goal;
    let commands = 0;
    r.controller.events.on('command', () => (commands += 1));
    const start = r.clock.now();
    startEvent(r, port, setpoint);
    const samples = await run(r, 30 * MINUTE);
    const errors = samples.filter((s) => s.at > start + MINUTE).map((s) => Math.abs(s.grid - setpoint));
    const within = errors.filter((e) => e <= 0.1 * goal).length / errors.length;
    // Measured: 98.6 % of 5-second samples within ±10 %, mean |error| 35 W, 22 writes in 30 min.
    expect(within).toBeGreaterThanOrEqual(0.95);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThanOrEqual(0.05 * goal);
    expect(commands).toBeLessThanOrEqual(30);
    expectSafe(samples, { maxDischargeW: 5000, exportLimitW: 5000 });
  }, 180_000);

  it('when the goal is not feasible (load above what the battery may give) it saturates safely, and recovers without windup', async () => {
    const { r, port } = await startWithPort(QUIET, {
      battery: { chargeEfficiency: 0.96, dischargeEfficiency: 0.96, maxDischargeW: 1000 },
    });
    startEvent(r, port, 200); // ~1.9 kW needed, 1 kW allowed
    const samples = await run(r, 5 * MINUTE);
    expectSafe(samples, { maxDischargeW: 1000, exportLimitW: 5000 });
    const pi = r.controller.status().demandResponse!.pi!;
    expect(pi.outputW).toBe(1000);
    expect(pi.integralW).toBeLessThanOrEqual(1000);
    expect(samples[samples.length - 1]!.battery).toBe(1000);
    // The goal becomes reachable: out of saturation within a few periods (no stored excess to unwind).
    const reachable = r.sim.state.loadPowerW - 600;
    port.current = { ...port.current, importSetpointW: reachable } as DemandResponseDirective;
    const after = await run(r, 4 * PERIOD);
    expect(Math.abs(after[after.length - 1]!.grid - reachable)).toBeLessThanOrEqual(150);
  }, 120_000);

  it('never exports above the export limit, whatever the setpoint asks', async () => {
    const { r, port } = await startWithPort(QUIET, { grid: { maxExportW: 300 } });
    startEvent(r, port, -3000); // would need ~5 kW of discharge: export is capped at 300 W
    const samples = await run(r, 4 * MINUTE);
    expectSafe(samples, { maxDischargeW: 5000, exportLimitW: 300 });
    expect(Math.min(...samples.slice(-10).map((s) => s.grid))).toBeLessThan(-150); // it does go as far as allowed
  }, 120_000);

  it('stops discharging at the backup reserve mid-event (the inverter’s own floor is 0 %)', async () => {
    const { r, port } = await startWithPort({ ...QUIET, initialSocPct: 11.5 });
    // The installer left the inverter's own minimum SOC at 0: only the controller keeps the reserve.
    await r.adapter.execute({ type: 'set_backup_reserve', percent: 0 });
    startEvent(r, port, 300);
    const samples = await run(r, 8 * MINUTE);
    expectSafe(samples, { maxDischargeW: 5000, exportLimitW: 5000 });
    // It did discharge, then held at the reserve.
    expect(samples.some((s) => s.battery > 1000)).toBe(true);
    const last = samples[samples.length - 1]!;
    expect(last.battery).toBeLessThanOrEqual(0);
    const status = r.controller.status();
    expect(status.demandResponse!.pi).toMatchObject({ condition: 'at_floor', outputW: 0 });
    expect(status.current.reason).toMatch(/battery at its reserve \(10 %\), discharge stopped/);
  }, 120_000);

  it('a stale grid measurement: the output is held, then after 3 periods the plan takes over and says why', async () => {
    const { r, port } = await startWithPort(QUIET);
    startEvent(r, port, r.sim.state.loadPowerW - 1200);
    await run(r, 2 * MINUTE);
    port.frozen = port.gridImport();
    // (That measurement may still be new to the loop once.)
    await run(r, PERIOD);
    const held = r.registers();
    await run(r, PERIOD);
    expect(r.controller.status().mode).toBe('demand_response');
    expect(r.controller.status().demandResponse!.pi!.condition).toBe('hold_stale');
    expect(r.registers()).toEqual(held);
    await run(r, 2 * PERIOD);
    const status = r.controller.status();
    expect(status.mode).not.toBe('demand_response');
    expect(status.current.reason).toMatch(
      /^event csrp-1: the grid measurement is stale \(last .*\), following the plan: /,
    );
    // The meter is back: the loop resumes.
    port.frozen = null;
    await run(r, 2 * PERIOD);
    expect(r.controller.status().mode).toBe('demand_response');
  }, 120_000);
});

/**
 * Dear until 19:00, cheap from 19:00 to 01:00, no export price: right after the event the plan
 * wants to charge at full power, the rebound a ramp must prevent.
 */
function reboundPrices(): TestPriceSource {
  const out: PricePoint[] = [];
  for (let s = DAY_START - 2 * HOUR; s < DAY_START + 3 * 24 * HOUR; s += 30 * MINUTE) {
    const cheap = s >= DAY_START + 19 * HOUR && s < DAY_START + 25 * HOUR;
    out.push({ start: s, end: s + 30 * MINUTE, import: cheap ? 0.05 : 0.4, export: 0 });
  }
  return new TestPriceSource(out);
}

describe('what wins over an event', () => {
  it('a manual override wins during the event; the loop resumes when it ends', async () => {
    const { r, port } = await startWithPort(QUIET);
    startEvent(r, port, r.sim.state.loadPowerW - 1200);
    await run(r, 2 * MINUTE);
    expect(r.registers()).toMatchObject({ ems: 2, forced: FORCED_COMMAND_CODE.discharge });
    // Two things at once: the user forces a charge while the loop is running.
    await Promise.all([
      r.controller.startOverride({ kind: 'force_charge', power_w: 2000, duration_minutes: 2 }),
      run(r, PERIOD),
    ]);
    await run(r, 30_000);
    expect(r.registers()).toMatchObject({ ems: 2, forced: FORCED_COMMAND_CODE.charge, power: 2000 });
    const during = r.controller.status();
    expect(during.mode).toBe('override');
    expect(during.demandResponse!.reason).toMatch(/^manual override in force/);
    await run(r, 3 * MINUTE);
    expect(r.controller.status().mode).toBe('demand_response');
    expect(r.registers()).toMatchObject({ ems: 2, forced: FORCED_COMMAND_CODE.discharge });
  }, 120_000);

  it('a spent write budget postpones the loop’s writes; it catches up once the minute has passed', async () => {
    const { r, port } = await startWithPort(QUIET);
    const baseline = r.sim.state.loadPowerW;
    startEvent(r, port, baseline - 800);
    await run(r, 2 * MINUTE);
    // Another caller (the panel, HA, a script) spends the whole budget, then the load changes.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const command = { type: 'set_charge_limit' as const, power_w: 1000 + 10 * i };
        return r.guard.write('inverter', command, () => r.adapter.execute(command));
      }),
    );
    expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
    port.current = { ...port.current, importSetpointW: baseline - 1600 } as DemandResponseDirective;
    await run(r, 30_000);
    expect(r.controller.status().lastError?.message).toMatch(/^write postponed: write rate limit/);
    const samples = await run(r, 2 * MINUTE);
    const last = samples[samples.length - 1]!;
    expect(Math.abs(last.grid - (baseline - 1600))).toBeLessThanOrEqual(160);
  }, 120_000);

  it('a calendar that throws is no event: the plan goes on and the error is shown', async () => {
    const { r, port } = await startWithPort(QUIET);
    port.directive = (): DemandResponseDirective => {
      throw new Error('calendar store closed');
    };
    r.controller.demandResponseChanged();
    await run(r, MINUTE);
    const status = r.controller.status();
    expect(status.mode).toBe('optimising');
    expect(status.demandResponse!.mode).toBe('normal');
    expect(status.lastError?.message).toBe('demand-response directive failed: calendar store closed');
  }, 60_000);

  it('stop (SIGTERM) in the middle of an event hands the battery back and leaves no timer running', async () => {
    const { r, port } = await startWithPort(QUIET);
    startEvent(r, port, r.sim.state.loadPowerW - 1200);
    await run(r, MINUTE);
    expect(r.controller.status().mode).toBe('demand_response');
    const pending = r.clock.pendingTimers;
    await r.controller.stop();
    expect(r.registers()).toMatchObject({ ems: 0, forced: FORCED_COMMAND_CODE.stop });
    // The ticker, the re-plan timer and the loop's own timer are all gone.
    expect(r.clock.pendingTimers).toBeLessThan(pending);
    const writes = r.sim.writeCount;
    await r.clock.advance(5 * MINUTE);
    expect(r.sim.writeCount).toBe(writes);
  }, 120_000);
});

describe('after the event', () => {
  it('ramps the import back up at no more than rampWPerMin (no rebound spike) before the plan, which wants to charge, takes over', async () => {
    rig = await startControlRig(scheduler, {
      start: EVENING,
      physics: { ...QUIET, initialSocPct: 60 },
      prices: reboundPrices(),
    });
    const r = rig;
    const port = new TestDrPort(r.device);
    r.controller = r.makeController({ demandResponse: port });
    await r.controller.start();
    await run(r, 2 * MINUTE);
    startEvent(r, port, r.sim.state.loadPowerW - 1800);
    await run(r, 3 * MINUTE);
    const ramp = 300;
    const t0 = r.clock.now();
    const g0 = r.sim.state.gridPowerW;
    port.current = { mode: 'post_event', eventId: 'csrp-1', untilMs: t0 + 15 * MINUTE, rampWPerMin: ramp };
    r.controller.demandResponseChanged();
    // 18:50 → 19:10: the plan charges at up to 5 kW from 19:00.
    const samples = await run(r, 20 * MINUTE);
    // Never above the ramp's line (the loop's own tolerance: dead band + minimum change + a noise step).
    const tolerance = DEFAULT_GRID_PI.deadBandW + DEFAULT_GRID_PI.minChangeW + 80;
    for (const s of samples) expect(s.grid).toBeLessThanOrEqual(g0 + (ramp * (s.at - t0)) / MINUTE + tolerance);
    // Minute over minute, the import never rises by much more than the ramp.
    for (const s of samples) {
      const before = samples.find((b) => b.at >= s.at - MINUTE);
      if (before && s.at - before.at >= MINUTE - POLL_MS)
        expect(s.grid - before.grid).toBeLessThanOrEqual(ramp + tolerance);
    }
    // It does ramp: the event's ~1.8 kW of discharge comes down over about 1800 / 300 = 6 minutes …
    const lowDischarge = samples.find((s) => s.battery < 200);
    expect(lowDischarge!.at - t0).toBeGreaterThanOrEqual(4.5 * MINUTE);
    // … and then the plan is back in charge (its hysteresis decides when it starts charging).
    const status = r.controller.status();
    expect(status.demandResponse).toMatchObject({
      mode: 'post_event',
      reason: expect.stringMatching(/back on the plan/),
    });
    expect(status.mode).toBe('optimising');
  }, 120_000);
});

/** A relay behind the guard: its minimum on/off time is the guard's relay hold. */
class GuardedRelay implements CurtailableRelay {
  on = true;
  readonly changes: { on: boolean; at: number }[] = [];
  constructor(
    readonly id: string,
    readonly powerW: number | undefined,
    private readonly guard: SafetyGuard,
    private readonly now: () => number,
  ) {}
  isOn(): boolean {
    return this.on;
  }
  switchOff(): Promise<void> {
    return this.set(false);
  }
  switchOn(): Promise<void> {
    return this.set(true);
  }
  private async set(on: boolean): Promise<void> {
    const command = { type: 'set_relay' as const, on, channel: 0 };
    await this.guard.write(this.id, command, () => {
      this.on = on;
      this.changes.push({ on, at: this.now() });
      return Promise.resolve({ command, applied: { on }, writes: 1 });
    });
  }
}

describe('curtailment at the floor', () => {
  it('switches allowed relays off one per period (largest first), and back on after the event, across a restart, within the relay hold', async () => {
    rig = await startControlRig(scheduler, { start: EVENING, physics: { ...QUIET, initialSocPct: 10.4 } });
    const r = rig;
    const holdMs = 5 * MINUTE;
    const relays = [
      new GuardedRelay('relay-heater', 800, r.guard, () => r.clock.now()),
      new GuardedRelay('relay-pool', 1500, r.guard, () => r.clock.now()),
      new GuardedRelay('relay-unknown', undefined, r.guard, () => r.clock.now()),
    ];
    for (const relay of relays) r.guard.holdRelay({ deviceId: relay.id, channel: 0, minOnOffMs: holdMs });
    const port = new TestDrPort(r.device);
    const allowed = relays.slice(0, 2); // the user allows two of the three
    r.controller = r.makeController({ demandResponse: port, curtailableRelays: allowed });
    await r.controller.start();
    await r.adapter.execute({ type: 'set_backup_reserve', percent: 0 });
    startEvent(r, port, 200);
    await run(r, 4 * MINUTE);
    // At the floor with the import far above 200 W: the pool (1.5 kW) first, the heater a period later.
    expect(r.controller.status().demandResponse!.pi!.condition).toBe('at_floor');
    const [heater, pool, unknown] = relays as [GuardedRelay, GuardedRelay, GuardedRelay];
    expect(pool.on).toBe(false);
    expect(heater.on).toBe(false);
    expect(unknown.on).toBe(true);
    expect(pool.changes[0]!.at).toBeLessThan(heater.changes[0]!.at);
    expect(heater.changes[0]!.at - pool.changes[0]!.at).toBeGreaterThanOrEqual(PERIOD);
    expect(r.controller.status().demandResponse!.curtailment!.switchedOff).toEqual(['relay-pool', 'relay-heater']);

    // A restart 30 s later, and the event ended meanwhile: the new controller finds what was switched
    // off (the state store) and switches it back on as soon as each relay's hold allows.
    await run(r, 30_000);
    await r.controller.stop({ handBack: false });
    port.current = { mode: 'normal' };
    r.controller = r.makeController({ demandResponse: port, curtailableRelays: allowed });
    await r.controller.start();
    await run(r, 30_000);
    expect(pool.on).toBe(false); // inside its 5-minute hold: refused, kept for later
    expect(r.controller.status().demandResponse!.curtailment!.switchedOff).toEqual(['relay-pool', 'relay-heater']);
    await run(r, 3 * MINUTE);
    expect(pool.on).toBe(true);
    expect(heater.on).toBe(true);
    expect(r.controller.status().demandResponse!.curtailment!.switchedOff).toEqual([]);
    expect(r.state.getState('demand_response', 'curtailment')).toBeNull();
    // Every relay change respected the hold; the relay not allowed was never touched.
    for (const relay of [pool, heater]) {
      expect(relay.changes.map((c) => c.on)).toEqual([false, true]);
      expect(relay.changes[1]!.at - relay.changes[0]!.at).toBeGreaterThanOrEqual(holdMs);
    }
    expect(unknown.changes).toEqual([]);
  }, 120_000);
});

describe('upcoming', () => {
  it('puts the energy target into the plan at the event start and reports it', async () => {
    rig = await startControlRig(scheduler, { start: DAY_START + 10 * HOUR, physics: { ...QUIET, initialSocPct: 30 } });
    const r = rig;
    const port = new TestDrPort(r.device);
    // Midday prices are flat until 15:00, so without the target the plan would spread its charging;
    // with it, 95 % must be in by 12:00 (the start of the interval holding 12:10).
    const eventStart = DAY_START + 12 * HOUR + 10 * MINUTE;
    port.current = { mode: 'upcoming', eventId: 'dlrp-7', eventStartMs: eventStart, targetSocPct: 95 };
    r.controller = r.makeController({ demandResponse: port });
    await r.controller.start();
    const s = r.controller.status();
    expect(s.plan?.energy_targets).toEqual([
      expect.objectContaining({ label: 'DR event dlrp-7', index: 4, at: '2026-01-15T12:00:00.000Z', shortfall_kwh: 0 }),
    ]);
    expect(s.plan!.intervals[3]!.soc_pct).toBeGreaterThanOrEqual(95 - 1e-3);
    expect(s.demandResponse).toMatchObject({
      mode: 'upcoming',
      eventId: 'dlrp-7',
      targetSocPct: 95,
      targetShortfallKwh: 0,
    });
    const reasons = s
      .plan!.intervals.slice(0, 4)
      .filter((iv) => iv.action === 'CHARGE')
      .map((iv) => iv.reason);
    expect(reasons.length).toBeGreaterThan(0);
    for (const why of reasons) expect(why).toMatch(/^charging for DR event dlrp-7: 9\.12 kWh stored by 12:00/);
    expect(s.demandResponse!.reason).toBe(
      'event dlrp-7 at 2026-01-15T12:10:00.000Z: the plan charges to 95 % by its start',
    );
    // Without a plan in force nothing charges for the event, and the status says so.
    await r.controller.setGoal('self_consumption');
    expect(r.controller.status().demandResponse!.reason).toMatch(
      /^event dlrp-7 at .*: no plan is being followed \(goal: self-consumption\), so nothing charges for it$/,
    );
  }, 60_000);
});
