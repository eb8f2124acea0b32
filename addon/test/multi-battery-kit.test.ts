import { systemClock } from '@sps/core';
import { FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { startDemoKit, KIT_NAMES, type DemoKit } from '../src/cli/demo-kit';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * Two batteries under one optimiser in the running add-on (issue 12 item 4): the Sungrow simulator
 * over Modbus TCP and the power-station kit (Bluetti over its loopback tunnel, Shelly relays over
 * HTTP, INA260 on the memory bus), both in `optimizer.battery_devices`, a cheap hour now. Both
 * charge, each through its own adapter (Sungrow registers 13050–13052; the station's P1 relay).
 * The Sungrow then stops answering: it is planned out, the station keeps charging; when it
 * answers again it rejoins. Real time; every wait is a bounded poll.
 */

const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface PlanBody {
  batteries: {
    device: string;
    mode: string;
    planned: boolean;
    reason: string | null;
    current: { action: string } | null;
  }[];
  joint_plan: { members: string[]; excluded: { name: string; reason: string }[] } | null;
}

let kit: DemoKit;
const sungrow = new SungrowSimulator({ realtime: true, physics: { initialSocPct: 20 } });
let runtime: AddonRuntime | undefined;

beforeAll(async () => {
  kit = await startDemoKit({ socPct: 15, wiringEveryMs: 200 });
  const port = await sungrow.start({ host: '127.0.0.1', port: 0 });
  const h = new Date().getUTCHours();
  const config = parseOptions(
    {
      devices: [
        {
          name: 'Inverter',
          driver: 'sungrow-sh',
          host: '127.0.0.1',
          port,
          unit_id: 1,
          transport: 'lan',
          poll_interval_s: 1,
        },
        ...kit.devices.map((d) => ({ ...d, poll_interval_s: 1 })),
      ],
      tariff: {
        provider: 'tou',
        currency: 'AUD',
        time_zone: 'UTC',
        periods: `offpeak all ${hh(h)}-${hh(h + 1)} 0.05/0.01; peak all ${hh(h + 1)}-${hh(h)} 0.60/0.05`,
      },
      forecast: { load: 'none', time_zone: 'UTC' },
      optimizer: { goal: 'cost', battery_devices: [KIT_NAMES.composite, 'Inverter'] },
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
    haConfigDirs: [],
  });
}, 30_000);

afterAll(async () => {
  await runtime?.stop();
  await kit.stop();
  await sungrow.stop();
});

const plan = async (): Promise<PlanBody> => (await (await fetch(`${runtime?.url}api/plan`)).json()) as PlanBody;
const sungrowCharging = (): boolean =>
  sungrow.holdingRegisters.get(HOLDING.EMS_MODE) === 2 &&
  sungrow.holdingRegisters.get(HOLDING.FORCED_COMMAND) === FORCED_COMMAND_CODE.charge;

describe('the Sungrow and the power station under one optimiser', () => {
  it('plans both together and charges each through its own adapter', async () => {
    await until('both batteries in one plan', async () => {
      const b = await plan();
      return b.joint_plan?.members.length === 2 ? b : undefined;
    });
    await until('P1 on (the station charges)', () => (kit.p1.state.relays[0]?.on ? true : undefined));
    await until('the Sungrow force-charging', () => (sungrowCharging() ? true : undefined));
    const b = await plan();
    expect(b.joint_plan?.members.sort()).toEqual(['inverter', 'power_station']);
    expect(b.batteries.map((x) => [x.device, x.mode, x.current?.action])).toEqual([
      ['power_station', 'optimising', 'CHARGE'],
      ['inverter', 'optimising', 'CHARGE'],
    ]);
    const svg = await (await fetch(`${runtime?.url}api/plan.svg`)).text();
    expect(svg).toContain('data-battery="inverter"');
    expect(svg).toContain('data-battery="power_station"');
  });

  it('plans the Sungrow out while it does not answer; the station keeps charging; it rejoins', async () => {
    sungrow.setFaults({ dropConnections: true });
    const out = await until('the Sungrow planned out', async () => {
      const b = await plan();
      return b.joint_plan?.members.join() === 'power_station' ? b : undefined;
    });
    const inverter = out.batteries.find((x) => x.device === 'inverter');
    expect(inverter?.mode).toBe('fallback');
    expect(inverter?.planned).toBe(false);
    expect(inverter?.reason).toEqual(expect.any(String));
    expect(out.joint_plan?.excluded).toEqual([{ name: 'inverter', reason: 'in fallback' }]);
    expect(out.batteries.find((x) => x.device === 'power_station')?.mode).toBe('optimising');
    expect(kit.p1.state.relays[0]?.on).toBe(true);

    sungrow.setFaults({ dropConnections: false });
    await until('the Sungrow back in the plan', async () => {
      const b = await plan();
      return b.joint_plan?.members.length === 2 ? b : undefined;
    });
    await until('the Sungrow force-charging again', () => (sungrowCharging() ? true : undefined));
  }, 60_000);
});
