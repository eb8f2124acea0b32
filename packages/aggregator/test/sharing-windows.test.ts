import fc from 'fast-check';
import { MinuteSampler, TimeWeightedAverager, participantPayload } from '../src/sharing/internals';

const W = 15 * 60_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');

describe('TimeWeightedAverager', () => {
  it('weights each value by how long it held, not by how many readings there were', () => {
    const avg = new TimeWeightedAverager(['grid_power'], W, 5 * 60_000);
    // 1000 W for the first 5 minutes (reported every 10 s), then 0 W reported once and held.
    for (let t = 0; t < 5 * 60_000; t += 10_000) avg.note('meter', T0 + t, { grid_power: 1000 });
    for (let t = 5 * 60_000; t < W; t += 4 * 60_000) avg.note('meter', T0 + t, { grid_power: 0 });
    expect(avg.close(T0)).toEqual([{ deviceId: 'meter', values: { grid_power: 333.3 }, coveredS: 900 }]);
  });

  it('a silent device stops counting after the hold limit; an empty window yields nothing', () => {
    const avg = new TimeWeightedAverager(['battery_soc'], W, 5 * 60_000);
    avg.note('station', T0, { battery_soc: 50 });
    expect(avg.close(T0)).toEqual([{ deviceId: 'station', values: { battery_soc: 50 }, coveredS: 300 }]);
    expect(avg.close(T0 + W)).toEqual([]);
  });

  it('splits a held value across the window boundary, ignores other keys and non-numbers', () => {
    const avg = new TimeWeightedAverager(['pv_power'], W, 5 * 60_000);
    avg.note('pv', T0 + W - 60_000, { pv_power: 600, pv_energy: 5, state: 'x' });
    avg.note('pv', T0 + W + 60_000, { pv_power: 0 }); // then held 5 min at most
    expect(avg.close(T0)).toEqual([{ deviceId: 'pv', values: { pv_power: 600 }, coveredS: 60 }]);
    expect(avg.close(T0 + W)).toEqual([{ deviceId: 'pv', values: { pv_power: 100 }, coveredS: 360 }]);
  });

  it('the average of any readings stays between their minimum and maximum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 1, max: 120_000 }), v: fc.integer({ min: -5000, max: 5000 }) }), {
          minLength: 1,
          maxLength: 60,
        }),
        (steps) => {
          const avg = new TimeWeightedAverager(['grid_power'], W, 5 * 60_000);
          let t = T0;
          const seen: number[] = [];
          for (const { dt, v } of steps) {
            if (t >= T0 + W) break;
            avg.note('m', t, { grid_power: v });
            seen.push(v);
            t += dt;
          }
          const [out] = avg.close(T0);
          const value = out?.values.grid_power ?? NaN;
          expect(value).toBeGreaterThanOrEqual(Math.min(...seen) - 0.05);
          expect(value).toBeLessThanOrEqual(Math.max(...seen) + 0.05);
        },
      ),
    );
  });
});

describe('MinuteSampler', () => {
  it('keeps the last value of each key per device and minute, in time order', () => {
    const s = new MinuteSampler();
    s.note('a', T0 + 1_000, { x: 1, y: 'on' });
    s.note('a', T0 + 50_000, { x: 2 });
    s.note('b', T0 + 30_000, { z: true });
    s.note('a', T0 + 61_000, { x: 3 });
    s.note('a', T0 + 2_000, { x: 99 }); // late for a finished minute: dropped
    expect(s.take(T0 + 60_000)).toEqual([
      { deviceId: 'a', minuteStartMs: T0, values: { x: 2, y: 'on' } },
      { deviceId: 'b', minuteStartMs: T0, values: { z: true } },
    ]);
    expect(s.take(T0 + 60_000)).toEqual([]);
    expect(s.take(T0 + 120_000)).toEqual([{ deviceId: 'a', minuteStartMs: T0 + 60_000, values: { x: 3 } }]);
  });
});

describe('participantPayload', () => {
  it('keeps the field order, leaves unknown fields empty and strips the separator from text', () => {
    expect(participantPayload({ relay_on: false, load_power: 10.04, battery_soc: '5#0' }, T0, 'UTC')).toBe(
      '50#####0###10#2026-03-02 10:00:00',
    );
  });
});
