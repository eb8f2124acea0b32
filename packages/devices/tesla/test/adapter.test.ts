import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceError } from '@sps/core';
import { FileSavedSettings, TeslemetryAdapter } from '@sps/device-tesla';
import { closeAll, restartAdapter, startRig } from './helpers';

afterEach(() => closeAll());

/** A loopback port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const errorOf = async (p: Promise<unknown>): Promise<DeviceError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeviceError) return err;
    throw err;
  }
  throw new Error('expected a DeviceError');
};

describe('TeslemetryAdapter readings', () => {
  it('finds the first energy site in /api/1/products and keeps its id as a string with every digit', async () => {
    const { adapter, sim } = await startRig();
    // 90071992547409931 is beyond 2^53: parsed as a number it would end in …930 or …932.
    expect(sim.siteId).toBe('90071992547409931');
    expect(adapter.energySiteId).toBe('90071992547409931');
    expect(sim.requests[0]?.path).toBe('/api/1/products');
    const info = adapter.describe().info;
    expect(info).toMatchObject({ manufacturer: 'Tesla', model: 'Powerwall ×2', serial: '90071992547409931' });
  });

  it('uses the configured site id without asking for products', async () => {
    const { sim } = await startRig({ sim: { siteId: '123456' }, connection: { site_id: 123456 } });
    expect(sim.requests.map((r) => r.path)).not.toContain('/api/1/products');
    expect(sim.requests[0]?.path).toBe('/api/1/energy_sites/123456/site_info');
  });

  it("reports powers in the project's signs: battery > 0 discharging, grid > 0 importing", async () => {
    // Evening in Brisbane (08:00Z = 18:00 local): no sun, 2 kW load, battery above its reserve.
    const { adapter, sim } = await startRig({ sim: { site: { socPct: 80, reservePct: 20 } } });
    const { values } = await adapter.read();
    const s = sim.state;
    expect(values['battery_power']).toBe(s.batteryW);
    expect(values['grid_power']).toBe(s.gridW);
    expect(values['pv_power']).toBe(s.solarW);
    expect(values['load_power']).toBe(s.loadW);
    // The house balance in our signs: load = pv + battery + grid.
    expect(
      (values['pv_power'] as number) + (values['battery_power'] as number) + (values['grid_power'] as number),
    ).toBe(values['load_power']);
    expect(values['battery_soc']).toBeCloseTo(s.socPct, 6);
    expect(values).toMatchObject({
      grid_status: 'active',
      island_status: 'on_grid',
      backup_reserve: 20,
      operation_mode: 'self_consumption',
      export_rule: 'pv_only',
      grid_charging: 'grid_charging_blocked',
      battery_capacity: 27_000,
      nameplate_power: 10_000,
      control_state: 'normal',
    });
  });

  it('signs a discharging battery positive and an importing grid positive (a known state)', async () => {
    const { adapter, sim } = await startRig({ sim: { site: { socPct: 90, reservePct: 10, maxPowerW: 300 } } });
    const { values } = await adapter.read();
    // The load (≥ 500 W) is bigger than the battery's 300 W whenever the sun is down or weak.
    if (sim.state.solarW === 0) {
      expect(values['battery_power']).toBe(300);
      expect(values['grid_power']).toBeGreaterThan(0);
    }
    expect(Math.sign(values['battery_power'] as number)).toBe(Math.sign(sim.state.batteryW));
  });

  it('reads the lifetime totals of calendar_history as energy counters, once per interval', async () => {
    const { adapter, sim } = await startRig();
    const { values } = await adapter.read();
    const t = sim.state.totals;
    expect(values['pv_energy']).toBeCloseTo(Math.round(t.solar), -1);
    expect(values['grid_import_energy']).toBeGreaterThanOrEqual(5_000_000);
    expect(values['grid_export_energy']).toBeGreaterThanOrEqual(2_600_000);
    expect(values['battery_charge_energy']).toBeGreaterThanOrEqual(2_200_000);
    expect(values['battery_discharge_energy']).toBeGreaterThanOrEqual(2_000_000);
    expect(values['load_energy']).toBeGreaterThanOrEqual(10_200_000);
    await adapter.read();
    const history = sim.requests.filter((r) => r.path.endsWith('/calendar_history'));
    expect(history).toHaveLength(1); // at connect; the next is due after energy_interval_s (900 s)
  });
});

describe('TeslemetryAdapter commands', () => {
  it('set_backup_reserve posts backup; an equal value costs no call', async () => {
    const { adapter, sim } = await startRig();
    const outcome = await adapter.execute({ type: 'set_backup_reserve', percent: 35 });
    expect(outcome.writes).toBe(1);
    expect(sim.writes('backup').map((w) => w.body)).toEqual([{ backup_reserve_percent: 35 }]);
    expect(sim.state.reservePct).toBe(35);
    expect((await adapter.execute({ type: 'set_backup_reserve', percent: 35 })).writes).toBe(0);
    expect(sim.writes()).toHaveLength(1);
  });

  it('set_operating_mode drives operation, the export rule and grid charging', async () => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'set_operating_mode', mode: 'autonomous' });
    await adapter.execute({ type: 'set_operating_mode', mode: 'battery_ok' });
    await adapter.execute({ type: 'set_operating_mode', mode: 'grid_charging_allowed' });
    expect(sim.writes().map((w) => [w.path.split('/').pop(), w.body])).toEqual([
      ['operation', { default_real_mode: 'autonomous' }],
      ['grid_import_export', { customer_preferred_export_rule: 'battery_ok' }],
      ['grid_import_export', { disallow_charge_from_grid_with_solar_installed: false }],
    ]);
    expect(sim.state).toMatchObject({ mode: 'autonomous', exportRule: 'battery_ok', gridChargingBlocked: false });
    const refused = await errorOf(adapter.execute({ type: 'set_operating_mode', mode: 'backup' }));
    expect(refused.kind).toBe('rejected');
    expect(refused.message).toMatch(/^mode: unknown mode "backup"/);
  });

  it('force_charge: grid charging allowed, reserve 100 %, a cheap tariff now, autonomous; restore puts the user back', async () => {
    const { adapter, sim } = await startRig({ sim: { site: { reservePct: 25, socPct: 50 } } });
    const outcome = await adapter.execute({ type: 'force_charge', power_w: 5000 });
    expect(sim.writes().map((w) => w.path.split('/').pop())).toEqual([
      'grid_import_export',
      'backup',
      'time_of_use_settings',
      'operation',
    ]);
    expect(outcome.writes).toBe(4);
    expect(sim.state).toMatchObject({ reservePct: 100, mode: 'autonomous', gridChargingBlocked: false });
    expect(sim.state.tariff?.code).toBe('SPS:PLAN');
    const { values } = await adapter.read();
    expect(values['control_state']).toBe('charge');
    expect(sim.state.batteryW).toBe(-sim.state.maxPowerW); // charging from the grid at full power
    const restored = await adapter.execute({ type: 'restore_normal' });
    expect(restored.applied).toEqual({ operation_mode: 'self_consumption', backup_reserve: 25 });
    expect(sim.state).toMatchObject({ reservePct: 25, mode: 'self_consumption', gridChargingBlocked: true });
    expect((await adapter.read()).values['control_state']).toBe('normal');
    // Nothing forced any more: restore_normal costs no call.
    const before = sim.writes().length;
    expect((await adapter.execute({ type: 'restore_normal' })).writes).toBe(0);
    expect(sim.writes()).toHaveLength(before);
  });

  it('a repeated force (the controller re-sends it every interval) costs no call', async () => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'force_charge', power_w: 5000 });
    const again = await adapter.execute({ type: 'force_charge', power_w: 4000 });
    expect(again.writes).toBe(0);
    expect(sim.writes()).toHaveLength(4);
    await adapter.execute({ type: 'force_discharge', power_w: 4000 });
    expect(sim.writes('time_of_use_settings')).toHaveLength(2); // a new kind of force: a new tariff
  });

  it('force_discharge: export rule battery_ok, the user reserve, a high sell price now, autonomous', async () => {
    const { adapter, sim } = await startRig({ sim: { site: { reservePct: 20, socPct: 80 } } });
    await adapter.execute({ type: 'force_discharge', power_w: 5000 });
    expect(sim.writes().map((w) => [w.path.split('/').pop(), w.body])).toEqual([
      ['grid_import_export', { customer_preferred_export_rule: 'battery_ok' }],
      ['time_of_use_settings', expect.anything()],
      ['operation', { default_real_mode: 'autonomous' }],
    ]);
    await adapter.read();
    expect(sim.state.batteryW).toBe(sim.state.maxPowerW);
    expect(sim.state.gridW).toBeLessThan(0); // exporting
    await adapter.execute({ type: 'restore_normal' });
    expect(sim.state).toMatchObject({ exportRule: 'pv_only', mode: 'self_consumption', reservePct: 20 });
  });

  it('a reserve asked for while forced is the one restore_normal puts back', async () => {
    const { adapter, sim } = await startRig({ sim: { site: { reservePct: 20 } } });
    await adapter.execute({ type: 'force_charge', power_w: 3000 });
    const deferred = await adapter.execute({ type: 'set_backup_reserve', percent: 40 });
    expect(deferred).toMatchObject({ writes: 0, applied: { percent: 40, after_restore: true } });
    expect(sim.state.reservePct).toBe(100);
    await adapter.execute({ type: 'restore_normal' });
    expect(sim.state.reservePct).toBe(40);
  });

  it('hold (force_charge at 0 W) sets the reserve to the present charge', async () => {
    const { adapter, sim } = await startRig({ sim: { site: { reservePct: 20, socPct: 63.2 } } });
    await adapter.read();
    const outcome = await adapter.execute({ type: 'force_charge', power_w: 0 });
    expect(outcome.applied).toMatchObject({ backup_reserve: 64, operation_mode: 'self_consumption' });
    expect(sim.state.reservePct).toBe(64);
    await adapter.execute({ type: 'restore_normal' });
    expect(sim.state.reservePct).toBe(20);
  });

  it('restores the reserve and mode the user had after a restart in the middle of a force', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sps-tesla-'));
    try {
      const file = path.join(dir, 'teslemetry-powerwall.json');
      const rig = await startRig({ sim: { site: { reservePct: 30 } }, savedSettings: new FileSavedSettings(file) });
      await rig.adapter.execute({ type: 'force_charge', power_w: 5000 });
      expect(rig.sim.state).toMatchObject({ reservePct: 100, mode: 'autonomous' });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ backup_reserve: 30, forced: 'charge' });
      await rig.adapter.close(); // the add-on stops without handing back (killed)

      const next: TeslemetryAdapter = restartAdapter(rig, new FileSavedSettings(file));
      await next.connect();
      expect((await next.read()).values['control_state']).toBe('charge');
      await next.execute({ type: 'restore_normal' });
      expect(rig.sim.state).toMatchObject({ reservePct: 30, mode: 'self_consumption', gridChargingBlocked: true });
      expect(() => readFileSync(file)).toThrow(); // forgotten once handed back
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tariff sync uploads the plan as a tariff once, switches to autonomous, and restore hands back', async () => {
    const { adapter, sim } = await startRig();
    const start = Date.now() - (Date.now() % 1_800_000);
    const plan = {
      currency: 'AUD',
      interval_minutes: 30,
      intervals: Array.from({ length: 96 }, (_, i) => ({
        start: new Date(start + i * 1_800_000).toISOString(),
        action: i < 2 ? ('CHARGE' as const) : ('SELF_CONSUMPTION' as const),
        import_price: 0.3,
        export_price: 0.05,
      })),
    };
    expect(await adapter.syncPlan(plan)).toEqual({ uploaded: true, writes: 2 });
    expect(await adapter.syncPlan(plan)).toEqual({ uploaded: false, writes: 0 });
    expect(sim.writes('time_of_use_settings')).toHaveLength(1);
    expect(sim.state.mode).toBe('autonomous');
    expect((await adapter.read()).values['control_state']).toBe('plan');
    await adapter.execute({ type: 'restore_normal' });
    expect(sim.state.mode).toBe('self_consumption');
  });
});

describe('tariff sync upload budget', () => {
  it('within 15 minutes uploads again only when the present half-hour changes', async () => {
    const { adapter, sim } = await startRig();
    const start = Date.now() - (Date.now() % 1_800_000);
    const plan = (nowPrice: number, laterPrice: number) => ({
      currency: 'AUD',
      interval_minutes: 30,
      intervals: Array.from({ length: 96 }, (_, i) => ({
        start: new Date(start + i * 1_800_000).toISOString(),
        action: 'SELF_CONSUMPTION' as const,
        import_price: i < 2 ? nowPrice : laterPrice,
        export_price: 0.05,
      })),
    });
    await adapter.syncPlan(plan(0.3, 0.25));
    await adapter.syncPlan(plan(0.3, 0.27)); // only later half-hours moved
    expect(sim.writes('time_of_use_settings')).toHaveLength(1);
    await adapter.syncPlan(plan(0.4, 0.27)); // what the present half-hour costs changed
    expect(sim.writes('time_of_use_settings')).toHaveLength(2);
  });
});

describe('TeslemetryAdapter and the API failing', () => {
  it('401: connect fails as auth_failed "token rejected" with the API error', async () => {
    const { adapter, availability } = await startRig({ connection: { token: 'wrong' }, connect: false });
    const err = await errorOf(adapter.connect());
    expect(err.kind).toBe('auth_failed');
    expect(err.reason).toBe('auth failed: token rejected (HTTP 401: invalid bearer token)');
    expect(availability.at(-1)).toMatchObject({ available: false, reason: err.reason });
  });

  it('401 mid-run makes the device unavailable with "token rejected"', async () => {
    const { adapter, sim, availability } = await startRig();
    sim.inject({ kind: 'status', status: 401, error: 'token expired' });
    const err = await errorOf(adapter.read());
    expect(err.kind).toBe('auth_failed');
    expect(availability.at(-1)).toMatchObject({
      available: false,
      reason: 'auth failed: token rejected (HTTP 401: token expired)',
    });
  });

  it('429 + Retry-After: busy, no request before it ends, and a command waits it out', async () => {
    const { adapter, sim, availability } = await startRig();
    sim.inject({ kind: 'status', status: 429, retryAfter: '1', error: 'Too Many Requests' });
    const err = await errorOf(adapter.read());
    expect(err.kind).toBe('busy');
    expect(err.message).toMatch(/retry after 1 s/);
    expect(availability.at(-1)?.available).toBe(true); // busy is not gone
    const count = sim.requests.length;
    expect((await errorOf(adapter.read())).kind).toBe('busy');
    expect(sim.requests).toHaveLength(count); // nothing sent inside Retry-After
    // The command queue waits for the Retry-After (1 s) and then sends.
    const outcome = await adapter.execute({ type: 'set_backup_reserve', percent: 45 });
    expect(outcome.writes).toBe(1);
    expect(sim.state.reservePct).toBe(45);
  });

  it('429 with a long Retry-After: the command is answered busy, not held', async () => {
    const { adapter, sim } = await startRig();
    sim.inject({ kind: 'status', status: 429, retryAfter: '3600' }, { match: '/backup' });
    const err = await errorOf(adapter.execute({ type: 'set_backup_reserve', percent: 45 }));
    expect(err.kind).toBe('busy');
    expect(err.message).toMatch(/retry after 3600 s/);
  });

  it('5xx is transient: a command is retried with back-off, a read reports it', async () => {
    const { adapter, sim, availability } = await startRig();
    sim.inject({ kind: 'status', status: 502, error: 'upstream unavailable' }, { match: '/backup', times: 2 });
    const outcome = await adapter.execute({ type: 'set_backup_reserve', percent: 55 });
    expect(outcome.writes).toBe(1);
    expect(sim.writes('backup')).toHaveLength(3);
    expect(sim.state.reservePct).toBe(55);
    sim.inject({ kind: 'status', status: 503, error: 'vehicle_unavailable' }, { match: '/live_status' });
    const err = await errorOf(adapter.read());
    expect(err.reason).toMatch(/HTTP 503: vehicle_unavailable/);
    expect(availability.at(-1)?.available).toBe(false);
    await adapter.read();
    expect(availability.at(-1)?.available).toBe(true);
  });

  it("reports the API's error body as the reason of a refusal", async () => {
    const { adapter, sim } = await startRig();
    sim.inject(
      { kind: 'status', status: 400, error: 'backup reserve not allowed while storm watch is active' },
      { match: '/backup' },
    );
    const err = await errorOf(adapter.execute({ type: 'set_backup_reserve', percent: 50 }));
    expect(err.kind).toBe('rejected');
    expect(err.message).toBe(
      'POST /api/1/energy_sites/90071992547409931/backup: backup reserve not allowed while storm watch is active',
    );
    expect(sim.writes('backup')).toHaveLength(1); // a refusal is not retried
  });

  it('a slow API times out and concurrent reads share one request', async () => {
    const { adapter, sim } = await startRig({ connection: { timeout_ms: 1000 } });
    sim.inject({ kind: 'delay', ms: 5000 }, { match: '/live_status' });
    const before = sim.requests.length;
    const [a, b] = await Promise.allSettled([adapter.read(), adapter.read()]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(sim.requests.length - before).toBe(1);
    const err = (a as PromiseRejectedResult).reason as DeviceError;
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/no answer within 1000 ms to GET \/api\/1\/energy_sites\/\d+\/live_status/);
  });

  it('coalesces two quick reserve changes into one call with the later value', async () => {
    const { adapter, sim } = await startRig();
    const [first, second] = await Promise.all([
      adapter.execute({ type: 'set_backup_reserve', percent: 30 }),
      adapter.execute({ type: 'set_backup_reserve', percent: 40 }),
    ]);
    expect(sim.writes('backup').map((w) => w.body)).toEqual([{ backup_reserve_percent: 40 }]);
    expect(first.writes + second.writes).toBe(0); // both rode on one shared call
    expect(sim.state.reservePct).toBe(40);
  });

  it('commands after close() fail as not_connected, and an unreachable API is connection_refused', async () => {
    const { adapter } = await startRig();
    await adapter.close();
    expect((await errorOf(adapter.execute({ type: 'restore_normal' }))).kind).toBe('not_connected');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const orphan = new TeslemetryAdapter({ id: 'x', connection: { token: 't', base_url: base, site_id: '1' } });
    const err = await errorOf(orphan.connect());
    expect(err.kind).toBe('connection_refused');
    expect(err.message).toMatch(/ECONNREFUSED .*\(GET \/api\/1\/energy_sites\/1\/site_info\)$/);
  });
});

describe('TeslemetrySimulator', () => {
  it('refuses a tariff body that breaks the documented shape, naming the field, as an error body', async () => {
    const { sim, baseUrl } = await startRig({ connect: false });
    const response = await fetch(`${baseUrl}/api/1/energy_sites/${sim.siteId}/time_of_use_settings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tou_settings: { tariff_content_v2: { code: 'X', currency: 'AUD' } } }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { response: unknown; error: string };
    expect(body.response).toBeNull();
    expect(body.error).toMatch(/^invalid time_of_use_settings body: tou_settings\.tariff_content_v2\.name: /);
    expect(sim.state.tariff).toBeNull();
  });
});
