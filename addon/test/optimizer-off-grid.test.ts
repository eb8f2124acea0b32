import { SungrowSimulator } from '@sps/device-sungrow';
import { ShellySimulator } from '@sps/device-shelly';
import { systemClock } from '@sps/core';
import { FakeHa, type Received } from '../../packages/ha/test/fakeHa';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * `optimizer.grid: none` in the running add-on (issue 13 §6): NO tariff configured, the Sungrow
 * simulator as the battery (the Studer's stand-in: any battery the optimiser can plan), a Shelly plug
 * simulator as the pump's relay, real HiGHS and a fake HA. Without a solar forecast the plan has no
 * surplus, so the pump stays off — and its window closes in an hour with the hour's run still to do,
 * which on the grid would fire the deadline backstop at once.
 */
const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface PlanBody {
  running: boolean;
  current: { action: string; reason: string } | null;
  plan: {
    status: string;
    currency: string;
    off_grid?: { unserved_kwh: number; reserve_kwh: number };
    intervals: {
      action: string;
      grid_import_kw: number;
      grid_export_kw: number;
      deferrable_kw: number;
      reason: string;
    }[];
  } | null;
  deferrable_loads: { name: string; on: boolean | null; window: { open: boolean } }[];
}

type StateUpdate = { device_id: string; key: string; state: unknown; attributes?: Record<string, unknown> };

function optimiserStates(ha: FakeHa): Map<string, StateUpdate> {
  const states = new Map<string, StateUpdate>();
  for (const r of ha.of('smart_power_station/states') as Received[]) {
    for (const s of r.msg['states'] as StateUpdate[]) if (s.device_id === 'sps:optimiser') states.set(s.key, s);
  }
  return states;
}

describe('off-grid optimiser without a tariff', () => {
  const battery = new SungrowSimulator({ realtime: true });
  const plug = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC0000F8', loadsW: [2200] });
  const ha = new FakeHa();
  let runtime: AddonRuntime;

  beforeAll(async () => {
    const batteryPort = await battery.start({ host: '127.0.0.1', port: 0 });
    const plugPort = await plug.start({ host: '127.0.0.1', port: 0 });
    const haUrl = await ha.start();
    const h = new Date().getUTCHours();
    const config = parseOptions(
      {
        devices: [
          {
            name: 'Inverter',
            driver: 'sungrow-sh',
            host: '127.0.0.1',
            port: batteryPort,
            unit_id: 1,
            transport: 'lan',
            poll_interval_s: 1,
          },
          {
            name: 'Pump plug',
            driver: 'shelly',
            host: '127.0.0.1',
            port: plugPort,
            transport: 'http',
            poll_interval_s: 1,
          },
        ],
        forecast: { load: 'none', time_zone: 'UTC' },
        optimizer: { grid: 'none' },
        deferrable_loads: [
          { name: 'pump', device: 'Pump plug', power_w: 2200, run_minutes: 60, earliest: hh(h), latest: hh(h + 1) },
        ],
      },
      builtInDrivers,
    );
    runtime = await AddonRuntime.start({
      config,
      dataDir: '/nonexistent',
      supervised: false,
      drivers: builtInDrivers,
      logger: silentLogger(),
      httpPort: 0,
      clock: systemClock,
      archive: {
        append: () => undefined,
        flush: () => undefined,
        close: () => undefined,
        history: () => ({ resolution: 'raw', points: [] }),
      },
      stateStore: new MemoryStateStore(),
      ha: { url: haUrl, token: 'test-token-123', viaSupervisor: false },
      haConfigDirs: [],
    });
    await runtime.ha?.client.waitForStatus('ready');
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    await ha.stop();
    await battery.stop();
    await plug.stop();
  });

  it('plans with no grid and no tariff, never forces the battery, and keeps the pump off without sun', async () => {
    const body = await until('an off-grid plan', async () => {
      const b = (await (await fetch(`${runtime.url}api/plan`)).json()) as PlanBody;
      return b.plan && b.plan.intervals.length > 0 && b.deferrable_loads[0]?.on !== null ? b : undefined;
    });
    expect(body.running).toBe(true);
    expect(body.plan!.status).toBe('optimal');
    expect(body.plan!.currency).toBe('XXX');
    expect(body.plan!.off_grid).toBeDefined();
    for (const iv of body.plan!.intervals) {
      expect(iv).toMatchObject({ action: 'SELF_CONSUMPTION', grid_import_kw: 0, grid_export_kw: 0, deferrable_kw: 0 });
      expect(iv.reason).toMatch(/^off-grid: /);
    }
    expect(body.current?.action).toBe('SELF_CONSUMPTION');
    // The window closes within the hour with the whole run left: on the grid the backstop would switch it on.
    expect(body.deferrable_loads[0]).toMatchObject({ name: 'pump', on: false });
    expect(plug.state.relays[0]!.on).toBe(false);
  });

  it('shows the off-grid entities in HA and no money', async () => {
    const states = await until('the optimiser states', () => {
      const s = optimiserStates(ha);
      return s.has('plan') && s.has('unserved_energy') && s.get('plan')?.state === 'optimal' ? s : undefined;
    });
    expect(states.has('load_decision')).toBe(true);
    expect(states.has('predicted_cost_today')).toBe(false);
    expect(states.get('plan')!.attributes).toMatchObject({ currency: 'XXX', off_grid: expect.any(Object) });
    expect(typeof states.get('unserved_energy')!.state).toBe('number');
  });
});
