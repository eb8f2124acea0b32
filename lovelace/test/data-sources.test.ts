/**
 * Both data sources against stubbed transports: the HTTP one with a fetch stub answering like the
 * add-on, the HA one with a `hass` stub answering the bridge's `smart_power_station/query` and
 * recording service calls.
 */
import { HaDataSource } from '../src/data/ha-source.js';
import type { Hass } from '../src/data/hass-types.js';
import { HttpDataSource } from '../src/data/http-source.js';
import type { SpsSnapshot } from '../src/data/source.js';
import { devicesFixture, planFixture, readingsFixture } from './fixtures.js';

type Answer = { status: number; body: unknown };

function fetchStub(answer: (method: string, path: string, body: unknown) => Answer): {
  fetch: typeof fetch;
  calls: { method: string; path: string; body: unknown; headers: Record<string, string> }[];
} {
  const calls: { method: string; path: string; body: unknown; headers: Record<string, string> }[] = [];
  const stub = (async (input: string | URL | Request, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const path = String(input);
    calls.push({ method, path, body, headers: (init?.headers ?? {}) as Record<string, string> });
    const a = answer(method, path, body);
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: stub, calls };
}

const addonAnswers = (method: string, path: string): Answer => {
  if (method === 'GET' && path === './api/plan') return { status: 200, body: planFixture(Date.now()) };
  if (method === 'GET' && path === './api/devices') return { status: 200, body: devicesFixture() };
  if (method === 'GET' && path === './api/readings') return { status: 200, body: readingsFixture() };
  return { status: 404, body: { error: `no route ${path}` } };
};

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('HttpDataSource (the add-on panel)', () => {
  it('loads plan, devices and readings relative to the page', async () => {
    const { fetch, calls } = fetchStub(addonAnswers);
    const source = new HttpDataSource({ fetch, eventSource: null });
    await source.refresh();
    const s = source.snapshot();
    expect(s.error).toBeNull();
    expect(s.stale).toBe(false);
    expect(s.plan?.battery_device).toBe('station');
    expect(s.devices).toHaveLength(5);
    expect(s.readings['station']?.readings['battery_soc']?.value).toBe(64);
    expect(calls.map((c) => c.path).sort()).toEqual(['./api/devices', './api/plan', './api/readings']);
  });

  it('names the field of a malformed answer and greys out', async () => {
    const { fetch } = fetchStub((m, p) =>
      p === './api/plan' ? { status: 200, body: { ...planFixture(Date.now()), enabled: 'yes' } } : addonAnswers(m, p),
    );
    const source = new HttpDataSource({ fetch, eventSource: null });
    await source.refresh();
    expect(source.snapshot().error).toMatch(/^\/api\/plan\.enabled: /);
    expect(source.snapshot().stale).toBe(true);
  });

  it('greys out when the add-on stops answering, and refuses commands meanwhile', async () => {
    let up = true;
    const { fetch, calls } = fetchStub((m, p) => {
      if (!up) throw new TypeError('Failed to fetch');
      return addonAnswers(m, p);
    });
    const source = new HttpDataSource({ fetch, eventSource: null, staleAfterMs: 50, refreshEveryMs: 3_600_000 });
    const seen: SpsSnapshot[] = [];
    const off = source.subscribe((s) => seen.push(s));
    try {
      await until(() => seen.some((s) => s.plan !== null), 'the first load');
      up = false;
      await until(() => source.snapshot().stale, 'stale');
      expect(source.snapshot().staleReason).toMatch(/no update from the add-on/);
      const before = calls.length;
      const outcome = await source.startOverride({ kind: 'force_charge', durationMinutes: 30 });
      expect(outcome.ok).toBe(false);
      expect(calls.length).toBe(before);
    } finally {
      off();
    }
  });

  it('posts overrides without a power when none was given, and shows refusals with their reason', async () => {
    const { fetch, calls } = fetchStub((m, p, body) => {
      if (m === 'POST' && p === './api/optimizer/override') {
        const b = body as { kind: string };
        return b.kind === 'force_discharge'
          ? { status: 409, body: { error: 'refused by the safety guard: at the backup reserve (20 %)' } }
          : { status: 200, body: { override: b } };
      }
      if (m === 'POST' && p === './api/devices/relay-1/commands')
        return { status: 401, body: { error: 'writes need the write token' } };
      return addonAnswers(m, p);
    });
    const source = new HttpDataSource({ fetch, eventSource: null, writeToken: () => 'tok-123' });
    await source.refresh();
    expect(await source.startOverride({ kind: 'force_charge', durationMinutes: 45 })).toEqual({
      ok: true,
      message: 'Override started',
    });
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ kind: 'force_charge', duration_minutes: 45 });
    expect(post.headers['authorization']).toBe('Bearer tok-123');
    expect(await source.startOverride({ kind: 'force_discharge', durationMinutes: 45, powerW: 2000 })).toEqual({
      ok: false,
      message: 'refused by the safety guard: at the backup reserve (20 %)',
    });
    expect((await source.sendCommand('relay-1', { type: 'set_relay', on: true })).message).toMatch(
      /^Write token needed/,
    );
    expect(await source.cancelOverride()).toMatchObject({ ok: false, message: 'no route ./api/optimizer/override' });
  });

  it('shares one load between concurrent refreshes', async () => {
    const { fetch, calls } = fetchStub(addonAnswers);
    const source = new HttpDataSource({ fetch, eventSource: null });
    await Promise.all([source.refresh(), source.refresh(), source.refresh()]);
    expect(calls).toHaveLength(3);
  });
});

function hassStub(options: { unavailable?: boolean; refuse?: string } = {}): {
  hass: Hass;
  services: { domain: string; service: string; data: Record<string, unknown> | undefined }[];
  queries: string[];
} {
  const services: { domain: string; service: string; data: Record<string, unknown> | undefined }[] = [];
  const queries: string[] = [];
  const platform = 'smart_power_station';
  const st = (entity_id: string, state: string, attributes: Record<string, unknown> = {}) => ({
    entity_id,
    state: options.unavailable ? 'unavailable' : state,
    attributes,
  });
  const hass: Hass = {
    locale: { language: 'en', time_format: '24', time_zone: 'server' },
    config: { time_zone: 'Australia/Sydney' },
    states: {
      'switch.sps_optimisation': st('switch.sps_optimisation', 'on'),
      'select.sps_goal': st('select.sps_goal', 'cost', { options: ['cost', 'self_consumption', 'off'] }),
      'select.other_mode': st('select.other_mode', 'a', { options: ['a', 'b'] }),
      'switch.grid_charger_relay_relay': st('switch.grid_charger_relay_relay', 'on'),
    },
    entities: {
      'switch.sps_optimisation': { entity_id: 'switch.sps_optimisation', device_id: 'd-opt', platform },
      'select.sps_goal': { entity_id: 'select.sps_goal', device_id: 'd-opt', platform },
      'select.other_mode': { entity_id: 'select.other_mode', device_id: 'd-x', platform },
      'switch.grid_charger_relay_relay': {
        entity_id: 'switch.grid_charger_relay_relay',
        device_id: 'd-r1',
        platform,
        name: 'Relay',
      },
      'light.kitchen': { entity_id: 'light.kitchen', device_id: 'd-k', platform: 'hue' },
    },
    devices: { 'd-opt': { id: 'd-opt', name: 'Optimiser' }, 'd-r1': { id: 'd-r1', name: 'Grid charger relay' } },
    async callService(domain, service, data) {
      services.push({ domain, service, data });
      if (options.refuse) throw { code: 'home_assistant_error', message: options.refuse };
      return {};
    },
    async callWS<T>(msg: { type: string } & Record<string, unknown>): Promise<T> {
      if (msg.type !== 'smart_power_station/query') throw { code: 'unknown_command', message: 'Unknown command.' };
      const path = String(msg['path']);
      queries.push(path);
      if (path === '/api/plan') return planFixture(Date.now()) as T;
      if (path === '/api/devices') return devicesFixture() as T;
      if (path === '/api/readings') return readingsFixture() as T;
      throw { code: 'not_found', message: `no route ${path}` };
    },
  };
  return { hass, services, queries };
}

describe('HaDataSource (inside Home Assistant)', () => {
  it('reads through the bridge query command and follows the HA user time settings', async () => {
    const { hass, queries } = hassStub();
    const source = new HaDataSource();
    source.setHass(hass);
    await source.refresh();
    expect(queries.sort()).toEqual(['/api/devices', '/api/plan', '/api/readings']);
    expect(source.snapshot().plan?.goal).toBe('cost');
    expect(source.timeSettings()).toMatchObject({ timeZone: 'Australia/Sydney', hour12: false });
    expect(source.deviceLink('relay-1')).toBe('/config/devices/device/d-r1');
  });

  it('starts and cancels overrides through the services, with no power when none was given', async () => {
    const { hass, services } = hassStub();
    const source = new HaDataSource();
    source.setHass(hass);
    await source.refresh();
    await source.startOverride({ kind: 'force_charge', durationMinutes: 60 });
    await source.startOverride({ kind: 'force_discharge', durationMinutes: 30, powerW: 2500 });
    await source.startOverride({ kind: 'hold_soc', durationMinutes: 120, socPct: 80 });
    await source.cancelOverride();
    expect(services).toEqual([
      { domain: 'smart_power_station', service: 'force_charge', data: { device_id: 'station', duration_minutes: 60 } },
      {
        domain: 'smart_power_station',
        service: 'force_discharge',
        data: { device_id: 'station', duration_minutes: 30, power_kw: 2.5 },
      },
      {
        domain: 'smart_power_station',
        service: 'hold_soc',
        data: { device_id: 'station', duration_minutes: 120, soc_pct: 80 },
      },
      { domain: 'smart_power_station', service: 'restore_normal', data: { device_id: 'station' } },
    ]);
  });

  it('finds the optimiser switch and goal select, and a relay switch by its device', async () => {
    const { hass, services } = hassStub();
    const source = new HaDataSource();
    source.setHass(hass);
    await source.refresh();
    await source.setOptimizer({ goal: 'self_consumption' });
    await source.setOptimizer({ enabled: false });
    await source.sendCommand('relay-1', { type: 'set_relay', on: false });
    await source.sendCommand('station', { type: 'set_backup_reserve', percent: 25 });
    expect(services).toEqual([
      {
        domain: 'select',
        service: 'select_option',
        data: { entity_id: 'select.sps_goal', option: 'self_consumption' },
      },
      { domain: 'switch', service: 'turn_off', data: { entity_id: 'switch.sps_optimisation' } },
      { domain: 'switch', service: 'turn_off', data: { entity_id: 'switch.grid_charger_relay_relay' } },
      { domain: 'smart_power_station', service: 'set_backup_reserve', data: { device_id: 'station', percent: 25 } },
    ]);
  });

  it("sends a driver's own command through the number or switch entity bound to it", async () => {
    const { hass, services } = hassStub();
    const studer = {
      id: 'studer',
      name: 'Studer',
      driver: 'studer',
      availability: { available: true, reason: null, since: '2026-12-04T10:00:00Z' },
      entities: [
        {
          key: 'ac_input_current_limit',
          platform: 'number',
          name: 'AC input current limit',
          command: { command: 'device_command', field: 'amps', fixed: { name: 'set_ac_input_current_limit' } },
        },
        {
          key: 'inverter_allowed',
          platform: 'switch',
          name: 'Inverter allowed',
          command: { command: 'device_command', field: 'on', fixed: { name: 'set_inverter_allowed' } },
        },
      ],
      capabilities: { commands: ['device_command'], operating_modes: [], limits: {} },
    };
    const platform = 'smart_power_station';
    const withStuder: Hass = {
      ...hass,
      states: {
        ...hass.states,
        'number.studer_ac_input_current_limit': {
          entity_id: 'number.studer_ac_input_current_limit',
          state: '16',
          attributes: {},
        },
        'switch.studer_inverter_allowed': { entity_id: 'switch.studer_inverter_allowed', state: 'on', attributes: {} },
      },
      entities: {
        ...hass.entities,
        'number.studer_ac_input_current_limit': {
          entity_id: 'number.studer_ac_input_current_limit',
          device_id: 'd-studer',
          platform,
          name: 'AC input current limit',
        },
        'switch.studer_inverter_allowed': {
          entity_id: 'switch.studer_inverter_allowed',
          device_id: 'd-studer',
          platform,
          name: 'Inverter allowed',
        },
      },
      devices: { ...hass.devices, 'd-studer': { id: 'd-studer', name: 'Studer' } },
      async callWS<T>(msg: { type: string } & Record<string, unknown>): Promise<T> {
        const answer = await hass.callWS<T>(msg);
        if (msg['path'] !== '/api/devices') return answer;
        const body = answer as { devices: unknown[] };
        return { devices: [...body.devices, studer] } as T;
      },
    };
    const source = new HaDataSource();
    source.setHass(withStuder);
    await source.refresh();
    const limit = { type: 'device_command', name: 'set_ac_input_current_limit', amps: 20 } as const;
    expect(await source.sendCommand('studer', limit)).toEqual({ ok: true, message: 'Done' });
    await source.sendCommand('studer', { type: 'device_command', name: 'set_inverter_allowed', on: false });
    const unknown = await source.sendCommand('studer', { type: 'device_command', name: 'set_turbo', on: true });
    expect(unknown).toEqual({ ok: false, message: 'no set_turbo entity for this device in Home Assistant' });
    expect(services).toEqual([
      {
        domain: 'number',
        service: 'set_value',
        data: { entity_id: 'number.studer_ac_input_current_limit', value: 20 },
      },
      { domain: 'switch', service: 'turn_off', data: { entity_id: 'switch.studer_inverter_allowed' } },
    ]);
  });

  it('shows a refusal with the reason HA gives', async () => {
    const { hass } = hassStub({ refuse: 'force_charge: refused by the safety guard: max charge 2000 W' });
    const source = new HaDataSource();
    source.setHass(hass);
    await source.refresh();
    expect(await source.startOverride({ kind: 'force_charge', durationMinutes: 10 })).toEqual({
      ok: false,
      message: 'force_charge: refused by the safety guard: max charge 2000 W',
    });
  });

  it('greys out when HA marks the integration entities unavailable, and sends nothing', async () => {
    const { hass, services } = hassStub({ unavailable: true });
    const source = new HaDataSource();
    source.setHass(hass);
    await source.refresh();
    expect(source.snapshot().stale).toBe(true);
    expect(source.snapshot().staleReason).toMatch(/unavailable/);
    expect((await source.cancelOverride()).ok).toBe(false);
    expect(services).toEqual([]);
    // Back: the add-on's link is up again.
    source.setHass(hassStub().hass);
    expect(source.snapshot().stale).toBe(false);
  });

  it('greys out when the bridge does not know the query command', async () => {
    const { hass } = hassStub();
    const source = new HaDataSource();
    source.setHass({ ...hass, callWS: () => Promise.reject({ code: 'unknown_command', message: 'Unknown command.' }) });
    await source.refresh();
    expect(source.snapshot()).toMatchObject({ stale: true, error: 'Unknown command.' });
  });
});
