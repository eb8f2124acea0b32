/**
 * End-to-end for the power-station kit: a real Home Assistant core (from .venv) and the real add-on
 * (`node addon/dist/cli.js run`) as a child process, configured with the demo's kit — a Bluetti
 * AC180 simulator behind its loopback GATT tunnel and three Shelly Plus Plug S simulators on loopback
 * HTTP (P1 station charger, P2 house loads, P3 station output), running in this test process, plus
 * the INA260 on the add-on's memory bus (P4) — and the `station` entry that makes them one battery.
 * Asserted through HA's own APIs and the simulators' state: every device is its own HA device with
 * its entities and position, HA's controls switch the relays, a vanished relay is unavailable in HA
 * while the station carries on degraded, and it comes back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectToHa, type Connection } from '@sps/ha';
import { stringify } from 'yaml';
import { KIT_NAMES, startDemoKit, type DemoKit } from '../../addon/src/cli/demo-kit';
import { SpsProcess, ensureBuilt, eventually } from '../../addon/test/support/addon-process';
import { startHass, venvAvailable, type HassInstance } from './harness/hass.cjs';

const haveVenv = venvAvailable();
if (!haveVenv && process.env['CI']) throw new Error('CI needs the HA venv: run scripts/setup.sh');
if (!haveVenv) console.warn('tests/e2e skipped: no .venv with homeassistant (run scripts/setup.sh)');
const describeE2e = haveVenv ? describe : describe.skip;

interface RegistryEntity {
  unique_id: string;
  entity_id: string;
  platform: string;
  device_id: string | null;
  translation_key: string | null;
}
interface RegistryDevice {
  id: string;
  name: string | null;
  identifiers: [string, string][];
}
interface AddonDevice {
  id: string;
  name: string;
  position?: string;
  info: { serial: string } | null;
  entities: { key: string; translationKey?: string; translationPlaceholders?: Record<string, string> }[];
}
interface HaState {
  state: string;
  attributes: Record<string, unknown>;
}

/** Device ids in the add-on: the slugs of the kit's names. */
const ID = {
  bluetti: 'bluetti_ac180_simulated',
  p1: 'station_charger_simulated',
  p2: 'house_loads_simulated',
  p3: 'station_output_relay_simulated',
  p4: 'pv_sensor_simulated',
  station: 'power_station',
} as const;

describeE2e('the power-station kit in a real Home Assistant', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-kit-e2e-'));
  const optionsFile = path.join(tmp, 'options.yaml');
  let kit: DemoKit;
  let hass: HassInstance;
  let addon: SpsProcess;
  let addonUrl: string;
  let observer: Connection;
  let addonDevices: AddonDevice[] = [];
  /** unique_id → entity_id */
  let ids = new Map<string, string>();

  const serialOf = (deviceId: string): string => {
    const serial = addonDevices.find((d) => d.id === deviceId)?.info?.serial;
    if (!serial) throw new Error(`no serial for ${deviceId}`);
    return serial;
  };
  const entityId = (deviceId: string, key: string): string => {
    const id = ids.get(`${serialOf(deviceId)}_${key}`);
    if (!id) throw new Error(`no HA entity for ${deviceId} ${key}`);
    return id;
  };
  const state = async (deviceId: string, key: string): Promise<HaState> =>
    (await hass.api(`/api/states/${entityId(deviceId, key)}`)).body as HaState;
  const stateIs = (deviceId: string, key: string, wanted: string) => async () =>
    (await state(deviceId, key)).state === wanted ? true : undefined;
  const ourEntities = async (): Promise<RegistryEntity[]> =>
    (await observer.sendMessagePromise<RegistryEntity[]>({ type: 'config/entity_registry/list' })).filter(
      (e) => e.platform === 'smart_power_station',
    );
  const callService = (domain: string, service: string, entity: string) =>
    observer.sendMessagePromise({ type: 'call_service', domain, service, target: { entity_id: entity } });

  beforeAll(async () => {
    ensureBuilt();
    kit = await startDemoKit({ socPct: 60, minOnOffS: 0, wiringEveryMs: 200 });
    // No tariff: no optimiser, so every switch here is HA's doing.
    writeFileSync(optionsFile, stringify({ log_level: 'debug', devices: kit.devices }));
    hass = await startHass();
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    // The token through the environment, as DOCS recommends (not on the command line, where ps shows it).
    addon = new SpsProcess(
      [
        'run',
        ...['--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0'],
        ...['--ha-url', hass.wsUrl, '--ha-config-dir', hass.configDir],
      ],
      { SPS_HA_TOKEN: hass.token },
    );
    addonUrl = (await addon.url()).replace('localhost', '127.0.0.1');
    await eventually(
      async () => {
        addonDevices = ((await (await fetch(`${addonUrl}api/devices`)).json()) as { devices: AddonDevice[] }).devices;
        if (addonDevices.some((d) => d.info === null)) return undefined;
        ids = new Map((await ourEntities()).map((e) => [e.unique_id, e.entity_id]));
        const soc = await state(ID.station, 'battery_soc');
        return soc.state !== 'unavailable' && soc.state !== 'unknown' ? true : undefined;
      },
      'every kit device declared in HA',
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-kit-e2e-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    await kit?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('shows the station and every member as a device of its own, with all their entities and positions', async () => {
    expect(addonDevices.map((d) => d.id).sort()).toEqual(Object.values(ID).sort());
    const registry = await observer.sendMessagePromise<RegistryDevice[]>({ type: 'config/device_registry/list' });
    const entities = await ourEntities();
    const names = Object.values(KIT_NAMES);
    for (const device of addonDevices) {
      const serial = serialOf(device.id);
      const haDevice = registry.find((d) =>
        d.identifiers.some(([dom, id]) => dom === 'smart_power_station' && id === serial),
      );
      expect({ id: device.id, name: haDevice?.name }).toEqual({ id: device.id, name: device.name });
      expect(names).toContain(device.name);
      // Every entity the add-on describes is in HA, on this device and no other.
      const onDevice = entities
        .filter((e) => e.device_id === haDevice?.id)
        .map((e) => e.unique_id)
        .sort();
      expect(onDevice).toEqual([...device.entities.map((e) => `${serial}_${e.key}`), `${serial}__connectivity`].sort());
    }
    // Six devices, six serials: the station's composite is not merged into the Bluetti.
    expect(new Set(addonDevices.map((d) => serialOf(d.id))).size).toBe(6);

    expect((await state(ID.p1, 'switch_0')).attributes['position']).toBe('P1');
    expect((await state(ID.p2, 'power_0')).attributes['position']).toBe('P2');
    expect((await state(ID.p3, 'switch_0')).attributes['position']).toBe('P3');
    expect((await state(ID.p4, 'pv_power')).attributes['position']).toBe('P4');
    expect((await state(ID.station, 'p3_available')).state).toBe('on');
  });

  it("names every entity through the bridge's translations, placeholders filled", async () => {
    const entities = await ourEntities();
    for (const device of addonDevices) {
      const serial = serialOf(device.id);
      for (const e of device.entities) {
        const entry = entities.find((r) => r.unique_id === `${serial}_${e.key}`);
        expect({ key: `${device.id}/${e.key}`, translation_key: entry?.translation_key }).toEqual({
          key: `${device.id}/${e.key}`,
          translation_key: e.translationKey,
        });
      }
    }
    // The station's reachability sensors share one key; their names come from its placeholders.
    const p1 = await state(ID.station, 'p1_available');
    expect(p1.attributes['friendly_name']).toMatch(/P1 .*reachable$/);
  });

  it('shows what the simulators measure', async () => {
    await eventually(stateIs(ID.p2, 'power_0', '400'), 'P2 load in HA');
    expect(Number((await state(ID.station, 'battery_soc')).state)).toBeCloseTo(kit.bluetti.state.socPct, 0);
    expect((await state(ID.station, 'load_power')).state).toBe('400');
    expect((await state(ID.station, 'station_mode')).state).toBe('idle');
  });

  it("switches the kit from HA: the station's buttons drive P1 and P3, a relay's own switch drives it", async () => {
    await callService('button', 'press', entityId(ID.station, 'force_charge'));
    expect(kit.p1.state.relays[0]?.on).toBe(true);
    await eventually(stateIs(ID.station, 'station_mode', 'charging'), 'station charging in HA');
    await eventually(stateIs(ID.p1, 'switch_0', 'on'), 'P1 on in HA');

    await callService('button', 'press', entityId(ID.station, 'force_discharge'));
    expect(kit.p1.state.relays[0]?.on).toBe(false);
    expect(kit.p3.state.relays[0]?.on).toBe(true);
    await eventually(stateIs(ID.station, 'station_mode', 'discharging'), 'loads on the station in HA');
    kit.sync();
    expect(kit.bluetti.state.acOutputW).toBeGreaterThan(0);

    await callService('button', 'press', entityId(ID.station, 'restore_normal'));
    expect(kit.p3.state.relays[0]?.on).toBe(false);
    await eventually(stateIs(ID.station, 'station_mode', 'idle'), 'station idle in HA');

    await callService('switch', 'turn_on', entityId(ID.p3, 'switch_0'));
    expect(kit.p3.state.relays[0]?.on).toBe(true);
    await callService('switch', 'turn_off', entityId(ID.p3, 'switch_0'));
    expect(kit.p3.state.relays[0]?.on).toBe(false);
  });

  it('a relay that vanishes is unavailable in HA with the station degraded, and both recover', async () => {
    kit.p1.setFaults({ dropConnections: true });
    await eventually(stateIs(ID.p1, 'switch_0', 'unavailable'), 'P1 unavailable in HA');
    await eventually(stateIs(ID.station, 'p1_available', 'off'), 'the station degraded in HA');
    expect((await state(ID.station, 'degraded_reason')).state).toMatch(/^P1 station_charger_simulated: /);
    expect((await state(ID.station, 'battery_soc')).state).not.toBe('unavailable');

    kit.p1.setFaults({ dropConnections: false });
    await eventually(stateIs(ID.p1, 'switch_0', 'off'), 'P1 back in HA');
    await eventually(stateIs(ID.station, 'p1_available', 'on'), 'the station whole again in HA');
  });
});
