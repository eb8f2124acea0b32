import { SafetyGuard } from '@sps/control';
import { ManualClock } from '@sps/core';
import { loadScheduler, type Plan, type SyncScheduler } from '@sps/scheduler';
import { DeviceManager } from '../src/device-manager';
import { DriverRegistry } from '../src/drivers';
import { ReadingHub } from '../src/hub';
import { silentLogger } from '../src/logger';
import { evChargerSpec, FlexLoadWiring } from '../src/optimizer/flex-load-wiring';
import { parseOptions } from '../src/options';
import { fakeEvChargerDriver, type FakeHaCharger } from './support/fake-ev-charger';

/**
 * The EV side of the add-on's wiring against a fake HA-entity charger (support/fake-ev-charger.ts:
 * the real driver's reading and command names). The real driver against a real HA core is
 * wip/haentities' e2e.
 */
const MINUTE = 60_000;

let scheduler: SyncScheduler;
beforeAll(async () => {
  scheduler = await loadScheduler();
});

function setUp() {
  const clock = new ManualClock('2026-03-01T20:00:00Z');
  let charger: FakeHaCharger | undefined;
  const drivers = new DriverRegistry([fakeEvChargerDriver(clock, (c) => (charger = c))]);
  const config = parseOptions(
    {
      devices: [
        {
          name: 'Wallbox',
          driver: 'ha-ev-charger',
          phases: 3,
          voltage: 230,
          min_current_a: 6,
          max_current_a: 16,
          target_soc_pct: 80,
          departure_time: '07:00',
          battery_kwh: 60,
        },
      ],
    },
    drivers,
  );
  const hub = new ReadingHub();
  const guard = new SafetyGuard({ limits: config.safety, clock });
  const manager = new DeviceManager(config.devices, { drivers, hub, guard, clock, logger: silentLogger() });
  const wiring = new FlexLoadWiring({
    loads: [],
    evCharger: undefined,
    manager,
    hub,
    clock,
    timeZone: 'UTC',
    state: {
      getState: () => undefined,
      putState: () => undefined,
    },
    logger: silentLogger(),
  });
  const listeners: ((plan: Plan) => void)[] = [];
  let replans = 0;
  wiring.attach({
    onPlan: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    planUsable: () => true,
    replan: () => void replans++,
  });
  return {
    clock,
    manager,
    hub,
    wiring,
    charger: () => charger!,
    replans: () => replans,
    publish: (plan: Plan) => listeners.forEach((l) => l(plan)),
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the EV charger wiring (fake HA-entity charger)', () => {
  it('reads the plan’s inputs from the charger’s options and readings', () => {
    expect(
      evChargerSpec({
        phases: 3,
        voltage: 230,
        min_current_a: 6,
        max_current_a: 16,
        departure_time: '07:00',
        battery_kwh: 60,
      }),
    ).toEqual({
      minPowerW: 4140,
      maxPowerW: 11040,
      stepW: 690,
      targetSocPct: 80,
      departureMinute: 420,
      batteryWh: 60_000,
    });
  });

  it('plans the car from its SOC to the target by the departure, and sets the current and switch through the guard', async () => {
    const rig = setUp();
    rig.manager.start();
    await rig.clock.advance(0);
    await until(() => rig.hub.latest('wallbox') !== undefined, 'the charger’s readings');
    expect(rig.wiring.evChargerId).toBe('wallbox');
    const stepMs = 15 * MINUTE;
    const grid = { fromMs: rig.clock.now(), stepMs, intervals: 48 };
    const additions = rig.wiring.flex.planningAdditions(grid);
    // 50 % → 80 % of 60 kWh by 07:00 (11 hours = 44 intervals), 4.14–11.04 kW.
    expect(additions['ev']).toMatchObject({
      energy_needed_kwh: 18,
      deadline_index: 44,
      min_kw: 4.14,
    });
    // Cheap from 01:00 to 04:00.
    const price = Array.from({ length: 48 }, (_, t) => {
      const h = new Date(grid.fromMs + t * stepMs).getUTCHours();
      return h >= 1 && h < 4 ? 0.1 : 0.3;
    });
    const plan = scheduler.plan(
      {
        interval_minutes: 15,
        start: new Date(grid.fromMs).toISOString(),
        prices: { import: price, export: price.map(() => 0), currency: 'EUR' },
        solar_kw: price.map(() => 0),
        load_kw: price.map(() => 0.3),
        battery: {
          capacity_kwh: 1,
          soc_pct: 50,
          min_soc_pct: 0,
          max_soc_pct: 100,
          max_charge_kw: 0,
          max_discharge_kw: 0,
        },
        ...additions,
      },
      { timeZone: 'UTC' },
    );
    expect(plan.status).toBe('optimal');
    rig.publish(plan);
    // 20:00: nothing to do yet (the charger was off).
    await rig.wiring.flex.follow();
    expect(rig.charger().commands).toEqual([]);
    expect(rig.wiring.flex.evView()).toMatchObject({ departure: '2026-03-02T07:00:00.000Z' });
    const readyBy = rig.wiring.flex.evView()!.readyBy!;
    expect(Date.parse(readyBy)).toBeLessThanOrEqual(Date.parse('2026-03-02T04:00:00Z'));
    // 01:00: the cheap hours; the current is the plan's power in whole amps, then the switch goes on.
    rig.clock.set(Date.parse('2026-03-02T01:00:00Z'));
    const planned = plan.intervals.find((iv) => iv.start === '2026-03-02T01:00:00.000Z')!.ev_kw;
    expect(planned).toBeGreaterThanOrEqual(4.14);
    await rig.wiring.flex.follow();
    const stepped = Math.floor((planned * 1000) / 690 + 1e-6) * 690;
    expect(rig.charger().commands).toEqual(
      stepped === 11_040
        ? [{ type: 'set_relay', on: true }]
        : [
            { type: 'set_charge_limit', power_w: stepped },
            { type: 'set_relay', on: true },
          ],
    );
    expect(rig.charger().on).toBe(true);

    // Unplugged: the next poll asks for a re-plan and the EV leaves the plan.
    rig.charger().plugged = false;
    const before = rig.replans();
    await rig.clock.advance(10_000);
    await until(() => rig.replans() > before, 'a re-plan on the unplug');
    expect(rig.wiring.flex.planningAdditions({ ...grid, fromMs: rig.clock.now() })['ev']).toBeUndefined();
    await rig.wiring.stop();
    await rig.manager.stop();
  });
});
