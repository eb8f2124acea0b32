import {
  DEFAULT_GRID_PI,
  DemandResponseControl,
  initialGridPi,
  quantiseDischarge,
  stepGridPi,
  type DemandResponseContext,
  type GridPiState,
} from '@sps/control';

/**
 * The demand-response PI, pure: a static plant (grid = load − discharge, as a battery behind the
 * meter is within a 15 s period) stepped period by period.
 */

const PERIOD = DEFAULT_GRID_PI.periodMs;

interface Run {
  readonly states: GridPiState[];
  readonly writes: number;
  readonly grid: number[];
}

/** Steps the PI against grid = load(k) − written output; each measurement is taken after the write. */
function simulate(o: {
  periods: number;
  setpointW: number;
  load: (k: number) => number;
  maxOutputW?: number;
  start?: GridPiState;
  /** Periods already run (the clock goes on from there). */
  offset?: number;
}): Run {
  let state = o.start ?? initialGridPi(o.setpointW);
  let writes = 0;
  const states: GridPiState[] = [];
  const grid: number[] = [];
  for (let k = 1; k <= o.periods; k++) {
    const now = (k + (o.offset ?? 0)) * PERIOD;
    const measured = o.load(k) - state.writtenW;
    grid.push(measured);
    const step = stepGridPi(state, {
      nowMs: now,
      setpointW: o.setpointW,
      measurement: { w: measured, atMs: now - 1000 },
      maxOutputW: o.maxOutputW ?? 5000,
      atFloor: false,
      lastWriteAtMs: now - PERIOD,
    });
    if (step.write) writes += 1;
    state = step.state;
    states.push(state);
  }
  return { states, writes, grid };
}

describe('grid PI (pure)', () => {
  test('step response: a 2 kW reduction is held within ±10 % after 3 periods, with few writes', () => {
    // Load 2500 W, setpoint 500 W: the goal is a 2000 W reduction.
    const run = simulate({ periods: 12, setpointW: 500, load: () => 2500 });
    const goal = 2000;
    // grid[k] is measured after k writes: from the 4th measurement on (3 periods done) inside ±10 %.
    for (const g of run.grid.slice(3)) expect(Math.abs(g - 500)).toBeLessThanOrEqual(0.1 * goal);
    // It converges and then stops writing (minimum change): far below one write per period.
    expect(Math.abs(run.grid[run.grid.length - 1]! - 500)).toBeLessThan(DEFAULT_GRID_PI.minChangeW);
    expect(run.writes).toBeLessThanOrEqual(5);
    expect(run.states[run.states.length - 1]!.condition).toBe('dead_band');
  });

  test('clamps: the output never leaves [0, max discharge]', () => {
    // Unreachable: 4 kW would be needed, 1.5 kW is the most.
    const high = simulate({ periods: 10, setpointW: 0, load: () => 4000, maxOutputW: 1500 });
    for (const s of high.states) {
      expect(s.outputW).toBeLessThanOrEqual(1500);
      expect(s.outputW).toBeGreaterThanOrEqual(0);
    }
    expect(high.states[high.states.length - 1]!.outputW).toBe(1500);
    // Import already below the setpoint: never a negative output (no charging from the loop).
    const low = simulate({ periods: 5, setpointW: 2000, load: () => 500 });
    for (const s of low.states) expect(s.outputW).toBe(0);
  });

  test('anti-windup: after saturating for a long time, the loop leaves the limit in one period', () => {
    // 20 periods at the 1.5 kW limit with a 2.5 kW error, then the load drops to where 1 kW is enough.
    const saturated = simulate({ periods: 20, setpointW: 0, load: () => 4000, maxOutputW: 1500 });
    const last = saturated.states[saturated.states.length - 1]!;
    expect(last.integralW).toBeLessThanOrEqual(1500);
    const after = simulate({ periods: 4, setpointW: 0, load: () => 1000, maxOutputW: 1500, start: last, offset: 20 });
    // A wound-up integral (25 kW·periods) would hold 1.5 kW for many periods; here it drops at once.
    expect(after.states[0]!.outputW).toBeLessThan(1200);
    expect(Math.abs(after.grid[3]!)).toBeLessThanOrEqual(100);
  });

  test('dead band: errors inside it change nothing and write nothing', () => {
    const start: GridPiState = { ...initialGridPi(500, 1000), measuredAtMs: 0 };
    const step = stepGridPi(start, {
      nowMs: PERIOD,
      setpointW: 500,
      measurement: { w: 530, atMs: PERIOD - 500 },
      maxOutputW: 5000,
      atFloor: false,
    });
    expect(step.write).toBe(false);
    expect(step.state.integralW).toBe(1000);
    expect(step.state.condition).toBe('dead_band');
  });

  test('minimum change: a small correction is integrated but not written until it is worth a write', () => {
    const start: GridPiState = { ...initialGridPi(500, 1000), measuredAtMs: 0 };
    const input = (k: number): Parameters<typeof stepGridPi>[1] => ({
      nowMs: k * PERIOD,
      setpointW: 500,
      measurement: { w: 580, atMs: k * PERIOD - 500 },
      maxOutputW: 5000,
      atFloor: false,
    });
    const first = stepGridPi(start, input(1));
    expect(first.write).toBe(false); // 0.1·80 + 0.8·80 = 72 W < 100 W
    expect(first.state.writtenW).toBe(1000);
    const second = stepGridPi(first.state, input(2));
    expect(second.write).toBe(true); // 136 W of change by now
    expect(second.state.writtenW).toBeGreaterThan(1100);
  });

  test('stale measurement: held while no new one arrives, then reported stale (> 3 periods)', () => {
    const running: GridPiState = { ...initialGridPi(500, 1200), measuredAtMs: 10_000, measuredW: 520 };
    const m = { w: 900, atMs: 10_000 };
    const held = stepGridPi(running, {
      nowMs: 25_000,
      setpointW: 500,
      measurement: m,
      maxOutputW: 5000,
      atFloor: false,
    });
    // The same measurement again: no news, the output in force stays.
    expect(held.state.condition).toBe('hold_stale');
    expect(held.write).toBe(false);
    expect(held.state.outputW).toBe(1200);
    const before = stepGridPi(
      { ...running, measuredAtMs: 0 },
      { nowMs: 25_000, setpointW: 500, measurement: m, maxOutputW: 5000, atFloor: false, lastWriteAtMs: 12_000 },
    );
    // Taken before the last write: it does not show that write yet, so it is not used.
    expect(before.state.condition).toBe('hold_stale');
    const stale = stepGridPi(running, {
      nowMs: 10_000 + 3 * PERIOD + 1,
      setpointW: 500,
      measurement: m,
      maxOutputW: 5000,
      atFloor: false,
    });
    expect(stale.state.condition).toBe('stale');
    expect(stale.write).toBe(false);
    const none = stepGridPi(running, {
      nowMs: 30_000,
      setpointW: 500,
      measurement: undefined,
      maxOutputW: 5000,
      atFloor: false,
    });
    expect(none.state.condition).toBe('stale');
  });

  test('at the floor the output and the integral go to 0', () => {
    const running: GridPiState = { ...initialGridPi(500, 1200), measuredAtMs: 0 };
    const step = stepGridPi(running, {
      nowMs: PERIOD,
      setpointW: 500,
      measurement: { w: 2000, atMs: PERIOD - 100 },
      maxOutputW: 5000,
      atFloor: true,
    });
    expect(step.state).toMatchObject({ outputW: 0, integralW: 0, condition: 'at_floor' });
    expect(step.write).toBe(true);
  });

  test('a lower limit than the output in force is written at once', () => {
    const running: GridPiState = { ...initialGridPi(0, 3000), measuredAtMs: 0 };
    const step = stepGridPi(running, {
      nowMs: PERIOD,
      setpointW: 0,
      measurement: { w: 500, atMs: PERIOD - 100 },
      maxOutputW: 2000,
      atFloor: false,
    });
    expect(step.write).toBe(true);
    expect(step.state.writtenW).toBe(2000);
  });
});

describe('switched discharge (the power station)', () => {
  test('quantisation with hysteresis: on at the on-threshold, off only below the off-threshold', () => {
    const q = { onAboveW: 300, offBelowW: 100 };
    expect(quantiseDischarge(250, false, q)).toBe(false);
    expect(quantiseDischarge(300, false, q)).toBe(true);
    expect(quantiseDischarge(150, true, q)).toBe(true);
    expect(quantiseDischarge(90, true, q)).toBe(false);
  });

  test('the station goes on when the needed reduction exceeds the threshold and stays on while P2 is needed', () => {
    const dr = new DemandResponseControl({ switchedDischarge: { onAboveW: 300, offBelowW: 100 } });
    const ctx = (k: number, gridW: number, on: boolean, batteryW: number): DemandResponseContext => ({
      now: k * PERIOD,
      directive: { mode: 'ongoing', eventId: 'e1', eventEndMs: 10 * 3_600_000, importSetpointW: 1000 },
      piTick: true,
      measurement: { w: gridW, atMs: k * PERIOD - 500 },
      socPct: 60,
      reservePct: 10,
      maxDischargeW: 2000,
      batteryPowerW: batteryW,
      applied: on ? { kind: 'discharge', powerW: 2000 } : { kind: 'hold' },
      appliedAtMs: (k - 1) * PERIOD,
    });
    const planned = { target: { kind: 'self_consumption' as const }, reason: 'plan' };
    // 1200 W import vs 1000 W: 200 W needed, below the 300 W threshold: off.
    const a = dr.decide(ctx(1, 1200, false, 0), planned);
    expect(a).toMatchObject({ kind: 'target', target: { kind: 'hold' } });
    // 1600 W: 600 W needed: on (the transfer switch carries P2, whatever it draws).
    const b = dr.decide(ctx(2, 1600, false, 0), planned);
    expect(b).toMatchObject({ kind: 'target', target: { kind: 'discharge' } });
    // On, P2 draws 700 W and the import is now 900 W: still needed (700 − 100 = 600 W): stays on.
    const c = dr.decide(ctx(3, 900, true, 700), planned);
    expect(c).toMatchObject({ kind: 'target', target: { kind: 'discharge' } });
    expect(dr.status().pi).toMatchObject({ setpointW: 1000, measuredW: 900, errorW: -100, outputW: 600 });
    // The house's load fell: import 300 W with P2 at 150 W on the station: 150 − 700 < 0 → off.
    const d = dr.decide(ctx(4, 300, true, 150), planned);
    expect(d).toMatchObject({ kind: 'target', target: { kind: 'hold' } });
  });
});

describe('after the event: the ramp caps a planned charge', () => {
  test('a charge the plan asks for is held to what the ramp allows, counting the charge in force once', () => {
    const dr = new DemandResponseControl();
    const ramp = 600; // W per minute
    const directive = { mode: 'post_event' as const, eventId: 'e1', untilMs: 3_600_000, rampWPerMin: ramp };
    const planned = { target: { kind: 'charge' as const, powerW: 5000 }, reason: 'charging: cheap now' };
    const ctx = (
      now: number,
      gridW: number,
      batteryW: number,
      applied: DemandResponseContext['applied'],
    ): DemandResponseContext => ({
      now,
      directive,
      piTick: true,
      measurement: { w: gridW, atMs: now - 500 },
      socPct: 50,
      reservePct: 10,
      maxDischargeW: 5000,
      batteryPowerW: batteryW,
      applied,
      appliedAtMs: now - PERIOD,
    });
    // The event ended with the battery holding and 1000 W imported: the ramp starts there.
    expect(dr.decide(ctx(0, 1000, 0, { kind: 'hold' }), planned)).toMatchObject({
      kind: 'target',
      target: { kind: 'hold' },
    });
    // One minute later: 600 W of room above the unassisted 1000 W.
    expect(dr.decide(ctx(60_000, 1000, 0, { kind: 'hold' }), planned)).toMatchObject({
      kind: 'target',
      target: { kind: 'charge', powerW: 600 },
    });
    // Two minutes: the 600 W charge shows in the import (1600 W), the room is 1200 W, not 600.
    expect(dr.decide(ctx(120_000, 1600, -600, { kind: 'charge', powerW: 600 }), planned)).toMatchObject({
      kind: 'target',
      target: { kind: 'charge', powerW: 1200 },
    });
    // Nine minutes: 5400 W of room, more than the plan asks: the plan's own target.
    expect(dr.decide(ctx(540_000, 4000, -3000, { kind: 'charge', powerW: 3000 }), planned)).toEqual({ kind: 'plan' });
    expect(dr.status()).toMatchObject({ mode: 'post_event', eventId: 'e1' });
  });
});

describe('bad directives never reach the battery', () => {
  test('a non-finite setpoint or ramp: the plan, with the reason', () => {
    const dr = new DemandResponseControl();
    const base = {
      now: PERIOD,
      piTick: true,
      measurement: { w: 1000, atMs: PERIOD - 100 },
      socPct: 50,
      reservePct: 10,
      maxDischargeW: 5000,
      batteryPowerW: 0,
      applied: undefined,
      appliedAtMs: undefined,
    };
    const planned = { target: { kind: 'self_consumption' as const }, reason: 'plan' };
    expect(
      dr.decide(
        { ...base, directive: { mode: 'ongoing', eventId: 'x', eventEndMs: 1, importSetpointW: NaN } },
        planned,
      ),
    ).toEqual({ kind: 'plan', reason: 'event x: no valid import setpoint, following the plan' });
    expect(
      dr.decide({ ...base, directive: { mode: 'post_event', eventId: 'x', untilMs: 1, rampWPerMin: -5 } }, planned),
    ).toEqual({ kind: 'plan', reason: 'after event x: no valid ramp, back on the plan' });
  });
});
