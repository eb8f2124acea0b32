import { ManualClock } from '@sps/core';
import {
  controlsFrom,
  initialHoldingRegisters,
  parseSungrowConnection,
  sungrowConnectionSchema,
  SungrowPhysics,
  SungrowSimulator,
  type SungrowControls,
} from '@sps/device-sungrow';

const HOUR = 3_600_000;
const selfConsumption: SungrowControls = controlsFrom(initialHoldingRegisters(10_000));
const at = (iso: string): number => Date.parse(iso);

describe('SungrowPhysics', () => {
  it('PV follows a daily bell: none at night, most around noon', () => {
    const p = new SungrowPhysics(at('2026-01-15T00:00:00Z'));
    expect(p.pvAvailable(at('2026-01-15T02:00:00Z'))).toBe(0);
    expect(p.pvAvailable(at('2026-01-15T22:00:00Z'))).toBe(0);
    const noon = p.pvAvailable(at('2026-01-15T12:00:00Z'));
    expect(noon).toBeGreaterThan(p.pvAvailable(at('2026-01-15T08:00:00Z')));
    expect(noon).toBeLessThanOrEqual(8000);
  });

  it('the load has an evening peak over the base load', () => {
    const p = new SungrowPhysics(0);
    const evening = p.loadDemand(at('2026-01-15T19:00:00Z'));
    const night = p.loadDemand(at('2026-01-15T03:00:00Z'));
    expect(evening).toBeGreaterThan(night + 1000);
  });

  it('grid = load − pv − battery at every instant, and energy balances over a day', () => {
    const start = at('2026-01-15T00:00:00Z');
    const p = new SungrowPhysics(start);
    for (let h = 1; h <= 24; h++) {
      p.advanceTo(start + h * HOUR, selfConsumption);
      const s = p.state;
      expect(s.gridPowerW).toBe(s.loadPowerW - s.pvPowerW - s.batteryPowerW);
    }
    const t = p.state.total;
    const balance = t.pvWh + t.gridImportWh + t.batteryDischargeWh - t.gridExportWh - t.batteryChargeWh;
    expect(balance).toBeCloseTo(t.loadWh, 3);
  });

  it('SOC integrates battery power with the efficiency, and stops at the min SOC', () => {
    const start = at('2026-01-15T02:00:00Z');
    const p = new SungrowPhysics(start, { initialSocPct: 50, capacityWh: 10_000, efficiency: 0.95 });
    const discharge = { ...selfConsumption, emsMode: 2, forcedCommand: 0xbb, forcedPowerW: 1900, minSocPct: 20 };
    p.advanceTo(start + HOUR, discharge);
    // 1900 Wh out of the AC side costs 2000 Wh of cells: 50 % → 30 %.
    expect(p.state.socPct).toBeCloseTo(30, 1);
    expect(p.state.total.batteryDischargeWh).toBeCloseTo(1900, 0);
    p.advanceTo(start + 3 * HOUR, discharge);
    expect(p.state.socPct).toBeCloseTo(20, 1);
    expect(p.state.batteryPowerW).toBe(0);
  });

  it('self-consumption stores surplus PV and covers the evening from the battery', () => {
    const p = new SungrowPhysics(at('2026-01-15T11:45:00Z'), { initialSocPct: 30 });
    p.advanceTo(at('2026-01-15T12:00:00Z'), selfConsumption);
    expect(p.state.batteryPowerW).toBeLessThan(0);
    p.advanceTo(at('2026-01-15T20:00:00Z'), selfConsumption);
    expect(p.state.batteryPowerW).toBeGreaterThan(0);
    expect(p.state.gridPowerW).toBe(0);
  });

  it('daily counters reset at local midnight, totals keep counting', () => {
    const start = at('2026-01-15T20:00:00Z');
    const p = new SungrowPhysics(start);
    p.advanceTo(start + 5 * HOUR, selfConsumption);
    expect(p.state.today.loadWh).toBeLessThan(p.state.total.loadWh);
    expect(p.state.today.loadWh).toBeGreaterThan(0);
  });
});

describe('SungrowSimulator', () => {
  it('answers exception 02 for unmapped registers and reports its port', async () => {
    const sim = new SungrowSimulator({ clock: new ManualClock() });
    const port = await sim.start();
    expect(port).toBeGreaterThan(0);
    expect(sim.port).toBe(port);
    await sim.stop();
  });

  it('real-time mode steps the physics every second on its clock', async () => {
    const clock = new ManualClock('2026-01-15T12:00:00Z');
    const sim = new SungrowSimulator({ clock, realtime: true });
    await sim.start();
    await clock.advance(10_000);
    expect(clock.pendingTimers).toBe(1);
    expect(sim.state.timestamp).toBe(clock.now());
    expect(sim.state.total.pvWh).toBeGreaterThan(0);
    await sim.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('sungrowConnectionSchema', () => {
  it('fills the defaults', () => {
    expect(sungrowConnectionSchema.parse({ host: '192.168.1.50' })).toEqual({
      host: '192.168.1.50',
      port: 502,
      unit_id: 1,
      timeout_ms: 3000,
      transport: 'lan',
    });
  });

  it('accepts numeric strings from the command line', () => {
    expect(parseSungrowConnection({ host: 'h', port: '1502', unit_id: '3' })).toMatchObject({ port: 1502, unit_id: 3 });
  });

  it.each([
    [{ host: '' }, 'connection.host'],
    [{ host: 'h', port: 70000 }, 'connection.port'],
    [{ host: 'h', port: 'abc' }, 'connection.port'],
    [{ host: 'h', transport: 'wifi' }, 'connection.transport'],
    [{ host: 'h', unitid: 1 }, 'connection'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parseSungrowConnection(input)).toThrow(field);
  });
});
