import { FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { systemClock, type ReadingSet } from '@sps/core';
import { FakeHa, type Received } from '../../packages/ha/test/fakeHa';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * The optimiser in the running add-on: the real Sungrow adapter against the real simulator over
 * Modbus TCP on loopback, a local time-of-use tariff (cheap now, a peak three hours from now),
 * real HiGHS, and a fake HA on loopback. Real time (the controller plans at once on start).
 */

const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

/** Cheap for the next three hours, then a three-hour peak: the plan must charge now. */
function touPeriods(now: number): string {
  const h = new Date(now).getUTCHours();
  return `peak all ${hh(h + 3)}-${hh(h + 6)} 0.60/0.30; offpeak all ${hh(h + 6)}-${hh(h + 3)} 0.05/0.01`;
}

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
  off_reason: string | null;
  battery_device: string | null;
  enabled: boolean;
  goal: string;
  mode: string;
  current: { action: string; reason: string; command: { type: string; power_w?: number } | null } | null;
  next: { action: string; at: string } | null;
  today: { predictedCost: number; baselineCost: number; savings: number; currency: string } | null;
  override: { kind: string } | null;
  plan: {
    status: string;
    currency: string;
    intervals: {
      start: string;
      action: string;
      soc_pct: number;
      import_price: number;
      override?: boolean;
      reason: string;
    }[];
  } | null;
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

describe('the optimiser in the add-on (Sungrow simulator, tou tariff, HA)', () => {
  const sim = new SungrowSimulator({ realtime: true });
  const ha = new FakeHa();
  let runtime: AddonRuntime;
  let requests = 0;
  const archived: { deviceId: string; readings: ReadingSet }[] = [];

  const registers = () => ({
    ems: sim.holdingRegisters.get(HOLDING.EMS_MODE),
    forced: sim.holdingRegisters.get(HOLDING.FORCED_COMMAND),
    power: sim.holdingRegisters.get(HOLDING.FORCED_POWER),
  });
  const plan = async (): Promise<PlanBody> => (await (await fetch(`${runtime.url}api/plan`)).json()) as PlanBody;
  async function act(action: Record<string, unknown>): Promise<Record<string, unknown>> {
    const requestId = `o${++requests}`;
    ha.sendAction({ type: 'action', request_id: requestId, ...action });
    const reply = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === requestId,
    );
    return reply.msg;
  }

  beforeAll(async () => {
    const port = await sim.start({ host: '127.0.0.1', port: 0 });
    const haUrl = await ha.start();
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
        ],
        tariff: { provider: 'tou', currency: 'AUD', time_zone: 'UTC', periods: touPeriods(Date.now()) },
        forecast: { load: 'none', time_zone: 'UTC' },
        optimizer: { goal: 'cost', cycle_cost_per_kwh: 0.01 },
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
      // Records what the add-on archives and answers history from it (the cost series are checked).
      archive: {
        append: (deviceId, readings) => void archived.push({ deviceId, readings }),
        flush: () => undefined,
        close: () => undefined,
        history: (q) => ({
          resolution: 'raw',
          points: archived
            .filter((a) => a.deviceId === q.deviceId && typeof a.readings.values[q.key] === 'number')
            .map((a) => {
              const v = a.readings.values[q.key] as number;
              return { t: a.readings.timestamp, mean: v, min: v, max: v, last: v, count: 1 };
            }),
        }),
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
    await sim.stop();
  });

  it('GET /api/plan returns a 48-hour plan, and the simulator follows its current action (forced charge)', async () => {
    const body = await until('a plan', async () => {
      const b = await plan();
      return b.plan && b.current?.command ? b : undefined;
    });
    expect(body).toMatchObject({
      running: true,
      off_reason: null,
      battery_device: 'inverter',
      enabled: true,
      goal: 'cost',
    });
    expect(body.mode).toBe('optimising');
    expect(body.plan?.status).toBe('optimal');
    expect(body.plan?.currency).toBe('AUD');
    expect(body.plan?.intervals.length).toBeGreaterThan(12 * 24);
    expect(body.plan?.intervals[0]?.action).toBe('CHARGE');
    expect(body.current).toMatchObject({ action: 'CHARGE', command: { type: 'force_charge' } });
    expect(body.current?.reason).toMatch(/charging/);
    expect(body.today?.currency).toBe('AUD');
    await until('forced charge in the registers', () => {
      const r = registers();
      return r.ems === 2 && r.forced === FORCED_COMMAND_CODE.charge && (r.power ?? 0) > 0 ? r : undefined;
    });
  });

  it('GET /api/plan.svg draws the plan as SVG', async () => {
    const response = await fetch(`${runtime.url}api/plan.svg`);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await response.text();
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('class="plan-soc"');
    expect(svg).toContain('class="plan-import"');
    expect(svg).not.toContain('no plan yet');
  });

  it('declares the optimiser entities in HA and publishes the plan as an unrecorded forecast attribute', async () => {
    const declaration = await ha.waitFor(
      (r) =>
        r.msg.type === 'smart_power_station/declare' &&
        JSON.stringify(r.msg['devices']).includes('"key":"optimization_goal"'),
    );
    const devices = declaration.msg['devices'] as { id: string; entities: Record<string, unknown>[] }[];
    const hub = devices.find((d) => d.id === 'sps:optimiser');
    const byKey = new Map(hub?.entities.map((e) => [e['key'], e]));
    expect(byKey.get('optimization')).toMatchObject({ platform: 'switch' });
    expect(byKey.get('optimization_goal')).toMatchObject({
      platform: 'select',
      options: ['cost', 'self_consumption', 'off'],
    });
    expect(byKey.get('next_action_at')).toMatchObject({ device_class: 'timestamp' });
    for (const key of ['predicted_cost_today', 'baseline_cost_today', 'savings_today']) {
      expect(byKey.get(key)).toMatchObject({ platform: 'sensor', unit: 'AUD', device_class: 'monetary' });
    }
    expect(byKey.get('plan')).toMatchObject({ unrecorded_attributes: ['forecast'] });
    // Price entities of the pricing device are still there, on the same device.
    expect(byKey.has('import_price')).toBe(true);

    const action = await until('current action in HA', () => {
      const s = latestState(ha, 'current_action');
      return s?.state === 'CHARGE' ? s : undefined;
    });
    expect(action.attributes).toMatchObject({ mode: 'optimising', battery_device: 'inverter' });
    expect(latestState(ha, 'optimization')?.state).toBe(true);
    expect(latestState(ha, 'optimization_goal')?.state).toBe('cost');
    const planState = await until('plan state', () => latestState(ha, 'plan'));
    const forecast = planState.attributes?.['forecast'] as { start: string; soc_pct: number; battery_kw: number }[];
    expect(forecast.length).toBeGreaterThan(100);
    expect(forecast[0]?.start).toMatch(/Z$/);
    expect(forecast[0]?.battery_kw).toBeLessThan(0); // charging = negative battery power
    expect(typeof latestState(ha, 'savings_today')?.state).toBe('number');
  });

  it('hold_soc and optimize_now act on the controller; bad fields name the field', async () => {
    expect(
      await act({ kind: 'service', service: 'hold_soc', data: { soc_pct: 150, duration_minutes: 30 } }),
    ).toMatchObject({
      success: false,
      error: expect.stringContaining('soc_pct'),
    });
    expect(
      await act({ kind: 'service', service: 'hold_soc', data: { soc_pct: 40, duration_minutes: 30 } }),
    ).toMatchObject({
      success: true,
    });
    expect((await plan()).override).toMatchObject({ kind: 'hold_soc' });
    expect((await plan()).mode).toBe('override');
    // The override is ended early with restore_normal on the battery; then optimize_now re-plans.
    expect(await act({ kind: 'service', service: 'restore_normal', device_id: 'inverter', data: {} })).toMatchObject({
      success: true,
    });
    expect((await plan()).override).toBeNull();
    expect(await act({ kind: 'service', service: 'optimize_now', data: {} })).toMatchObject({ success: true });
    expect((await plan()).mode).toBe('optimising');
  });

  it('the goal select and the switch act on the controller and the battery', async () => {
    expect(
      await act({
        kind: 'entity',
        action: 'select_option',
        device_id: 'sps:optimiser',
        key: 'optimization_goal',
        platform: 'select',
        value: 'self_consumption',
      }),
    ).toMatchObject({ success: true, result: { state: 'self_consumption' } });
    expect(await plan()).toMatchObject({ goal: 'self_consumption', mode: 'self_consumption' });
    await until('self-consumption in the registers', () => {
      const r = registers();
      return r.ems === 0 ? r : undefined;
    });
    expect(
      await act({
        kind: 'entity',
        action: 'select_option',
        device_id: 'sps:optimiser',
        key: 'optimization_goal',
        platform: 'select',
        value: 'cheapest',
      }),
    ).toMatchObject({ success: false, error: expect.stringContaining('goal') });

    expect(
      await act({
        kind: 'entity',
        action: 'turn_off',
        device_id: 'sps:optimiser',
        key: 'optimization',
        platform: 'switch',
        value: false,
      }),
    ).toMatchObject({ success: true, result: { state: false } });
    expect(await plan()).toMatchObject({ enabled: false, mode: 'off' });
    await until('switch off in HA', () => (latestState(ha, 'optimization')?.state === false ? true : undefined));

    await act({
      kind: 'entity',
      action: 'turn_on',
      device_id: 'sps:optimiser',
      key: 'optimization',
      platform: 'switch',
      value: true,
    });
    await act({
      kind: 'entity',
      action: 'select_option',
      device_id: 'sps:optimiser',
      key: 'optimization_goal',
      platform: 'select',
      value: 'cost',
    });
    expect(await plan()).toMatchObject({ enabled: true, goal: 'cost', mode: 'optimising' });
    await until('forced charge again', () => {
      const r = registers();
      return r.ems === 2 && r.forced === FORCED_COMMAND_CODE.charge ? r : undefined;
    });
  });
  it("the panel's routes: a timed force from POST /api/optimizer/override reaches the battery and the plan; bad fields are named; DELETE ends it", async () => {
    const post = async (
      path: string,
      body: unknown,
      method = 'POST',
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await post('api/optimizer/override', { kind: 'force_discharge' })).toMatchObject({
      status: 400,
      body: { field: 'duration_minutes' },
    });
    // An empty power field is an error, never 0 W reported as done.
    expect(
      await post('api/optimizer/override', { kind: 'force_discharge', power_w: '', duration_minutes: 10 }),
    ).toMatchObject({
      status: 400,
      body: { field: 'power_w' },
    });
    expect(
      await post('api/optimizer/override', { kind: 'force_discharge', power_w: 999_999, duration_minutes: 10 }),
    ).toMatchObject({
      status: 422,
    });
    expect(await post('api/optimizer', { goal: 'cheapest' })).toMatchObject({ status: 400, body: { field: 'goal' } });
    expect(await post('api/optimizer', {})).toMatchObject({ status: 400 });

    const started = await post('api/optimizer/override', {
      kind: 'force_discharge',
      power_w: 1500,
      duration_minutes: 10,
    });
    expect(started).toMatchObject({ status: 200, body: { override: { kind: 'force_discharge', power_w: 1500 } } });
    const body = await plan();
    expect(body.mode).toBe('override');
    expect(body.override).toMatchObject({ kind: 'force_discharge' });
    expect(body.plan?.intervals[0]).toMatchObject({ action: 'EXPORT', override: true });
    expect(body.plan?.intervals[0]?.reason).toMatch(/^manual override: force discharge at 1500 W until /);
    await until('forced discharge in the registers', () => {
      const r = registers();
      return r.ems === 2 && r.forced === FORCED_COMMAND_CODE.discharge ? r : undefined;
    });
    expect(await post('api/optimizer/override', undefined, 'DELETE')).toMatchObject({
      status: 200,
      body: { override: null },
    });
    const after = await plan();
    expect(after.override).toBeNull();
    expect(after.plan?.intervals.some((i) => i.override === true)).toBe(false);
    expect(await post('api/optimizer', { goal: 'cost', enabled: true })).toMatchObject({
      status: 200,
      body: { goal: 'cost', enabled: true },
    });
  });
  it('the cost history carries the booked costs of the plans with the "without optimiser" baseline', async () => {
    const response = await fetch(`${runtime.url}api/readings/history?device=inverter&key=cost`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { points: { mean: number }[]; baseline?: { t: string; mean: number }[] };
    expect(body.points.length).toBeGreaterThan(0);
    expect(body.baseline?.length).toBe(body.points.length);
    expect(body.baseline?.[0]?.t).toMatch(/Z$/);
    // Other keys carry no baseline.
    const soc = (await (await fetch(`${runtime.url}api/readings/history?device=inverter&key=battery_soc`)).json()) as {
      baseline?: unknown;
    };
    expect(soc.baseline).toBeUndefined();
  });

  it("answers the cards' queries over the bridge with the API's JSON, and only for allow-listed reads", async () => {
    const plan = await act({ kind: 'query', path: '/api/plan' });
    expect(plan).toMatchObject({ success: true, result: { body: { running: true, battery_device: 'inverter' } } });
    const history = await act({ kind: 'query', path: '/api/readings/history?key=battery_soc&device=inverter' });
    expect(history).toMatchObject({ success: true, result: { body: { device: 'inverter', key: 'battery_soc' } } });
    expect(await act({ kind: 'query', path: '/api/readings/history?key=Bad Key' })).toMatchObject({
      success: false,
      error: expect.stringContaining('key'),
    });
    expect(await act({ kind: 'query', path: '/api/devices/inverter/commands' })).toMatchObject({
      success: false,
      error: expect.stringContaining('path: not one of'),
    });
  });
});

describe('the optimiser without a tariff', () => {
  it('stays off with the reason "no prices configured"', async () => {
    const config = parseOptions({ devices: [] }, builtInDrivers);
    const runtime = await AddonRuntime.start({
      config,
      dataDir: '/nonexistent',
      supervised: false,
      drivers: builtInDrivers,
      logger: silentLogger(),
      httpPort: 0,
      archive: {
        append: () => undefined,
        flush: () => undefined,
        close: () => undefined,
        history: () => ({ resolution: 'raw', points: [] }),
      },
      stateStore: new MemoryStateStore(),
      haConfigDirs: [],
    });
    try {
      const body = (await (await fetch(`${runtime.url}api/plan`)).json()) as PlanBody;
      expect(body).toMatchObject({ running: false, off_reason: 'no prices configured', mode: 'off', plan: null });
      expect(await (await fetch(`${runtime.url}api/plan.svg`)).text()).toContain('no plan yet');
    } finally {
      await runtime.stop();
    }
  });
});
