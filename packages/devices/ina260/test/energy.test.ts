import { EnergyIntegrator } from '@sps/device-ina260';

describe('EnergyIntegrator', () => {
  it('integrates power over time by the trapezoid rule', () => {
    const e = new EnergyIntegrator(0, 3_600_000);
    expect(e.add(0, 100)).toBe(0);
    expect(e.add(1_800_000, 300)).toBeCloseTo(100, 9); // half an hour averaging 200 W
  });

  it('does not bridge long gaps, ignores time going backwards and negative power', () => {
    const e = new EnergyIntegrator(10, 60_000);
    e.add(0, 100);
    expect(e.add(120_000, 100)).toBe(10);
    expect(e.add(60_000, 100)).toBe(10);
    expect(e.add(96_000, -50)).toBeCloseTo(10 + (100 / 2) * (36_000 / 3_600_000), 9);
    expect(() => new EnergyIntegrator(-1)).toThrow(RangeError);
  });
});
