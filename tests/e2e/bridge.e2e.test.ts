/**
 * End-to-end: a real Home Assistant core (from .venv) with the bridge installed, and the real
 * add-on (`node addon/dist/cli.js run … --ha-url …` with `SPS_HA_TOKEN`) as a child process polling a
 * Sungrow simulator that runs in this test process on a frozen clock. Everything is asserted
 * through HA's own REST and websocket APIs and the simulator's holding registers.
 * Skipped with a warning when the venv is missing (run scripts/setup.sh); on CI that is a failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { EMS_MODE_CODE, FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { connectToHa, type Connection } from '@sps/ha';
import { ensureBuilt, type SpsProcess } from '../../addon/test/support/addon-process';
import { describeWithHass, startAddonWithHass, type RegistryEntity } from './harness/addon';
import { startHass, type HassInstance } from './harness/hass.cjs';

const describeE2e = describeWithHass(__filename);

const SERIAL = 'E2ESIM0001';
const BUNDLED_BRIDGE_VERSION = (
  JSON.parse(
    readFileSync(
      path.join(__dirname, '../../integration-bridge/custom_components/smart_power_station/manifest.json'),
      'utf8',
    ),
  ) as { version: string }
).version;
const DEVICE_ID = 'inverter'; // the slug of the device name in the options

const AUTOMATION_YAML = `
input_boolean:
  sps_force_charge:
    name: Force charge trigger
automation:
  - id: sps_force_charge_on
    alias: Force charge when the trigger turns on
    triggers:
      - trigger: state
        entity_id: input_boolean.sps_force_charge
        to: "on"
    actions:
      - action: smart_power_station.force_charge
        data:
          device_id: ${DEVICE_ID}
          duration_minutes: 30
          power_kw: 2.5
`;

interface AddonDevices {
  devices: { id: string; entities: { key: string }[] }[];
}
interface AddonReadings {
  devices: Record<string, { readings: Record<string, { value: unknown }> }>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeE2e('the add-on against a real Home Assistant', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-e2e-'));
  const simClock = new ManualClock('2026-01-15T02:00:00Z');
  const sim = new SungrowSimulator({ clock: simClock, serial: SERIAL });
  const optionsFile = path.join(tmp, 'options.yaml');
  let hass: HassInstance;
  let addon: SpsProcess;
  let addonUrl: string;
  let observer: Connection;
  /** unique_id → entity_id */
  let ids = new Map<string, string>();

  const entityId = (key: string): string => {
    const id = ids.get(`${SERIAL}_${key}`);
    if (!id) throw new Error(`no HA entity for ${key}`);
    return id;
  };
  const state = async (key: string): Promise<{ state: string; attributes: Record<string, unknown> }> =>
    (await hass.api(`/api/states/${entityId(key)}`)).body;
  const holding = (register: number): number | undefined => sim.holdingRegisters.get(register);
  const ourEntities = async (): Promise<RegistryEntity[]> =>
    (await observer.sendMessagePromise<RegistryEntity[]>({ type: 'config/entity_registry/list' })).filter(
      (e) => e.platform === 'smart_power_station',
    );
  const callService = (domain: string, service: string, data: Record<string, unknown>, entity?: string) =>
    observer.sendMessagePromise({
      type: 'call_service',
      domain,
      service,
      service_data: data,
      ...(entity === undefined ? {} : { target: { entity_id: entityId(entity) } }),
    });

  function startAddon(): SpsProcess {
    return startAddonWithHass(hass, optionsFile, path.join(tmp, 'data'));
  }

  async function waitForLiveEntities(timeoutMs: number): Promise<void> {
    await until(
      'entities declared and available',
      async () => {
        ids = new Map((await ourEntities()).map((e) => [e.unique_id, e.entity_id]));
        if (!ids.has(`${SERIAL}_battery_soc`)) return undefined;
        const soc = await state('battery_soc');
        return soc.state !== 'unavailable' && soc.state !== 'unknown' ? true : undefined;
      },
      timeoutMs,
    );
  }

  beforeAll(async () => {
    ensureBuilt();
    const simPort = await sim.start({ host: '127.0.0.1', port: 0 });
    writeFileSync(
      optionsFile,
      [
        'log_level: debug',
        'devices:',
        '  - name: Inverter',
        '    driver: sungrow-sh',
        '    host: 127.0.0.1',
        `    port: ${simPort}`,
        '    poll_interval_s: 1',
        '    position: P3',
        'safety:',
        '  backup_reserve_pct: 10',
        '  max_charge_w: 5000',
        // A flat tariff needs no network: the optimiser device and its price sensors appear in HA.
        'tariff:',
        '  provider: flat',
        '  currency: AUD',
        '  import_rate: 0.3',
        '  export_rate: 0.05',
      ].join('\n'),
    );
    hass = await startHass({ extraYaml: AUTOMATION_YAML });
    // Pretend HA has an older bridge, so the add-on's installer updates it and asks for a restart.
    const manifestPath = path.join(hass.configDir, 'custom_components/smart_power_station/manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: '0.0.1' }));
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    addon = startAddon();
    addonUrl = (await addon.url()).replace('localhost', '127.0.0.1');
    await waitForLiveEntities(20_000);
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    // The add-on's log is the first thing to read when something here failed.
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-e2e-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    await sim.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('declares the device, its hub and every entity with the right units and classes', async () => {
    const { body: config } = await hass.api('/api/config');
    expect(config.components).toContain('smart_power_station');

    const devices = await observer.sendMessagePromise<Array<Record<string, unknown>>>({
      type: 'config/device_registry/list',
    });
    const device = devices.find(
      (d) => JSON.stringify(d['identifiers']) === JSON.stringify([['smart_power_station', SERIAL]]),
    );
    expect(device).toMatchObject({ manufacturer: 'Sungrow', serial_number: SERIAL, name: 'Inverter' });
    expect(String(device?.['model'])).toMatch(/^SH/);
    expect(device?.['configuration_url']).toBe(addonUrl.replace('127.0.0.1', 'localhost'));
    const hub = devices.find((d) => d['id'] === device?.['via_device_id']);
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'addon', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(hub).toMatchObject({ manufacturer: 'Smart Power Station', sw_version: version });

    const { devices: addonDevices } = (await (await fetch(`${addonUrl}api/devices`)).json()) as AddonDevices;
    const keys = addonDevices.find((d) => d.id === DEVICE_ID)?.entities.map((e) => e.key) ?? [];
    expect(keys.length).toBeGreaterThan(30);
    const uniqueIds = (await ourEntities())
      .map((e) => e.unique_id)
      .filter((id) => id.startsWith(`${SERIAL}_`))
      .sort();
    expect(uniqueIds).toEqual([...keys.map((k) => `${SERIAL}_${k}`), `${SERIAL}__connectivity`].sort());

    for (const key of ['pv_energy', 'grid_import_energy', 'load_energy', 'battery_charge_energy']) {
      expect((await state(key)).attributes).toMatchObject({
        unit_of_measurement: 'kWh',
        device_class: 'energy',
        state_class: 'total_increasing',
      });
    }
    for (const key of ['grid_power', 'pv_power', 'load_power', 'battery_power']) {
      expect((await state(key)).attributes).toMatchObject({
        unit_of_measurement: 'W',
        device_class: 'power',
        state_class: 'measurement',
      });
    }
    expect((await state('battery_soc')).attributes).toMatchObject({
      unit_of_measurement: '%',
      device_class: 'battery',
      // The device's position around the transfer switch rides on every entity's state.
      position: 'P3',
    });
    expect((await state('backup_reserve')).attributes).toMatchObject({ unit_of_measurement: '%', max: 100 });
    expect((await state('ems_mode')).attributes['options']).toEqual(['self_consumption', 'forced']);

    // The add-on's Wh reach HA as kWh.
    const { devices: readings } = (await (await fetch(`${addonUrl}api/readings`)).json()) as AddonReadings;
    const pvWh = Number(readings[DEVICE_ID]?.readings['pv_energy']?.value);
    expect(Number((await state('pv_energy')).state)).toBeCloseTo(pvWh / 1000, 3);
  });

  it('shows a change in the simulator as the HA state within 3 s', async () => {
    sim.setHoldingRegister(HOLDING.MIN_SOC, 375); // 37.5 % backup reserve, set at the inverter itself
    const changedAt = Date.now();
    await until(
      'backup reserve in HA',
      async () => ((await state('backup_reserve')).state === '37.5' ? true : undefined),
      3000,
    );

    const before = (await state('load_energy')).state;
    simClock.set(simClock.now() + 3_600_000); // an hour of load on the simulated house
    const energy = await until(
      'load energy in HA',
      async () => {
        const now = (await state('load_energy')).state;
        return now !== before ? now : undefined;
      },
      3000,
    );
    const { devices: readings } = (await (await fetch(`${addonUrl}api/readings`)).json()) as AddonReadings;
    expect(Number(energy)).toBeCloseTo(Number(readings[DEVICE_ID]?.readings['load_energy']?.value) / 1000, 3);
    console.log(`simulator change → HA state: ${Date.now() - changedAt} ms (both changes)`);
  });

  it('writes the inverter registers from HA controls and services', async () => {
    await callService('number', 'set_value', { value: 25 }, 'backup_reserve');
    expect(holding(HOLDING.MIN_SOC)).toBe(250);
    expect(Number((await state('backup_reserve')).state)).toBe(25);

    await callService('number', 'set_value', { value: 3000 }, 'max_charge_power');
    expect(holding(HOLDING.MAX_CHARGE_POWER)).toBe(300);

    await callService('select', 'select_option', { option: 'forced' }, 'ems_mode');
    expect(holding(HOLDING.EMS_MODE)).toBe(EMS_MODE_CODE.forced);

    await callService('smart_power_station', 'force_charge', {
      device_id: DEVICE_ID,
      duration_minutes: 10,
      power_kw: 2,
    });
    expect(holding(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.charge);
    expect(holding(HOLDING.FORCED_POWER)).toBe(2000);

    await callService('button', 'press', {}, 'restore_normal');
    expect(holding(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.stop);
    expect(holding(HOLDING.EMS_MODE)).toBe(EMS_MODE_CODE.self_consumption);

    await callService('smart_power_station', 'sync_now', {});
  });

  it('returns the guard’s reason to the HA caller when a command is refused', async () => {
    await expect(callService('number', 'set_value', { value: 5 }, 'backup_reserve')).rejects.toMatchObject({
      message: expect.stringContaining('percent: 5 % is below the lowest allowed backup reserve of 10 %'),
    });
    expect(holding(HOLDING.MIN_SOC)).toBe(250);
    await expect(
      callService('smart_power_station', 'force_charge', { device_id: DEVICE_ID, duration_minutes: 5, power_kw: 9 }),
    ).rejects.toMatchObject({ message: expect.stringContaining('exceeds the maximum charge power of 5000 W') });
    expect(holding(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.stop);
  });

  it('runs an HA automation that calls smart_power_station.force_charge', async () => {
    await hass.api('/api/services/input_boolean/turn_on', {
      method: 'POST',
      body: JSON.stringify({ entity_id: 'input_boolean.sps_force_charge' }),
    });
    await until('forced charge at 2.5 kW', async () =>
      holding(HOLDING.FORCED_COMMAND) === FORCED_COMMAND_CODE.charge && holding(HOLDING.FORCED_POWER) === 2500
        ? true
        : undefined,
    );
  });

  it('ends a timed force command by itself at its end time', async () => {
    const response = await fetch(`${addonUrl}api/devices/${DEVICE_ID}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'force_discharge',
        power_w: 1500,
        until: new Date(Date.now() + 1500).toISOString(),
      }),
    });
    expect(response.status).toBe(200);
    expect(holding(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.discharge);
    await until('restore_normal from the add-on', async () =>
      holding(HOLDING.FORCED_COMMAND) === FORCED_COMMAND_CODE.stop ? true : undefined,
    );
  });

  it('shows prices as sensors with the whole horizon in a `forecast` attribute', async () => {
    const byUniqueId = new Map((await ourEntities()).map((e) => [e.unique_id, e.entity_id]));
    const priceId = byUniqueId.get('sps_optimiser_import_price');
    const forecastId = byUniqueId.get('sps_optimiser_import_price_forecast');
    expect(priceId && forecastId && byUniqueId.get('sps_optimiser_prices_available')).toBeTruthy();
    const price = await until('the import price', async () => {
      const body = (await hass.api(`/api/states/${priceId}`)).body as {
        state: string;
        attributes: Record<string, unknown>;
      };
      return body.state === '0.3' ? body : undefined;
    });
    expect(price.attributes).toMatchObject({ unit_of_measurement: 'AUD/kWh', state_class: 'measurement' });
    expect(price.attributes).not.toHaveProperty('device_class');
    const forecast = (await hass.api(`/api/states/${forecastId}`)).body as { attributes: Record<string, unknown> };
    const points = forecast.attributes['forecast'] as { start: string; value: number }[];
    expect(points.length).toBeGreaterThan(0);
    expect(points.length).toBeLessThanOrEqual(576);
    expect(points[0]).toEqual({ start: expect.stringMatching(/Z$/), value: 0.3 });
  });

  it('shows the optimiser in HA: its controls, the current action, the savings and the plan as a forecast attribute', async () => {
    const byUniqueId = new Map((await ourEntities()).map((e) => [e.unique_id, e.entity_id]));
    const id = (key: string): string => {
      const entity = byUniqueId.get(`sps_optimiser_${key}`);
      if (!entity) throw new Error(`no optimiser entity ${key}`);
      return entity;
    };
    expect(id('optimization')).toMatch(/^switch\./);
    expect(id('optimization_goal')).toMatch(/^select\./);
    const stateOf = async (key: string) =>
      (await hass.api(`/api/states/${id(key)}`)).body as { state: string; attributes: Record<string, unknown> };
    const plan = await until(
      'a plan in HA',
      async () => {
        const body = await stateOf('plan');
        return Array.isArray(body.attributes['forecast']) && (body.attributes['forecast'] as unknown[]).length > 0
          ? body
          : undefined;
      },
      20_000,
    );
    expect((plan.attributes['forecast'] as unknown[]).length).toBeLessThanOrEqual(576);
    expect((await stateOf('optimization')).state).toBe('on');
    expect((await stateOf('optimization_goal')).state).toBe('cost');
    expect((await stateOf('current_action')).state).toMatch(/^(CHARGE|EXPORT|IDLE|SELF_CONSUMPTION)$/);
    expect((await stateOf('savings_today')).attributes).toMatchObject({ unit_of_measurement: 'AUD' });
  });

  it('asked HA for one restart after updating the older bridge', async () => {
    const installed = JSON.parse(
      readFileSync(path.join(hass.configDir, 'custom_components/smart_power_station/manifest.json'), 'utf8'),
    ) as { version: string };
    expect(installed.version).toBe(BUNDLED_BRIDGE_VERSION);
    const notifications = await new Promise<Record<string, { title: string; message: string }>>((resolve, reject) => {
      observer
        .subscribeMessage<{ notifications: Record<string, { title: string; message: string }> }>(
          (event) => resolve(event.notifications),
          { type: 'persistent_notification/subscribe' },
        )
        .catch(reject);
    });
    expect(notifications['smart_power_station_bridge']).toMatchObject({
      title: expect.stringContaining('restart Home Assistant'),
      message: expect.stringContaining(`from 0.0.1 to ${BUNDLED_BRIDGE_VERSION}`),
    });
  });

  it('makes the entities unavailable within 5 s when the add-on is killed, and a restart brings them back once', async () => {
    const before = (await ourEntities()).length;
    const killedAt = Date.now();
    addon.child.kill('SIGKILL');
    await until(
      'unavailable',
      async () => ((await state('battery_soc')).state === 'unavailable' ? true : undefined),
      5000,
    );
    console.log(`entities unavailable ${Date.now() - killedAt} ms after SIGKILL`);
    await addon.exited;

    addon = startAddon();
    addonUrl = (await addon.url()).replace('localhost', '127.0.0.1');
    await waitForLiveEntities(20_000);
    expect(await ourEntities()).toHaveLength(before);
  }, 40_000);

  it('restores the entities after an HA restart and the add-on declares them again without duplicates', async () => {
    const before = (await ourEntities()).length;
    observer.close();
    await hass.stop();
    hass = await startHass({ configDir: hass.configDir, port: hass.port });
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    // The stored declaration recreates every entity at start, before the add-on is back.
    expect((await hass.api(`/api/states/${entityId('battery_soc')}`)).body.entity_id).toBe(entityId('battery_soc'));
    await waitForLiveEntities(45_000);
    expect(await ourEntities()).toHaveLength(before);
    await callService('number', 'set_value', { value: 30 }, 'backup_reserve');
    expect(holding(HOLDING.MIN_SOC)).toBe(300);
  }, 120_000);
});
