import { ManualClock } from '@sps/core';
import { HOLDING, SungrowShAdapter, SungrowSimulator, type SungrowPhysicsConfig } from '@sps/device-sungrow';
import { loadScheduler, type Scheduler } from '@sps/scheduler';
import {
  Controller,
  FleetPlanner,
  SafetyGuard,
  TrackedDevice,
  type ControllerStatus,
  type FleetSeat,
  type PricePoint,
} from '@sps/control';
import {
  DAY_START,
  FORCED_COMMAND_CODE,
  HOUR,
  MINUTE,
  MemoryState,
  TestPriceSource,
  physicsForecast,
} from './helpers/control-rig';

/**
 * Two batteries under one joint plan (issue 12 item 4): two Sungrow simulators over Modbus TCP on
 * loopback, each with its own adapter and its own Controller (the battery's policy), one
 * SafetyGuard and one FleetPlanner, one ManualClock. A battery that goes stale, becomes
 * unavailable or refuses a write is handed back to its own mode and the plan is re-made without
 * it; the other keeps following the plan; the battery rejoins when it is back.
 */

const PHYSICS_A: Partial<SungrowPhysicsConfig> = {
  initialSocPct: 30,
  capacityWh: 9600,
  efficiency: 0.96,
  pvPeakW: 0,
  seed: 3,
};
const PHYSICS_B: Partial<SungrowPhysicsConfig> = {
  initialSocPct: 30,
  capacityWh: 2000,
  efficiency: 0.9,
  pvPeakW: 0,
  seed: 4,
};

/** 30 minutes nearly free now, then dear all day: both batteries should charge now, at full power. */
function cheapNow(start: number): PricePoint[] {
  return Array.from({ length: 4 * 48 }, (_, i) => ({
    start: start + i * 30 * MINUTE,
    end: start + (i + 1) * 30 * MINUTE,
    import: i === 4 ? 0.01 : 0.5,
    export: i === 4 ? 0 : 0.3,
  }));
}

interface Member {
  readonly name: string;
  readonly sim: SungrowSimulator;
  readonly adapter: SungrowShAdapter;
  readonly device: TrackedDevice;
  readonly seat: FleetSeat;
  readonly controller: Controller;
  polling: boolean;
}

let scheduler: Scheduler;
let clock: ManualClock;
let fleet: FleetPlanner;
let members: Member[] = [];

beforeAll(async () => {
  scheduler = await loadScheduler();
});

afterEach(async () => {
  for (const m of members) {
    await m.controller.stop({ handBack: false });
    m.device.dispose();
    await m.adapter.close();
    await m.sim.stop();
  }
  members = [];
});

async function startFleet(): Promise<Member[]> {
  clock = new ManualClock(DAY_START);
  fleet = new FleetPlanner(scheduler, clock);
  const guard = new SafetyGuard({
    limits: { backupReservePct: 10, maxChargeW: 5000, maxDischargeW: 5000, exportLimitW: 5000 },
    clock,
  });
  const prices = new TestPriceSource(cheapNow(DAY_START - 2 * HOUR));
  const state = new MemoryState();
  const make = async (name: string, physics: Partial<SungrowPhysicsConfig>, eff: number): Promise<Member> => {
    const sim = new SungrowSimulator({ clock, physics });
    const port = await sim.start({ host: '127.0.0.1', port: 0 });
    const adapter = new SungrowShAdapter({ id: name, clock, connection: { host: '127.0.0.1', port, timeout_ms: 500 } });
    await adapter.connect();
    const device = new TrackedDevice(adapter);
    await device.poll();
    const seat = fleet.seat(name);
    const controller = new Controller({
      device,
      guard,
      scheduler: seat.scheduler,
      prices,
      solar: physicsForecast('solar', physics),
      load: physicsForecast('load', physics),
      currency: 'AUD',
      battery: { chargeEfficiency: eff, dischargeEfficiency: eff },
      clock,
      state,
      intervalMinutes: 30,
      horizonHours: 24,
      deviceStaleMs: 10 * MINUTE,
    });
    seat.attach(controller);
    controller.events.on('device', ({ healthy }) => seat.healthChanged(healthy));
    return { name, sim, adapter, device, seat, controller, polling: true };
  };
  members = [await make('big', PHYSICS_A, 0.96), await make('small', PHYSICS_B, 0.9)];
  for (const m of members) await m.controller.start();
  await idle();
  return members;
}

async function idle(): Promise<void> {
  for (let i = 0; i < 3; i++) for (const m of members) await m.controller.whenIdle();
}

/** Minute by minute: every member that is polling is polled, and its controller told. */
async function runFor(ms: number): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    await clock.advance(MINUTE);
    for (const m of members) {
      if (!m.polling) continue;
      await m.device.poll().catch(() => undefined);
      m.controller.readingsChanged();
    }
    await idle();
  }
}

const registers = (m: Member): { ems: number; forced: number; power: number } => ({
  ems: m.sim.holdingRegisters.get(HOLDING.EMS_MODE) ?? -1,
  forced: m.sim.holdingRegisters.get(HOLDING.FORCED_COMMAND) ?? -1,
  power: m.sim.holdingRegisters.get(HOLDING.FORCED_POWER) ?? -1,
});

/** The forced charge each battery's registers show matches its own controller's command. */
function expectChargingAsPlanned(m: Member): void {
  const s: ControllerStatus = m.controller.status();
  expect({ name: m.name, mode: s.mode, action: s.current.action }).toEqual({
    name: m.name,
    mode: 'optimising',
    action: 'CHARGE',
  });
  const command = s.current.command;
  expect(command?.type).toBe('force_charge');
  expect(registers(m)).toEqual({
    ems: 2,
    forced: FORCED_COMMAND_CODE.charge,
    power: command?.type === 'force_charge' ? command.power_w : -1,
  });
}

describe('two batteries, one joint plan', () => {
  it('plans both together and sends each target through its own adapter', async () => {
    const [big, small] = await startFleet();
    await runFor(2 * MINUTE);
    const joint = fleet.jointPlan();
    expect(joint?.members).toEqual(expect.arrayContaining(['big', 'small']));
    expect(joint?.plan.intervals[0]?.batteries.map((b) => b.name).sort()).toEqual(['big', 'small']);
    // Each policy holds its own view: its own battery's powers and SOC.
    for (const m of [big!, small!]) {
      const plan = m.controller.status().plan!;
      expect(plan.intervals[0]?.batteries.map((b) => b.name)).toEqual([m.name]);
      expectChargingAsPlanned(m);
    }
    // Different batteries, different targets: the small one fills in the half-hour below full power.
    const cmd = (m: Member): number => {
      const c = m.controller.status().current.command;
      return c?.type === 'force_charge' ? c.power_w : 0;
    };
    expect(cmd(big!)).toBeGreaterThan(0);
    expect(cmd(small!)).toBeGreaterThan(0);
    expect(cmd(big!)).not.toBe(cmd(small!));
  });

  it('a battery whose readings go stale is handed back and planned out; the other keeps charging; it rejoins', async () => {
    const [big, small] = await startFleet();
    await runFor(2 * MINUTE);
    small!.polling = false;
    await runFor(12 * MINUTE);
    const s = small!.controller.status();
    expect(s.mode).toBe('fallback');
    expect(s.fallbackReason).toMatch(/no readings since/);
    expect(registers(small!).ems).toBe(0);
    await runFor(MINUTE);
    expect(fleet.jointPlan()?.members).toEqual(['big']);
    expect(fleet.jointPlan()?.excluded).toEqual([{ name: 'small', reason: 'in fallback' }]);
    expectChargingAsPlanned(big!);

    small!.polling = true;
    await runFor(2 * MINUTE);
    expect(fleet.jointPlan()?.members).toEqual(expect.arrayContaining(['big', 'small']));
    expect(small!.controller.status().mode).toBe('optimising');
  });

  it('a battery that becomes unavailable is planned out while the other keeps following the plan', async () => {
    const [big, small] = await startFleet();
    await runFor(2 * MINUTE);
    small!.sim.setFaults({ dropConnections: true });
    await runFor(2 * MINUTE);
    expect(small!.controller.status().mode).toBe('fallback');
    await runFor(MINUTE);
    expect(fleet.jointPlan()?.members).toEqual(['big']);
    expectChargingAsPlanned(big!);
    small!.sim.setFaults({ dropConnections: false });
    await runFor(3 * MINUTE);
    expect(small!.controller.status().mode).toBe('optimising');
    expect(fleet.jointPlan()?.members).toEqual(expect.arrayContaining(['big', 'small']));
  });

  it('a manual override on one battery is part of the joint plan: that battery is fixed, the other planned around it', async () => {
    const [big, small] = await startFleet();
    await runFor(2 * MINUTE);
    const before = fleet.jointPlan()!;
    expect(before.plan.intervals[0]?.batteries.find((b) => b.name === 'small')?.charge_kw).toBeGreaterThan(0.05);
    // Hold the small battery through the cheap half-hour: the joint plan is made again at once, with it held.
    await small!.controller.startOverride({ kind: 'hold_soc', duration_minutes: 30 });
    await idle();
    const joint = fleet.jointPlan()!;
    expect(joint.at).toBe(clock.now());
    expect(joint.plan.intervals[0]?.override).toBe(true);
    const first = (name: string): NonNullable<(typeof joint.plan.intervals)[number]['batteries'][number]> =>
      joint.plan.intervals[0]!.batteries.find((b) => b.name === name)!;
    expect(first('small')).toMatchObject({ charge_kw: 0, discharge_kw: 0, override: true });
    expect(first('big').override).toBeUndefined();
    expect(first('big').charge_kw).toBeGreaterThan(0.05);
    // Each view: the held battery's interval is its override's, the other's is the plan's own.
    expect(small!.controller.status().plan?.intervals[0]).toMatchObject({ action: 'IDLE', override: true });
    expect(big!.controller.status().plan?.intervals[0]?.override).toBeUndefined();
    expectChargingAsPlanned(big!);
    // Cleared: planned again at once, the small battery charges in the cheap half-hour again.
    await small!.controller.clearOverride();
    await idle();
    expect(fleet.jointPlan()!.plan.intervals[0]?.override).toBeUndefined();
    expect(fleet.jointPlan()!.plan.intervals[0]!.batteries.find((b) => b.name === 'small')?.charge_kw).toBeGreaterThan(
      0.05,
    );
  });

  it('a battery that refuses its forced write is handed back and planned out; the other keeps charging', async () => {
    const [big, small] = await startFleet();
    await runFor(2 * MINUTE);
    // The next forced write to the small battery is refused (Modbus exception 3, illegal value).
    small!.sim.setFaults({ writeException: 3 });
    await small!.controller.startOverride({ kind: 'force_discharge', power_w: 1000, duration_minutes: 30 });
    await idle();
    expect(small!.controller.status().lastError?.message).toMatch(/force_discharge failed: .*Modbus exception 3/);
    await runFor(MINUTE);
    expect(small!.controller.isPlannable()).toBe(false);
    await runFor(MINUTE);
    expect(fleet.jointPlan()?.members).toEqual(['big']);
    expectChargingAsPlanned(big!);
    await small!.controller.clearOverride();
    await idle();
    expect(small!.controller.status()).toMatchObject({
      mode: 'fallback',
      fallbackReason: expect.stringMatching(/force_discharge refused/),
    });
  });
});
