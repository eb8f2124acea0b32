import { systemClock } from '@sps/core';
import { startDemoKit, KIT_NAMES, type DemoKit } from '../src/cli/demo-kit';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * The power-station kit in the running add-on: the demo's kit (Bluetti AC180 simulator over its
 * loopback GATT tunnel, Shelly simulators over loopback HTTP at P1, P2 and P3, an INA260 on the memory
 * bus at P4) named by a `station` entry, driven by the optimiser with a local tou tariff and real
 * HiGHS. Two runs: a cheap hour now (the station must charge through P1), a peak hour now (the
 * station must carry the P2 loads: P3 closed). Real time; every wait is a bounded poll.
 */

const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 25_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startWith(kit: DemoKit, periods: string): Promise<AddonRuntime> {
  const config = parseOptions(
    {
      devices: kit.devices.map((d) => ({ ...d, poll_interval_s: 1 })),
      tariff: { provider: 'tou', currency: 'AUD', time_zone: 'UTC', periods },
      forecast: { load: 'none', time_zone: 'UTC' },
      optimizer: { goal: 'cost', battery_device: KIT_NAMES.composite },
    },
    builtInDrivers,
  );
  return AddonRuntime.start({
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
    haConfigDirs: [],
  });
}

interface ReadingsBody {
  devices: Record<string, { available: boolean; readings: Record<string, { value: unknown }> }>;
}

describe.each([
  {
    name: 'cheap now',
    // One cheap hour, then dear: from 15 % the station needs more than the hour to fill, so it charges now.
    socPct: 15,
    periods: (h: number) => `offpeak all ${hh(h)}-${hh(h + 1)} 0.05/0.01; peak all ${hh(h + 1)}-${hh(h)} 0.60/0.05`,
  },
  {
    name: 'peak now',
    // One dear hour, then cheap: the station carries the loads now and refills later.
    socPct: 90,
    periods: (h: number) => `peak all ${hh(h)}-${hh(h + 1)} 0.60/0.05; offpeak all ${hh(h + 1)}-${hh(h)} 0.05/0.01`,
  },
])('the power-station kit in the add-on, $name', ({ name, socPct, periods }) => {
  let kit: DemoKit;
  let runtime: AddonRuntime | undefined;

  beforeAll(async () => {
    kit = await startDemoKit({ socPct, wiringEveryMs: 200 });
    runtime = await startWith(kit, periods(new Date().getUTCHours()));
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    await kit.stop();
  });

  it('shows the composite and its members in /api/readings, each member with its own connection', async () => {
    const body = await until('the station readings', async () => {
      const b = (await (await fetch(`${runtime?.url}api/readings`)).json()) as ReadingsBody;
      return b.devices['power_station']?.available && b.devices['bluetti_ac180_simulated']?.available ? b : undefined;
    });
    const station = body.devices['power_station']?.readings ?? {};
    expect(typeof station['battery_soc']?.value).toBe('number');
    expect(station['export_power']?.value).toBe(0);
    expect(station['p1_available']?.value).toBe(true);
    expect(station['p2_available']?.value).toBe(true);
    expect(station['p3_available']?.value).toBe(true);
    expect(station['p4_available']?.value).toBe(true);
    expect(station['load_power']?.value).toBe(400);
    for (const member of [
      'station_charger_simulated',
      'house_loads_simulated',
      'station_output_relay_simulated',
      'pv_sensor_simulated',
    ]) {
      expect(body.devices[member]?.available).toBe(true);
    }
    // One physical device, one connection: the Bluetti simulator's tunnel has one client.
    expect(kit.bluetti.connectionCount).toBe(1);
  });

  if (name === 'cheap now') {
    it('charges the station: P1 closed, the station sees the grid', async () => {
      await until('P1 on', () => (kit.p1.state.relays[0]?.on ? true : undefined));
      expect(kit.p3.state.relays[0]?.on).toBe(false);
      const plan = (await (await fetch(`${runtime?.url}api/plan`)).json()) as {
        current: { action: string; command: { type: string } | null } | null;
        plan: { intervals: { batteries: { name: string; charge_kw: number }[] }[] } | null;
      };
      expect(plan.current?.action).toBe('CHARGE');
      expect(plan.current?.command?.type).toBe('force_charge');
      expect(plan.plan?.intervals[0]?.batteries[0]).toMatchObject({ name: 'station', charge_kw: 0.95 });
    });
  } else {
    it('moves the loads onto the station: P3 closed behind its live output, P1 open', async () => {
      await until('P3 on', () => (kit.p3.state.relays[0]?.on ? true : undefined));
      expect(kit.p1.state.relays[0]?.on).toBe(false);
      expect(kit.bluetti.state.acOutputOn).toBe(true);
      kit.sync();
      expect(kit.bluetti.state.acOutputW).toBeGreaterThan(0);
      const plan = (await (await fetch(`${runtime?.url}api/plan`)).json()) as {
        current: { command: { type: string } | null } | null;
      };
      expect(plan.current?.command?.type).toBe('force_discharge');
    });
  }
});
