/**
 * Alarms against a real Home Assistant core: the real add-on (`sps run`, a child process) polls a Sungrow simulator
 * whose battery is at 15 % (below the default 20 % threshold), and HA's `command_line` notify platform (a real
 * integration, configured in YAML) records every notification it receives in a file, one line each with the time it
 * arrived. Asserted through HA's REST/websocket APIs and that file:
 * - the low-SOC alarm is an HA binary_sensor (device class problem) that is on, with `since` and the value 15;
 * - the simulator dropping its connections makes `device_unavailable` start (3 s delay in this test), and a flapping
 *   device (back, gone, back within the 60 s cooldown) gives exactly one start and one clear notification, at least a
 *   cooldown apart;
 * - GET /api/alarms lists the same alarms (parsed with its zod schema); a second notify service HA does not have is
 *   logged with HA's reason and retried, and the add-on carries on;
 * - a restarted add-on (same data dir) shows the low-SOC alarm still on with its original `since`, and does not
 *   notify it again.
 * Skipped with a warning when the venv is missing (run scripts/setup.sh); on CI that is a failure.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { SungrowSimulator } from '@sps/device-sungrow';
import { connectToHa, type Connection } from '@sps/ha';
import { alarmsResponseSchema } from '../../addon/src/alarms/alarm-api';
import { ensureBuilt, eventually, type SpsProcess } from '../../addon/test/support/addon-process';
import { describeWithHass, startAddonWithHass, type RegistryEntity } from './harness/addon';
import { startHass, type HassInstance } from './harness/hass.cjs';

const describeE2e = describeWithHass(__filename);

const COOLDOWN_S = 60;

interface HaState {
  state: string;
  attributes: Record<string, unknown>;
}
interface Notice {
  readonly at: number;
  readonly message: string;
}

describeE2e('alarms and notifications against a real Home Assistant', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-e2e-alarms-'));
  const notifyLog = path.join(tmp, 'notify.log');
  const optionsFile = path.join(tmp, 'options.yaml');
  const sim = new SungrowSimulator({
    clock: new ManualClock('2026-01-15T02:00:00Z'),
    serial: 'E2EALARM01',
    physics: { initialSocPct: 15 },
  });
  let hass: HassInstance;
  let observer: Connection;
  let addon: SpsProcess;
  const startAddon = (): SpsProcess => startAddonWithHass(hass, optionsFile, path.join(tmp, 'data'));
  const lowSocNotices = () => notices().filter((n) => n.message.startsWith('Inverter: battery_soc 15 %'));

  const notices = (): Notice[] =>
    existsSync(notifyLog)
      ? readFileSync(notifyLog, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const space = line.indexOf(' ');
            return { at: Number(line.slice(0, space)), message: line.slice(space + 1) };
          })
      : [];
  const alarmState = async (uniqueId: string): Promise<HaState | undefined> => {
    const entities = await observer.sendMessagePromise<RegistryEntity[]>({ type: 'config/entity_registry/list' });
    const entity = entities.find((e) => e.platform === 'smart_power_station' && e.unique_id === uniqueId);
    if (!entity) return undefined;
    return (await hass.api(`/api/states/${entity.entity_id}`)).body as HaState;
  };
  const stateIs = (uniqueId: string, wanted: 'on' | 'off') => async () => {
    const s = await alarmState(uniqueId);
    return s?.state === wanted ? s : undefined;
  };

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
        '    timeout_ms: 1000',
        'alarms:',
        '  notify:',
        '    - notify.sps_recorder',
        // HA has no such service: logged with HA's reason and retried, never in the way of the other one.
        '    - notify.not_in_ha',
        `  cooldown_min: ${COOLDOWN_S / 60}`,
        '  device_unavailable_min: 0.05',
      ].join('\n'),
    );
    // command_line's notify platform hands the message to the command on stdin (HA 2025.4, YAML).
    const extraYaml = `
command_line:
  - notify:
      name: sps_recorder
      command: 'printf "%s " "$(date +%s.%N)" >> ${notifyLog}; cat >> ${notifyLog}; echo >> ${notifyLog}'
`;
    hass = await startHass({ extraYaml });
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    addon = startAddon();
    await addon.url();
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-e2e-alarms-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    await sim.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('shows a low SOC as a problem binary_sensor with since and the value, and notifies once', async () => {
    const low = await eventually(stateIs('sps_alarms_low_soc__inverter', 'on'), 'low SOC alarm on in HA', 60_000);
    expect(low.attributes).toMatchObject({ device_class: 'problem', value: 15, rule: 'low_soc', device: 'inverter' });
    expect(Date.parse(String(low.attributes['since']))).toBeGreaterThan(Date.now() - 120_000);
    const started = await eventually(
      async () => notices().find((n) => n.message.startsWith('Inverter: battery_soc 15 %')),
      'the low SOC notification recorded',
      30_000,
    );
    expect(started.message).toContain(`since ${String(low.attributes['since'])}`);

    const api = alarmsResponseSchema.parse(
      await (await fetch(`${(await addon.url()).replace('localhost', '127.0.0.1')}api/alarms`)).json(),
    );
    expect(api.notify).toEqual(['notify.sps_recorder', 'notify.not_in_ha']);
    const failed = await eventually(
      async () =>
        addon.stdout.split('\n').find((l) => l.includes('service=notify.not_in_ha') && l.includes('retrying')),
      'the failing notify service logged',
      30_000,
    );
    expect(failed).toMatch(/reason=.*not_in_ha/);
    expect(api.alarms.find((a) => a.key === 'low_soc:inverter')).toMatchObject({
      active: true,
      value: 15,
      since: low.attributes['since'],
    });
  }, 90_000);

  it('notifies a flapping device once when it starts and once when it clears, a cooldown apart', async () => {
    const key = 'sps_alarms_device_unavailable__inverter';
    const unavailable = (n: Notice) => n.message.startsWith('Inverter: unreachable');
    const back = (n: Notice) => n.message.startsWith('Inverter: reachable again');
    await eventually(stateIs(key, 'off'), 'device_unavailable off', 30_000);

    sim.setFaults({ dropConnections: true });
    const on = await eventually(stateIs(key, 'on'), 'device_unavailable on', 60_000);
    expect(on.attributes['since']).toEqual(expect.any(String));
    await eventually(async () => notices().find(unavailable), 'the start notification', 30_000);
    // Back, away again, back: every change is an HA state, while the notifications wait out the cooldown.
    sim.setFaults({ dropConnections: false });
    await eventually(stateIs(key, 'off'), 'device back', 60_000);
    sim.setFaults({ dropConnections: true });
    await eventually(stateIs(key, 'on'), 'device away again', 60_000);
    sim.setFaults({ dropConnections: false });
    await eventually(stateIs(key, 'off'), 'device back again', 60_000);

    const cleared = await eventually(
      async () => notices().find(back),
      'the clear notification',
      (COOLDOWN_S + 60) * 1000,
    );
    const about = notices().filter((n) => unavailable(n) || back(n));
    expect(about.map((n) => (unavailable(n) ? 'started' : 'cleared'))).toEqual(['started', 'cleared']);
    expect(cleared.at - (about[0] as Notice).at).toBeGreaterThanOrEqual(COOLDOWN_S - 1);
  }, 240_000);

  it('keeps an alarm still on across a restart with its original since, and does not notify it again', async () => {
    const before = await eventually(stateIs('sps_alarms_low_soc__inverter', 'on'), 'low SOC alarm on', 30_000);
    expect(lowSocNotices()).toHaveLength(1);
    await addon.kill();
    writeFileSync(path.join(os.tmpdir(), 'sps-e2e-alarms-addon-1.log'), addon.stdout + addon.stderr);
    addon = startAddon();
    const base = (await addon.url()).replace('localhost', '127.0.0.1');
    // The inverter answered the new process (so the rule has seen a fresh SOC of 15 %) ...
    await eventually(
      async () => {
        const body = (await (await fetch(`${base}api/devices`)).json()) as {
          devices: { id: string; availability: { available: boolean } }[];
        };
        return body.devices.find((d) => d.id === 'inverter')?.availability.available ? true : undefined;
      },
      'the inverter read by the restarted add-on',
      60_000,
    );
    const api = alarmsResponseSchema.parse(await (await fetch(`${base}api/alarms`)).json());
    expect(api.alarms.find((a) => a.key === 'low_soc:inverter')).toMatchObject({
      active: true,
      since: before.attributes['since'],
    });
    // ... and HA shows the same alarm, same since.
    const after = await eventually(
      async () => {
        const s = await alarmState('sps_alarms_low_soc__inverter');
        return s?.state === 'on' && s.attributes['since'] === before.attributes['since'] ? s : undefined;
      },
      'the low SOC alarm on in HA with its first since',
      60_000,
    );
    expect(after.attributes['value']).toBe(15);
    expect(lowSocNotices()).toHaveLength(1);
  }, 180_000);
});
