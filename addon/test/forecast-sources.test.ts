import type { ForecastGrid, ForecastPoint } from '@sps/control';
import { loadForPlan } from '../src/optimizer/forecast-sources';

const MIN = 60_000;
const from = Date.parse('2026-03-02T09:00:00Z');
const grid: ForecastGrid = { from, to: from + 48 * 60 * MIN, stepMs: 5 * MIN };

function points(start: number, count: number, kw: (i: number) => number): ForecastPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    start: start + i * 5 * MIN,
    end: start + (i + 1) * 5 * MIN,
    kw: kw(i),
  }));
}

const feed = (pts: ForecastPoint[]) => ({ current: () => ({ points: pts }) });

describe('the load the plan uses', () => {
  it('starts from the load measured now and eases into the forecast over the next hours', async () => {
    const load = loadForPlan(feed(points(from, 600, () => 0.5)), () => 1500);
    const kw = (await load.forecast(grid)).map((p) => p.kw);
    expect(kw).toHaveLength(576);
    expect(kw[0]).toBeCloseTo(1.5, 9);
    // A third of the difference left after an hour, next to nothing after a day.
    expect(kw[12]).toBeCloseTo(0.5 + Math.exp(-1), 9);
    expect(kw[288]).toBeCloseTo(0.5, 6);
    expect(kw.every((v, i) => i === 0 || v <= (kw[i - 1] as number))).toBe(true);
  });

  it('never goes below zero when the measured load is under the forecast', async () => {
    const load = loadForPlan(feed(points(from, 576, (i) => (i === 3 ? 0.05 : 1))), () => 0);
    const kw = (await load.forecast(grid)).map((p) => p.kw);
    expect(Math.min(...kw)).toBe(0);
    expect(kw[0]).toBe(0);
  });

  it('a forecast that does not cover now is not cut short: the load measured now, held flat', async () => {
    // Before: a learnt profile that only knew a later slot was used as is, so the plan had
    // "no load forecasts for <now>" and the controller fell back.
    const later = points(from + 60 * MIN, 6, () => 0.7);
    const kw = (await loadForPlan(feed(later), () => 400).forecast(grid)).map((p) => p.kw);
    expect(kw).toHaveLength(576);
    expect(kw.every((v) => v === 0.4)).toBe(true);
  });

  it('without a measurement, the forecast as it is; with neither, nothing', async () => {
    expect(await loadForPlan(feed(points(from, 576, () => 0.3)), () => undefined).forecast(grid)).toHaveLength(576);
    expect(await loadForPlan(undefined, () => undefined).forecast(grid)).toEqual([]);
  });
});
