/**
 * The seed's off-grid house (issue 13) against a real Home Assistant core: the real add-on (`sps run`, a
 * child process) with the house of the demo — a Studer XTM 4000-48 + VarioTrack 65 A behind an Xcom-CAN
 * and a Pylontech master reporting two US5000, both simulated on ONE virtual CAN bus behind ONE
 * socketcand gateway on loopback, and the pump and heater relays on a simulated Shelly — all running in
 * this test process (startOffGridKit, real time). HA's `command_line` notify platform records every
 * notification in a file (the recorder of tests/e2e/alarms.e2e.test.ts). Asserted through HA's APIs:
 * - every Studer and Pylontech reading the add-on serves is an HA entity with its state (`unknown` for a
 *   bit the BMS does not report), and a number with a unit has that unit in HA (energy in kWh);
 * - an alarm bit raised in the Pylontech simulator turns the battery alarm's binary_sensor on, and the
 *   notify service recorded it; clearing the bit turns it off;
 * - the generator stopping (the Studer's transfer relay opening) turns the "AC source lost" alarm on.
 * Skipped with a warning when the venv is missing (run scripts/setup.sh); on CI that is a failure.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectToHa, type Connection } from '@sps/ha';
import { stringify } from 'yaml';
import { startOffGridKit, type OffGridKit } from '../../addon/src/cli/offgrid-kit';
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
}
interface HaState {
  state: string;
  attributes: Record<string, unknown>;
}
interface AddonDevice {
  id: string;
  info: { serial: string } | null;
}
interface Reading {
  value: unknown;
  unit: string | null;
}

const ID = {
  studer: 'studer_xtm_4000_48_simulated',
  battery: 'pylontech_us5000_x2_simulated',
} as const;

describeE2e('the off-grid house in a real Home Assistant', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-e2e-offgrid-'));
  const notifyLog = path.join(tmp, 'notify.log');
  const optionsFile = path.join(tmp, 'options.yaml');
  let kit: OffGridKit;
  let hass: HassInstance;
  let observer: Connection;
  let addon: SpsProcess;
  let addonUrl: string;

  const notices = (): string[] =>
    existsSync(notifyLog)
      ? readFileSync(notifyLog, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
      : [];
  const ourEntities = async (): Promise<RegistryEntity[]> =>
    (await observer.sendMessagePromise<RegistryEntity[]>({ type: 'config/entity_registry/list' })).filter(
      (e) => e.platform === 'smart_power_station',
    );
  const stateOf = async (uniqueId: string): Promise<HaState | undefined> => {
    const entity = (await ourEntities()).find((e) => e.unique_id === uniqueId);
    if (!entity) return undefined;
    return (await hass.api(`/api/states/${entity.entity_id}`)).body as HaState;
  };
  const stateIs = (uniqueId: string, wanted: 'on' | 'off') => async () => {
    const s = await stateOf(uniqueId);
    return s?.state === wanted ? s : undefined;
  };
  const getJson = async <T>(route: string): Promise<T> => (await (await fetch(addonUrl + route)).json()) as T;

  beforeAll(async () => {
    ensureBuilt();
    // The generator runs at the start, so the transfer relay is closed until the test stops it.
    kit = await startOffGridKit({ socPct: 70, acSourcePresent: true, studerPollS: 5 });
    writeFileSync(
      optionsFile,
      stringify({
        log_level: 'debug',
        devices: kit.devices,
        alarms: { notify: ['notify.sps_recorder'], cooldown_min: 0 },
      }),
    );
    // command_line's notify platform hands the message to the command on stdin (HA 2025.4, YAML).
    const extraYaml = `
command_line:
  - notify:
      name: sps_recorder
      command: 'cat >> ${notifyLog}; echo >> ${notifyLog}'
`;
    hass = await startHass({ extraYaml });
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    addon = new SpsProcess(
      [
        'run',
        ...['--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0'],
        ...['--ha-url', hass.wsUrl, '--ha-config-dir', hass.configDir],
      ],
      { SPS_HA_TOKEN: hass.token },
    );
    addonUrl = (await addon.url()).replace('localhost', '127.0.0.1');
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-e2e-offgrid-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    await kit?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('shows every Studer and Pylontech reading in HA, numbers with their units', async () => {
    for (const id of [ID.studer, ID.battery]) {
      const readings = await eventually(async () => {
        const r = (await getJson<{ devices: Record<string, { readings: Record<string, Reading> }> }>('api/readings'))
          .devices[id]?.readings;
        return r && Object.keys(r).length > 0 ? r : undefined;
      }, `${id} readings`);
      const serial = await eventually(
        async () =>
          (await getJson<{ devices: AddonDevice[] }>('api/devices')).devices.find((d) => d.id === id)?.info?.serial,
        `${id} serial`,
      );
      const keys = Object.keys(readings).sort();
      const inHa = await eventually(
        async () => {
          const states = new Map<string, HaState>();
          for (const key of keys) {
            const s = await stateOf(`${serial}_${key}`);
            // A reading the BMS does not report (null: a bit Pylontech's frames leave out) is `unknown` in HA;
            // every other one has its value. Thrown (not undefined) so a timeout names the reading that never arrived.
            const wanted = readings[key]?.value === null ? 'unknown' : undefined;
            if (
              !s ||
              s.state === 'unavailable' ||
              (wanted === undefined ? s.state === 'unknown' : s.state !== wanted)
            ) {
              throw new Error(`${key} (reading ${JSON.stringify(readings[key])}) is ${s?.state ?? 'not in HA'}`);
            }
            states.set(key, s);
          }
          return states;
        },
        `every ${id} reading in HA`,
        90_000,
      );
      for (const key of keys) {
        const reading = readings[key] as Reading;
        const unit = inHa.get(key)?.attributes['unit_of_measurement'] ?? null;
        // The add-on publishes energy to HA in kWh (packages/ha/src/entityMapping.ts), as HA's energy panel wants.
        const wanted = reading.unit === 'Wh' ? 'kWh' : reading.unit;
        expect({ key: `${id}/${key}`, unit }).toEqual({ key: `${id}/${key}`, unit: wanted });
      }
    }
  }, 180_000);

  it('turns the battery alarm on in HA when the BMS raises an alarm bit, and notifies it', async () => {
    const key = `sps_alarms_battery_alarm__${ID.battery}`;
    await eventually(stateIs(key, 'off'), 'battery alarm off in HA', 60_000);
    kit.pylontech.raiseAlarm('alarm_high_temperature');
    const on = await eventually(stateIs(key, 'on'), 'battery alarm on in HA', 60_000);
    expect(on.attributes).toMatchObject({ device_class: 'problem', rule: 'battery_alarm', device: ID.battery });
    expect(String(on.attributes['value'])).toContain('alarm_high_temperature');
    const notice = await eventually(
      async () => notices().find((line) => line.includes('set: alarm_high_temperature')),
      'the battery alarm notification recorded',
      60_000,
    );
    expect(notice).toMatch(/^Pylontech US5000 x2 \(simulated\): /);
    kit.pylontech.clearAlarm('alarm_high_temperature');
    await eventually(stateIs(key, 'off'), 'battery alarm cleared in HA', 60_000);
  }, 180_000);

  it('turns "AC source lost" on when the transfer relay opens', async () => {
    const key = `sps_alarms_transfer_relay_open__${ID.studer}`;
    await eventually(stateIs(key, 'off'), 'AC source alarm off while the generator runs', 60_000);
    kit.studer.setAcSource(false);
    const on = await eventually(stateIs(key, 'on'), 'AC source alarm on in HA', 60_000);
    expect(on.attributes).toMatchObject({ device_class: 'problem', rule: 'transfer_relay_open', device: ID.studer });
    await eventually(
      async () =>
        notices().find((line) => line.startsWith('Studer XTM 4000-48 (simulated): transfer_relay_closed false')),
      'the AC source notification recorded',
      60_000,
    );
  }, 120_000);
});
