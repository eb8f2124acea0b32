import { ManualClock } from '@sps/core';
import type { Plan } from '@sps/scheduler';
import {
  DeferrableLoadPolicy,
  EvPolicy,
  FlexLoads,
  type DeferrableLoad,
  type DeferrableLoadEvent,
  type EvChargerPort,
  type RelayPort,
} from '../src/index';
import { MemoryState } from './helpers/control-rig';

const MINUTE = 60_000;

/** A relay in memory: `set` is the policy's write, `flip` a person at the switch. */
class FakeRelay implements RelayPort {
  on = false;
  at: number;
  writes: boolean[] = [];
  fail: Error | null = null;
  constructor(private readonly clock: ManualClock) {
    this.at = clock.now();
  }
  state() {
    return { on: this.on, at: this.at };
  }
  async set(on: boolean): Promise<void> {
    if (this.fail) throw this.fail;
    this.writes.push(on);
    this.on = on;
    this.at = this.clock.now();
  }
  flip(on: boolean): void {
    this.on = on;
    this.at = this.clock.now();
  }
  /** A poll: the same state, read now. */
  poll(): void {
    this.at = this.clock.now();
  }
}

const heater: DeferrableLoad = {
  name: 'water_heater',
  powerW: 1500,
  runMinutesPerDay: 60,
  earliestMinute: 10 * 60,
  latestMinute: 16 * 60,
  minOnMinutes: 15,
  minOffMinutes: 10,
};

function rig(state = new MemoryState(), clock = new ManualClock('2026-03-01T10:00:00Z')) {
  const relay = new FakeRelay(clock);
  const events: DeferrableLoadEvent[] = [];
  const policy = new DeferrableLoadPolicy({
    load: heater,
    relay,
    clock,
    timeZone: 'UTC',
    state,
    onEvent: (e) => events.push(e),
  });
  /** Minutes pass with a poll of the relay every minute. */
  const pass = (minutes: number): void => {
    for (let i = 0; i < minutes; i++) {
      clock.advance(MINUTE);
      relay.poll();
      policy.observe();
    }
  };
  policy.observe();
  return { clock, relay, policy, events, state, pass };
}

describe('DeferrableLoadPolicy', () => {
  it('switches the relay to the plan, only on a change, and counts the run time from the readings', async () => {
    const { relay, policy, pass } = rig();
    await policy.apply(false);
    expect(relay.writes).toEqual([]);
    await policy.apply(true);
    await policy.apply(true);
    policy.observe();
    expect(relay.writes).toEqual([true]);
    pass(20);
    expect(policy.status().ranMinutes).toBe(20);
    await policy.apply(false);
    expect(relay.writes).toEqual([true, false]);
    policy.observe();
    pass(5);
    expect(policy.status().ranMinutes).toBe(20);
    expect(policy.status().remainingMinutes).toBe(40);
    expect(policy.status().manualUntil).toBeNull();
  });

  it('keeps the minimum on and off times', async () => {
    const { relay, policy, pass } = rig();
    await policy.apply(true);
    policy.observe();
    pass(5);
    await policy.apply(false); // 5 min on: the heater stays on for its 15
    expect(relay.writes).toEqual([true]);
    pass(10);
    await policy.apply(false);
    expect(relay.writes).toEqual([true, false]);
    policy.observe();
    pass(3);
    await policy.apply(true); // 3 min off, 10 needed
    expect(relay.writes).toEqual([true, false]);
    pass(7);
    await policy.apply(true);
    expect(relay.writes).toEqual([true, false, true]);
  });

  it('stands back from a manual switch until the window ends, and follows the plan in the next window', async () => {
    const { relay, policy, events, clock, pass } = rig();
    await policy.apply(true);
    policy.observe();
    pass(2);
    relay.flip(false); // the user switches it off
    policy.observe();
    expect(events.at(-1)).toEqual({
      kind: 'manual',
      load: 'water_heater',
      on: false,
      until: '2026-03-01T16:00:00.000Z',
    });
    pass(30);
    await policy.apply(true);
    expect(relay.writes).toEqual([true]);
    expect(policy.status().manualUntil).toBe('2026-03-01T16:00:00.000Z');
    // The user's own run counts: on by hand for 20 minutes.
    relay.flip(true);
    policy.observe();
    pass(20);
    relay.flip(false);
    policy.observe();
    expect(policy.status().ranMinutes).toBe(22);
    // The deadline backstop stands back too: 15:30 with 38 minutes left.
    clock.set(Date.parse('2026-03-01T15:30:00Z'));
    await policy.apply(null);
    expect(relay.writes).toEqual([true]);
    // The next day's window: the plan rules again, with the full run time.
    clock.set(Date.parse('2026-03-02T10:05:00Z'));
    relay.poll();
    policy.observe();
    await policy.apply(true);
    expect(relay.writes).toEqual([true, true]);
    expect(policy.status()).toMatchObject({ manualUntil: null, ranMinutes: 0, remainingMinutes: 60 });
  });

  it('a manual switch outside the window holds until the window opens', async () => {
    const { relay, policy, events, clock } = rig(undefined, new ManualClock('2026-03-01T08:00:00Z'));
    relay.flip(true);
    policy.observe();
    expect(events.at(-1)).toMatchObject({ kind: 'manual', on: true, until: '2026-03-01T10:00:00.000Z' });
    clock.set(Date.parse('2026-03-01T09:00:00Z'));
    await policy.apply(false);
    expect(relay.writes).toEqual([]);
  });

  it('runs the load without a plan when what is left only just fits before the window closes', async () => {
    const { relay, policy, clock } = rig();
    await policy.apply(null);
    expect(relay.writes).toEqual([]);
    clock.set(Date.parse('2026-03-01T15:00:00Z'));
    relay.poll();
    policy.observe();
    await policy.apply(null);
    expect(relay.writes).toEqual([true]);
    // Outside the window it switches off what it switched on.
    clock.set(Date.parse('2026-03-01T16:01:00Z'));
    relay.poll();
    policy.observe();
    await policy.apply(null);
    expect(relay.writes).toEqual([true, false]);
  });

  it('keeps the run time and a manual hold across a restart', async () => {
    const state = new MemoryState();
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const first = rig(state, clock);
    await first.policy.apply(true);
    first.policy.observe();
    first.pass(25);
    first.policy.flush();
    // Restart: a new policy on the same store, the relay still on.
    const second = new DeferrableLoadPolicy({ load: heater, relay: first.relay, clock, timeZone: 'UTC', state });
    second.observe();
    expect(second.status().ranMinutes).toBe(25);
    clock.advance(5 * MINUTE);
    first.relay.poll();
    second.observe();
    expect(second.status().ranMinutes).toBe(30);
    // The user switched it off while the add-on was down: a manual switch, held until 16:00.
    first.relay.flip(false);
    const third = new DeferrableLoadPolicy({ load: heater, relay: first.relay, clock, timeZone: 'UTC', state });
    third.observe();
    expect(third.status().manualUntil).toBe('2026-03-01T16:00:00.000Z');
    await third.apply(true);
    expect(first.relay.writes).toEqual([true]);
    expect(third.planEntry({ fromMs: clock.now(), stepMs: 15 * MINUTE, intervals: 96 })).toBeNull();
  });

  it('reports a failed switch and never throws', async () => {
    const { relay, policy, events } = rig();
    relay.fail = new Error('busy: inside the minimum on/off time');
    await expect(policy.apply(true)).resolves.toBeUndefined();
    expect(events.at(-1)).toMatchObject({ kind: 'switch_failed', on: true });
    expect(policy.status().lastError).toContain('busy');
  });
});

/** The charger's switch and current number in memory. */
class FakeCharger implements EvChargerPort {
  plugged: boolean | undefined = true;
  charging = false;
  limitW = 230 * 16;
  calls: string[] = [];
  state() {
    return {
      ...(this.plugged === undefined ? {} : { plugged: this.plugged }),
      charging: this.charging,
      limitW: this.limitW,
    };
  }
  async setCharging(on: boolean): Promise<void> {
    this.calls.push(on ? 'on' : 'off');
    this.charging = on;
  }
  async setLimit(powerW: number): Promise<void> {
    this.calls.push(`limit ${powerW}`);
    this.limitW = powerW;
  }
}

describe('EvPolicy', () => {
  const spec = { minPowerW: 1380, maxPowerW: 3680, stepW: 230, targetSocPct: 80, batteryWh: 60_000 };

  function evRig() {
    const clock = new ManualClock('2026-03-01T02:00:00Z');
    const charger = new FakeCharger();
    const policy = new EvPolicy({ spec, charger, clock, minOnOffMs: 10 * MINUTE });
    return { clock, charger, policy };
  }

  it('sets the current to the planned power (down to whole amps) and switches on, only on a change', async () => {
    const { charger, policy } = evRig();
    await policy.apply(2.5);
    expect(charger.calls).toEqual(['limit 2300', 'on']);
    await policy.apply(2.5);
    await policy.apply(2.4);
    expect(charger.calls).toEqual(['limit 2300', 'on']);
    await policy.apply(3.68);
    expect(charger.calls).toEqual(['limit 2300', 'on', 'limit 3680']);
    expect(policy.status()).toMatchObject({ plannedKw: 3.68, charging: true, limitW: 3680 });
  });

  it('switches off when the plan charges later, and not twice within the minimum on/off time', async () => {
    const { charger, policy, clock } = evRig();
    await policy.apply(3.68);
    clock.advance(5 * MINUTE);
    await policy.apply(0);
    expect(charger.calls).toEqual(['on']);
    clock.advance(5 * MINUTE);
    await policy.apply(0.5); // under half the minimum (0.69 kW): off
    expect(charger.calls).toEqual(['on', 'off']);
    clock.advance(MINUTE);
    await policy.apply(1.4);
    expect(charger.calls).toEqual(['on', 'off', 'limit 1380']);
    clock.advance(10 * MINUTE);
    await policy.apply(1.4);
    expect(charger.calls).toEqual(['on', 'off', 'limit 1380', 'on']);
  });

  it('writes nothing while the car is unplugged', async () => {
    const { charger, policy } = evRig();
    charger.plugged = false;
    await policy.apply(3);
    await policy.handBack();
    expect(charger.calls).toEqual([]);
  });

  it('hands a charger it took over back to full current, and leaves one it never touched alone', async () => {
    const { charger, policy, clock } = evRig();
    await policy.handBack();
    expect(charger.calls).toEqual([]);
    await policy.apply(0);
    await policy.apply(1.38);
    clock.advance(MINUTE);
    await policy.apply(null); // no usable plan: the charger charges as it would on its own
    expect(charger.calls).toEqual(['limit 1380', 'on', 'limit 3680']);
    charger.charging = false;
    await policy.apply(null);
    expect(charger.calls).toEqual(['limit 1380', 'on', 'limit 3680']);
  });
});

describe('FlexLoads', () => {
  const spec = { minPowerW: 1380, maxPowerW: 3680, stepW: 230, targetSocPct: 80, batteryWh: 60_000 };

  it('adds the EV and the loads to the scenario and follows the plan’s present interval', async () => {
    const clock = new ManualClock('2026-03-01T11:00:00Z');
    const relay = new FakeRelay(clock);
    const charger = new FakeCharger();
    let soc: number | undefined = 50;
    const policy = new DeferrableLoadPolicy({ load: heater, relay, clock, timeZone: 'UTC' });
    const flex = new FlexLoads({
      deferrables: [policy],
      ev: {
        spec,
        state: () => ({ plugged: true, ...(soc === undefined ? {} : { socPct: soc }) }),
        policy: new EvPolicy({ spec, charger, clock }),
      },
      clock,
      timeZone: 'UTC',
      planUsable: () => true,
    });
    const grid = { fromMs: clock.now(), stepMs: 15 * MINUTE, intervals: 8 };
    const additions = flex.planningAdditions(grid);
    expect(additions['deferrable_loads']).toEqual([
      expect.objectContaining({ name: 'water_heater', start_index: 0, end_index: 8, run_minutes: 60 }),
    ]);
    // 18 kWh do not fit two hours at 3.68 kW: the need is what the charger delivers by the end of the grid.
    expect(additions['ev']).toMatchObject({
      energy_needed_kwh: expect.closeTo(8 * 0.25 * 3.68 * 0.9 * 0.999, 6),
      deadline_index: 8,
    });
    const interval = (t: number, evKw: number, heaterKw: number) => ({
      start: new Date(grid.fromMs + t * grid.stepMs).toISOString(),
      ev_kw: evKw,
      deferrables: [{ name: 'water_heater', kw: heaterKw }],
    });
    const plan = {
      status: 'optimal',
      interval_minutes: 15,
      intervals: [interval(0, 2.3, 1.5), interval(1, 0, 0)],
    } as unknown as Plan;
    await flex.planChanged(plan);
    expect(relay.writes).toEqual([true]);
    expect(charger.calls).toEqual(['limit 2300', 'on']);
    expect(flex.evView()).toMatchObject({ readyBy: '2026-03-01T11:15:00.000Z', energyKwh: 0.575 });
    // The car's SOC goes unknown: no EV in the plan, and the charger is not switched off for it.
    soc = undefined;
    expect(flex.planningAdditions(grid)['ev']).toBeUndefined();
    await clock.advance(15 * MINUTE);
    await flex.follow();
    expect(charger.calls).toEqual(['limit 2300', 'on', 'limit 3680']);
    expect(flex.evView()).toMatchObject({ notPlanned: "the car's state of charge is unknown", readyBy: null });
    await flex.stop();
  });
});
