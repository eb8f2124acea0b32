import { ManualClock } from '@sps/core';
import {
  FORCED_COMMAND_CODE,
  HOLDING,
  SungrowPhysics,
  SungrowShAdapter,
  SungrowSimulator,
  type SungrowPhysicsConfig,
} from '@sps/device-sungrow';
import type { Plan, PlanOptions, Scheduler } from '@sps/scheduler';
import {
  Controller,
  SafetyGuard,
  TrackedDevice,
  type ControllerOptions,
  type ForecastGrid,
  type ForecastPoint,
  type KeyValueState,
  type PowerForecastSource,
  type PricePoint,
  type PriceSource,
} from '@sps/control';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY_START = Date.parse('2026-01-15T00:00:00Z');

/**
 * A generated but realistic day of a dynamic tariff (AUD/kWh, 30-minute intervals, local = UTC):
 * a cheap night, a dear morning shoulder, a cheap solar soak at midday and an evening peak where
 * exporting pays. Repeated for `days`.
 */
export function dayOfPrices(start: number, days: number): PricePoint[] {
  const out: PricePoint[] = [];
  for (let slot = 0; slot < days * 48; slot++) {
    const s = start + slot * 30 * MINUTE;
    const hour = (((s % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR)) / HOUR;
    let imp: number;
    let exp = 0.05;
    if (hour < 5) imp = 0.08;
    else if (hour < 7) imp = 0.2;
    else if (hour < 10) imp = 0.3;
    else if (hour < 15) {
      imp = 0.14;
      exp = 0.02;
    } else if (hour < 17) imp = 0.28;
    else if (hour < 21) {
      imp = 0.52;
      exp = 0.38;
    } else imp = 0.24;
    out.push({ start: s, end: s + 30 * MINUTE, import: imp, export: exp });
  }
  return out;
}

/** A price source with PriceService's coverage semantics; prices can be made to vanish. */
export class TestPriceSource implements PriceSource {
  vanished = false;
  constructor(private readonly intervals: readonly PricePoint[]) {}

  coverage(now: number): { fallback: boolean; reason?: string } {
    if (this.vanished) return { fallback: true, reason: 'no price covers now: http: 503 Service Unavailable' };
    const covered = this.intervals.some((i) => i.start <= now && now < i.end);
    return covered
      ? { fallback: false }
      : { fallback: true, reason: 'no price covers now: the last series has run out' };
  }

  upcoming(now: number): PricePoint[] {
    return this.vanished ? [] : this.intervals.filter((i) => i.end > now);
  }
}

/** Perfect forecasts: the simulator's own PV and load model, averaged over each grid interval. */
export function physicsForecast(kind: 'solar' | 'load', config: Partial<SungrowPhysicsConfig>): PowerForecastSource {
  const model = new SungrowPhysics(0, config);
  return {
    forecast(grid: ForecastGrid): ForecastPoint[] {
      const points: ForecastPoint[] = [];
      for (let t = grid.from; t < grid.to; t += grid.stepMs) {
        let sum = 0;
        let count = 0;
        for (let s = t; s < t + grid.stepMs; s += MINUTE) {
          sum += kind === 'solar' ? model.pvAvailable(s) : model.loadDemand(s);
          count++;
        }
        points.push({ start: t, end: t + grid.stepMs, kw: sum / count / 1000 });
      }
      return points;
    },
  };
}

export class MemoryState implements KeyValueState {
  readonly data = new Map<string, unknown>();
  getState<T>(namespace: string, key: string): T | undefined {
    return this.data.get(`${namespace}/${key}`) as T | undefined;
  }
  putState(namespace: string, key: string, value: unknown): void {
    this.data.set(`${namespace}/${key}`, JSON.parse(JSON.stringify(value)) as unknown);
  }
}

/** A scheduler that can be broken on demand (a solver that keeps failing → the plan goes stale). */
export class BreakableScheduler implements Scheduler {
  broken = false;
  plans = 0;
  constructor(private readonly inner: Scheduler) {}
  plan(input: unknown, options?: PlanOptions): Plan | Promise<Plan> {
    if (this.broken) throw new Error('HiGHS aborted (test)');
    this.plans++;
    return this.inner.plan(input, options);
  }
}

/** A winter day: little PV, so filling the battery in the cheap night pays. */
export const PHYSICS: Partial<SungrowPhysicsConfig> = { initialSocPct: 30, efficiency: 0.96, pvPeakW: 1500, seed: 3 };

export interface ControlRig {
  readonly clock: ManualClock;
  readonly sim: SungrowSimulator;
  readonly adapter: SungrowShAdapter;
  readonly device: TrackedDevice;
  readonly prices: TestPriceSource;
  readonly scheduler: BreakableScheduler;
  readonly state: MemoryState;
  readonly guard: SafetyGuard;
  controller: Controller;
  /** A controller on the same rig (e.g. after a "restart"). */
  makeController(extra?: Partial<ControllerOptions>): Controller;
  /** Advance minute by minute, polling the device just before every 5-minute boundary. */
  runFor(ms: number, onMinute?: () => void): Promise<void>;
  /** Control registers 13050/13051/13052 now. */
  registers(): { ems: number; forced: number; power: number };
  close(): Promise<void>;
}

export async function startControlRig(
  scheduler: Scheduler,
  options: {
    start?: number;
    controller?: Partial<ControllerOptions>;
    prices?: PriceSource;
    /** Replaces the rig's winter-day physics (the forecasts follow it). */
    physics?: Partial<SungrowPhysicsConfig>;
  } = {},
): Promise<ControlRig> {
  const clock = new ManualClock(options.start ?? DAY_START);
  const physics = options.physics ?? PHYSICS;
  const sim = new SungrowSimulator({ clock, physics });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const adapter = new SungrowShAdapter({
    id: 'inverter',
    clock,
    connection: { host: '127.0.0.1', port, timeout_ms: 500 },
  });
  await adapter.connect();
  const device = new TrackedDevice(adapter);
  await device.poll();
  const prices = new TestPriceSource(dayOfPrices(DAY_START - 2 * HOUR, 4));
  const breakable = new BreakableScheduler(scheduler);
  const state = new MemoryState();
  const guard = new SafetyGuard({
    limits: { backupReservePct: 10, maxChargeW: 5000, maxDischargeW: 5000, exportLimitW: 5000 },
    clock,
  });
  const makeController = (extra: Partial<ControllerOptions> = {}): Controller =>
    new Controller({
      device,
      guard,
      scheduler: breakable,
      prices: options.prices ?? prices,
      solar: physicsForecast('solar', physics),
      load: physicsForecast('load', physics),
      currency: 'AUD',
      battery: { chargeEfficiency: 0.96, dischargeEfficiency: 0.96 },
      clock,
      state,
      // 30-minute prices, planned at their own resolution over 24 h: a day of 5-minute re-plans stays fast.
      intervalMinutes: 30,
      horizonHours: 24,
      // The test polls every 5 minutes (the add-on polls every few seconds).
      deviceStaleMs: 10 * MINUTE,
      ...options.controller,
      ...extra,
    });
  const rig: ControlRig = {
    clock,
    sim,
    adapter,
    device,
    prices,
    scheduler: breakable,
    state,
    guard,
    controller: makeController(),
    makeController,
    async runFor(ms, onMinute) {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        const next = Math.min(end, (Math.floor(clock.now() / MINUTE) + 1) * MINUTE);
        if (next % (5 * MINUTE) === 0 && next - clock.now() > 1000) {
          await clock.advance(next - clock.now() - 1000);
          await rig.controller.whenIdle();
          await device.poll();
          rig.controller.readingsChanged();
        }
        await clock.advance(next - clock.now());
        await rig.controller.whenIdle();
        onMinute?.();
      }
    },
    registers() {
      const h = sim.holdingRegisters;
      return {
        ems: h.get(HOLDING.EMS_MODE) ?? -1,
        forced: h.get(HOLDING.FORCED_COMMAND) ?? -1,
        power: h.get(HOLDING.FORCED_POWER) ?? -1,
      };
    },
    async close() {
      await rig.controller.stop({ handBack: false });
      device.dispose();
      await adapter.close();
      await sim.stop();
    },
  };
  return rig;
}

export { FORCED_COMMAND_CODE };
