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
 * A deferrable load in the running add-on: the Sungrow simulator as the battery, a Shelly plug simulator
 * as the load's relay (HTTP on loopback), a local time-of-use tariff, real HiGHS and a fake HA. The
 * load's window is the cheap hours from now; its run time is longer than what is left of the window,
 * so every interval of it is planned on, and the plug must be switched on at once.
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
  plan: { intervals: { start: string; deferrables?: { name: string; kw: number }[] }[] } | null;
  ev: unknown;
  deferrable_loads: { name: string; on: boolean | null; window: { open: boolean }; manualUntil: string | null }[];
}

type StateUpdate = { device_id: string; key: string; state: unknown; attributes?: Record<string, unknown> };

function optimiserKeys(ha: FakeHa): Set<string> {
  const keys = new Set<string>();
  for (const r of ha.of('smart_power_station/states') as Received[]) {
    for (const s of r.msg['states'] as StateUpdate[]) if (s.device_id === 'sps:optimiser') keys.add(s.key);
  }
  return keys;
}

describe('a deferrable load on a Shelly plug, planned and switched by the optimiser', () => {
  const battery = new SungrowSimulator({ realtime: true });
  const plug = new ShellySimulator({ profile: 'plus-plug-s', mac: 'AABBCC0000F7', loadsW: [800] });
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
            name: 'Pool plug',
            driver: 'shelly',
            host: '127.0.0.1',
            port: plugPort,
            transport: 'http',
            poll_interval_s: 1,
          },
        ],
        tariff: {
          provider: 'tou',
          currency: 'AUD',
          time_zone: 'UTC',
          periods: `offpeak all ${hh(h)}-${hh(h + 3)} 0.05/0.01; peak all ${hh(h + 3)}-${hh(h)} 0.60/0.30`,
        },
        forecast: { load: 'none', time_zone: 'UTC' },
        optimizer: { goal: 'cost' },
        deferrable_loads: [
          {
            name: 'pool_pump',
            device: 'Pool plug',
            power_w: 800,
            run_minutes: 180,
            earliest: hh(h),
            latest: hh(h + 3),
          },
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

  it('plans the load in its window, switches the plug on, and shows it in /api/plan', async () => {
    const body = await until('a plan with the load', async () => {
      const b = (await (await fetch(`${runtime.url}api/plan`)).json()) as PlanBody;
      return b.plan && b.deferrable_loads[0]?.on === true ? b : undefined;
    });
    expect(plug.state.relays[0]!.on).toBe(true);
    expect(body.ev).toBeNull();
    expect(body.deferrable_loads[0]).toMatchObject({ name: 'pool_pump', window: { open: true }, manualUntil: null });
    const first = body.plan!.intervals[0]!;
    expect(first.deferrables).toEqual([{ name: 'pool_pump', kw: 0.8 }]);
    // Outside the window (after the cheap hours) the load is never planned.
    const after = body.plan!.intervals.filter((iv) => Date.parse(iv.start) >= Date.parse(first.start) + 3 * 3_600_000);
    expect(after.every((iv) => iv.deferrables?.[0]?.kw === 0)).toBe(true);
    // No EV charger configured: no EV entities on the optimiser's device.
    await until('the optimiser states', () => (optimiserKeys(ha).has('plan') ? true : undefined));
    expect(optimiserKeys(ha).has('ev_ready_by')).toBe(false);
  });
});
