import { SungrowSimulator } from '@sps/device-sungrow';
import { systemClock } from '@sps/core';
import { FakeHa, type Received } from '../../packages/ha/test/fakeHa';
import { builtInDrivers, DriverRegistry } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';
import { fakeEvChargerDriver, type FakeHaCharger } from './support/fake-ev-charger';

/**
 * The EV in the running add-on: the Sungrow simulator as the battery, a fake HA-entity charger
 * (support/fake-ev-charger.ts) as the EV, a time-of-use tariff that is cheap for the next three
 * hours, real HiGHS and a fake HA. The car needs about two hours at full power, so the plan charges
 * it in the cheap hours, from now; HA gets "EV ready by" and "EV plan" on the optimiser's device.
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

type StateUpdate = { device_id: string; key: string; state: unknown; attributes?: Record<string, unknown> };

function latestState(ha: FakeHa, key: string): StateUpdate | undefined {
  let found: StateUpdate | undefined;
  for (const r of ha.of('smart_power_station/states') as Received[]) {
    for (const s of r.msg['states'] as StateUpdate[]) {
      if (s.device_id === 'sps:optimiser' && s.key === key)
        found = { ...s, attributes: s.attributes ?? found?.attributes };
    }
  }
  return found;
}

interface PlanBody {
  plan: { intervals: { start: string; ev_kw: number }[] } | null;
  ev: { notPlanned: string | null; departure: string | null; readyBy: string | null; energyKwh: number } | null;
}

describe('an EV charger planned and switched by the optimiser', () => {
  const battery = new SungrowSimulator({ realtime: true });
  const ha = new FakeHa();
  let runtime: AddonRuntime;
  let charger: FakeHaCharger | undefined;

  beforeAll(async () => {
    const batteryPort = await battery.start({ host: '127.0.0.1', port: 0 });
    const haUrl = await ha.start();
    const h = new Date().getUTCHours();
    const drivers = new DriverRegistry([
      // The fake stands in for the real ha-ev-charger driver (same name, same readings and commands).
      ...builtInDrivers
        .names()
        .filter((n) => n !== 'ha-ev-charger')
        .map((n) => builtInDrivers.get(n)!),
      fakeEvChargerDriver(systemClock, (c) => (charger = c)),
    ]);
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
          // 3 × 230 V, 6–16 A; the car (the fake's 50 %) to 80 % of 60 kWh: 18 kWh in the car, 20 kWh from the charger.
          {
            name: 'Wallbox',
            driver: 'ha-ev-charger',
            poll_interval_s: 1,
            phases: 3,
            target_soc_pct: 80,
            battery_kwh: 60,
            departure_time: hh(h + 8),
          },
        ],
        tariff: {
          provider: 'tou',
          currency: 'AUD',
          time_zone: 'UTC',
          periods: `offpeak all ${hh(h)}-${hh(h + 3)} 0.05/0.01; peak all ${hh(h + 3)}-${hh(h)} 0.60/0.30`,
        },
        forecast: { load: 'none', time_zone: 'UTC' },
        optimizer: { goal: 'cost', ev_charger: 'Wallbox' },
      },
      drivers,
    );
    runtime = await AddonRuntime.start({
      config,
      dataDir: '/nonexistent',
      supervised: false,
      drivers,
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
  });

  it('charges the car now, and shows the EV plan in /api/plan and in HA', async () => {
    const body = await until('a plan that charges the car', async () => {
      const b = (await (await fetch(`${runtime.url}api/plan`)).json()) as PlanBody;
      return b.ev?.readyBy && charger?.on ? b : undefined;
    });
    expect(charger!.commands[0]).toEqual({ type: 'set_relay', on: true });
    expect(body.ev).toMatchObject({ notPlanned: null });
    expect(body.ev!.energyKwh).toBeCloseTo(20, 1);
    expect(body.plan!.intervals[0]!.ev_kw).toBeGreaterThanOrEqual(4.14);
    const readyBy = await until('EV ready by in HA', () => {
      const s = latestState(ha, 'ev_ready_by');
      return typeof s?.state === 'string' ? s : undefined;
    });
    expect(Date.parse(readyBy.state as string)).toBeLessThanOrEqual(Date.parse(body.ev!.departure!));
    const evPlan = await until('EV plan in HA, charging', () => {
      const s = latestState(ha, 'ev_plan');
      return typeof s?.state === 'number' && s.attributes?.['charging'] === true ? s : undefined;
    });
    expect(evPlan.attributes).toMatchObject({ not_planned: null, charging: true });
    expect((evPlan.attributes?.['intervals'] as unknown[]).length).toBeGreaterThan(0);
    // The entities are declared with the plan's intervals kept out of HA's recorder.
    const declared = JSON.stringify(ha.of('smart_power_station/declare').map((r) => r.msg));
    expect(declared).toContain('"ev_plan"');
    expect(declared).toMatch(/"unrecorded_attributes":\["intervals"\]|"unrecordedAttributes":\["intervals"\]/);
  });
});
