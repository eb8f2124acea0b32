import { clipAt, gridFrom, resampleSegments, samplesToSegments, sumGridPoints } from '@sps/forecasts';

const MIN = 60_000;
const H = 60 * MIN;
const T = Date.parse('2025-01-15T00:00:00Z');
const energyKwh = (pts: { start: number; end: number; kw: number }[]) =>
  pts.reduce((s, p) => s + (p.kw * (p.end - p.start)) / H, 0);

describe('resampling to the scheduler grid', () => {
  it('aligns the grid to the step and spans the horizon', () => {
    const g = gridFrom(T + 7 * MIN + 13_000, 48);
    expect(g).toEqual({ from: T + 5 * MIN, to: T + 5 * MIN + 48 * H, stepMs: 5 * MIN });
  });

  it('hourly averages → 5-minute kW without creating or losing energy', () => {
    const segments = [
      { start: T, end: T + H, kw: 1.2, kwP10: 0.6, kwP90: 1.5 },
      { start: T + H, end: T + 2 * H, kw: 3.0, kwP10: 2.0, kwP90: 3.6 },
    ];
    const pts = resampleSegments(segments, { from: T, to: T + 2 * H, stepMs: 5 * MIN });
    expect(pts).toHaveLength(24);
    expect(pts[0]).toEqual({ start: T, end: T + 5 * MIN, kw: 1.2, kwP10: 0.6, kwP90: 1.5 });
    expect(pts[23]!.kw).toBe(3.0);
    expect(energyKwh(pts)).toBeCloseTo(4.2, 10);
  });

  it('30-minute grid over 5-minute data averages, partial coverage averages the covered part, gaps omitted or zero', () => {
    const fine = Array.from({ length: 6 }, (_, i) => ({ start: T + i * 5 * MIN, end: T + (i + 1) * 5 * MIN, kw: i }));
    const grid = { from: T, to: T + 90 * MIN, stepMs: 30 * MIN };
    expect(resampleSegments(fine, grid)).toEqual([{ start: T, end: T + 30 * MIN, kw: 2.5 }]);
    const partial = [{ start: T + 40 * MIN, end: T + 50 * MIN, kw: 2 }];
    expect(resampleSegments(partial, grid)).toEqual([{ start: T + 30 * MIN, end: T + 60 * MIN, kw: 2 }]);
    expect(resampleSegments(partial, grid, { gaps: 'zero' }).map((p) => p.kw)).toEqual([0, 2, 0]);
  });

  it('instantaneous samples integrate as trapezoids; arrays sum; clipping at the inverter limit', () => {
    const segs = samplesToSegments([
      { t: T + 10 * MIN, kw: 2 },
      { t: T, kw: 0 },
      { t: T + 20 * MIN, kw: 2 },
    ]);
    // The ramp 0 → 2 kW over 10 minutes keeps its shape in 5-minute pieces.
    expect(segs).toEqual([
      { start: T, end: T + 5 * MIN, kw: 0.5 },
      { start: T + 5 * MIN, end: T + 10 * MIN, kw: 1.5 },
      { start: T + 10 * MIN, end: T + 15 * MIN, kw: 2 },
      { start: T + 15 * MIN, end: T + 20 * MIN, kw: 2 },
    ]);
    const grid = { from: T, to: T + 20 * MIN, stepMs: 5 * MIN };
    const a = resampleSegments(segs, grid);
    expect(energyKwh(a)).toBeCloseTo((1 * 10 + 2 * 10) / 60, 10);
    const sum = sumGridPoints([a, a]);
    expect(sum.map((p) => p.kw)).toEqual([1, 3, 4, 4]);
    expect(clipAt(sum, 3.5).map((p) => p.kw)).toEqual([1, 3, 3.5, 3.5]);
  });
});
