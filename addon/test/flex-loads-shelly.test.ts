import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeferrableLoadPolicy, FlexLoads, SafetyGuard, type KeyValueState } from '@sps/control';
import { ManualClock } from '@sps/core';
import { ShellySimulator } from '@sps/device-shelly';
import { loadScheduler, type Plan, type SyncScheduler } from '@sps/scheduler';
import { ReadingStore } from '@sps/store';
import { DeviceManager } from '../src/device-manager';
import { builtInDrivers } from '../src/drivers';
import { ReadingHub } from '../src/hub';
import { silentLogger } from '../src/logger';
import { deviceRelay } from '../src/optimizer/flex-load-wiring';
import { parseOptions } from '../src/options';

/**
 * The deferrable-load policies against a Shelly Plus 2PM simulator over loopback HTTP, through the
 * add-on's device manager and safety guard (the path the optimiser uses), with plans from the real
 * scheduler. Time is a ManualClock shared by the device manager (polls, reading timestamps) and the policies.
 */
const MINUTE = 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-flex-loads-'));
let scheduler: SyncScheduler;
const sim = new ShellySimulator({ profile: '2pm-gen3', mac: 'AABBCC00F1E5', loadsW: [1500, 2200] });
let clock: ManualClock;
let port: number;

beforeAll(async () => {
  scheduler = await loadScheduler();
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Rig {
  manager: DeviceManager;
  hub: ReadingHub;
  flex: FlexLoads;
  store: ReadingStore;
  close(): Promise<void>;
}

async function startRig(dataFile: string): Promise<Rig> {
  const config = parseOptions(
    {
      devices: [{ name: 'Relay', driver: 'shelly', host: '127.0.0.1', port, transport: 'http', poll_interval_s: 60 }],
      deferrable_loads: [
        {
          name: 'water_heater',
          device: 'Relay',
          channel: 0,
          power_w: 1500,
          run_minutes: 60,
          earliest: '10:00',
          latest: '16:00',
          min_on_minutes: 5,
        },
        {
          name: 'well_pump',
          device: 'Relay',
          channel: 1,
          power_w: 2200,
          run_minutes: 30,
          earliest: '12:00',
          latest: '14:00',
        },
      ],
    },
    builtInDrivers,
  );
  const hub = new ReadingHub();
  const guard = new SafetyGuard({ limits: config.safety, clock });
  const manager = new DeviceManager(config.devices, {
    drivers: builtInDrivers,
    hub,
    guard,
    clock,
    logger: silentLogger(),
  });
  const store = ReadingStore.open({ path: dataFile });
  const state: KeyValueState = {
    getState: <T>(ns: string, key: string) => store.getState(ns, key) as T | undefined,
    putState: (ns, key, value) => store.putState(ns, key, value),
  };
  const policies = config.deferrableLoads.map(
    (l) =>
      new DeferrableLoadPolicy({
        load: l.load,
        relay: deviceRelay(manager, hub, l.deviceId, l.channel),
        clock,
        timeZone: 'UTC',
        state,
      }),
  );
  const flex = new FlexLoads({ deferrables: policies, clock, timeZone: 'UTC', planUsable: () => true });
  hub.on('readings', () => flex.relayReadings());
  manager.start();
  await until(() => hub.latest('relay') !== undefined, 'first readings');
  return {
    manager,
    hub,
    flex,
    store,
    close: async () => {
      await flex.stop();
      await manager.stop();
      store.close();
    },
  };
}

async function until(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    // Timers that fell due (the first poll, a poll after a command) fire; no time passes.
    await clock.advance(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Time passes a minute at a time, with a poll of the relay each minute. */
async function pass(rig: Rig, minutes: number): Promise<void> {
  for (let i = 0; i < minutes; i++) {
    await clock.advance(MINUTE);
    const now = clock.now();
    await until(() => (rig.hub.latest('relay')?.timestamp ?? 0) >= now, 'a poll');
  }
}

/** A plan from the real scheduler for the loads' scenario on a 15-minute grid from now. */
function planNow(flex: FlexLoads, prices: (hour: number) => number): Plan {
  const stepMs = 15 * MINUTE;
  const from = Math.floor(clock.now() / stepMs) * stepMs;
  const n = 32;
  const grid = { fromMs: from, stepMs, intervals: n };
  const importPrice = Array.from({ length: n }, (_, t) => prices(new Date(from + t * stepMs).getUTCHours()));
  return scheduler.plan(
    {
      interval_minutes: 15,
      start: new Date(from).toISOString(),
      prices: { import: importPrice, export: importPrice.map(() => 0), currency: 'EUR' },
      solar_kw: importPrice.map(() => 0),
      load_kw: importPrice.map(() => 0.2),
      battery: {
        capacity_kwh: 1,
        soc_pct: 50,
        min_soc_pct: 0,
        max_soc_pct: 100,
        max_charge_kw: 0,
        max_discharge_kw: 0,
      },
      ...flex.planningAdditions(grid),
    },
    { timeZone: 'UTC' },
  );
}

const relayOn = (channel: number): boolean => sim.state.relays[channel]!.on;

describe('deferrable loads on a Shelly relay (loopback HTTP)', () => {
  beforeAll(async () => {
    clock = new ManualClock('2026-03-01T11:58:00Z');
    port = await sim.start({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('switches each channel per the plan, respects a manual switch until the window ends, and keeps run time across a restart', async () => {
    const file = path.join(tmp, 'state.sqlite');
    let rig = await startRig(file);
    // Cheap from 12:00 to 13:00: the heater (60 min) and the pump (30 min) are planned there.
    const plan = planNow(rig.flex, (h) => (h === 12 ? 0.1 : 0.4));
    expect(plan.status).toBe('optimal');
    await rig.flex.planChanged(plan);
    expect([relayOn(0), relayOn(1)]).toEqual([false, false]); // 11:58: not yet
    await pass(rig, 2);
    await rig.flex.follow(); // 12:00
    const heaterOn = plan.intervals.find((iv) => iv.start === '2026-03-01T12:00:00.000Z')!.deferrables!;
    expect(heaterOn.map((d) => d.kw > 0)).toEqual([relayOn(0), relayOn(1)]);
    expect(relayOn(0)).toBe(true);

    // The user switches the heater off at the button after 20 minutes.
    await pass(rig, 20);
    await rig.flex.follow();
    sim.setRelay(0, false, 'button');
    await pass(rig, 1);
    await rig.flex.follow();
    expect(relayOn(0)).toBe(false);
    const heater = () => rig.flex.status().deferrables.find((d) => d.name === 'water_heater')!;
    expect(heater().manualUntil).toBe('2026-03-01T16:00:00.000Z');
    expect(heater().ranMinutes).toBe(20);
    // A new plan that wants it on: the user's switch still wins.
    await rig.flex.planChanged(planNow(rig.flex, () => 0.1));
    await pass(rig, 5);
    await rig.flex.follow();
    expect(relayOn(0)).toBe(false);

    // Restart: the run time and the hold come back from the store.
    const pumpRan = rig.flex.status().deferrables.find((d) => d.name === 'well_pump')!.ranMinutes;
    await rig.close();
    rig = await startRig(file);
    expect(heater()).toMatchObject({ ranMinutes: 20, manualUntil: '2026-03-01T16:00:00.000Z' });
    expect(rig.flex.status().deferrables.find((d) => d.name === 'well_pump')!.ranMinutes).toBe(pumpRan);

    // The next day's window: the plan drives the heater again, from a full run time.
    clock.set(Date.parse('2026-03-02T09:59:00Z'));
    await pass(rig, 1);
    await rig.flex.planChanged(planNow(rig.flex, (h) => (h === 10 ? 0.1 : 0.4)));
    expect(heater()).toMatchObject({ manualUntil: null, ranMinutes: 0, remainingMinutes: 60 });
    expect(relayOn(0)).toBe(true);
    await rig.close();
  });
});
