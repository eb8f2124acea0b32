import { ManualClock } from '@sps/core';
import { BluettiPhysics, BluettiSimulator } from '@sps/device-bluetti';

const HOUR = 3_600_000;

describe('BluettiPhysics', () => {
  it('integrates SOC from the power balance', () => {
    const start = Date.UTC(2026, 0, 1);
    const p = new BluettiPhysics(start, { capacityWh: 1000 }, { socPct: 50, acOutputOn: true, acLoadW: 200 });
    p.advanceTo(start + HOUR);
    expect(p.state.socPct).toBeCloseTo(30, 6);
    p.state.gridConnected = true;
    p.state.chargingMode = 'turbo';
    p.advanceTo(start + 2 * HOUR);
    // Loads pass through from the grid; the battery takes the turbo charge rate (1440 W) until full.
    expect(p.state.socPct).toBe(100);
    expect(p.state.acInputW).toBe(200);
    expect(p.state.batteryPowerW).toBe(0);
  });

  it('an empty battery shuts the outputs down', () => {
    const start = Date.UTC(2026, 0, 1);
    const p = new BluettiPhysics(
      start,
      { capacityWh: 100 },
      { socPct: 10, acOutputOn: true, dcOutputOn: true, acLoadW: 500 },
    );
    p.advanceTo(start + HOUR);
    expect(p.state.socPct).toBe(0);
    expect(p.state).toMatchObject({ acOutputOn: false, dcOutputOn: false, acOutputW: 0, dcOutputW: 0 });
  });

  it('PV covers the loads and charges, and is curtailed to the loads when full', () => {
    const start = Date.UTC(2026, 0, 1);
    const p = new BluettiPhysics(start, {}, { socPct: 100, pvAvailableW: 400, acOutputOn: true, acLoadW: 150 });
    expect(p.state.dcInputW).toBe(150);
    p.state.socPct = 90;
    p.computeFlows();
    expect(p.state.dcInputW).toBe(400);
    expect(p.state.batteryPowerW).toBe(-250);
  });
});

describe('BluettiSimulator', () => {
  it('renders identity registers the way each generation stores them', () => {
    const v2 = new BluettiSimulator({ model: 'AC180', serial: '1', clock: new ManualClock() }).registers();
    expect(v2.get(110)).toBe(0x4341); // "AC" byte-swapped
    expect(v2.get(116)).toBe(1);
    const v1 = new BluettiSimulator({ model: 'AC200M', clock: new ManualClock() }).registers();
    expect(v1.get(10)).toBe(0x4143); // "AC" in order
    expect(v1.get(23)).toBe(9799); // ARM 4030.15 = 9799 + 6·65536
    expect(v1.get(24)).toBe(6);
  });

  it('rejects unknown models and non-decimal serials', () => {
    expect(() => new BluettiSimulator({ model: 'XX1' })).toThrow(/unknown Bluetti model/);
    expect(() => new BluettiSimulator({ serial: 'abc' })).toThrow(/serial/);
  });
});
