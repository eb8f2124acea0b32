/**
 * End-to-end for demand response: a real Mosquitto (started here on a free loopback port), the real
 * add-on (`node addon/dist/cli.js run`) pointed at it through its `aggregator` options, and a real
 * Home Assistant core with the bridge. An event published to the broker in the community format
 * shows up in HA as the mode and event sensors and fires `smart_power_station_dr_event`; opting out
 * through HA's service puts the mode back to normal and turns the opt-out switch on; `simulate_event`
 * starts a test event at once. Everything is asserted through HA's own APIs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishOnce, startMosquitto, type RunningMosquitto } from '@sps/aggregator';
import { systemClock } from '@sps/core';
import { connectToHa, type Connection } from '@sps/ha';
import { stringify } from 'yaml';
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
interface DrBusEvent {
  kind: string;
  event_id: string;
  program: string;
  type: string;
  start: string;
  end: string;
  goal_kw: number | null;
  opted_out: boolean;
  simulated: boolean;
}

const NETWORK = 'e2e_network';
/** The DR device's serial: HA's unique ids are `<serial>_<key>`. */
const SERIAL = 'sps_demand_response';

/** `YYYY-MM-DD HH:MM:SS` of an instant in UTC (the add-on's `time_zone` here). */
function utcWall(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

describeE2e('demand response through Mosquitto into a real Home Assistant', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-dr-e2e-'));
  const optionsFile = path.join(tmp, 'options.yaml');
  let broker: RunningMosquitto;
  let hass: HassInstance;
  let addon: SpsProcess;
  let addonUrl: string;
  let observer: Connection;
  let ids = new Map<string, string>();
  const busEvents: DrBusEvent[] = [];

  const entityId = (key: string): string => {
    const id = ids.get(`${SERIAL}_${key}`);
    if (!id) throw new Error(`no HA entity for ${key}`);
    return id;
  };
  const state = async (key: string): Promise<HaState> =>
    (await hass.api(`/api/states/${entityId(key)}`)).body as HaState;
  const callService = (service: string, data: Record<string, unknown>) =>
    observer.sendMessagePromise({ type: 'call_service', domain: 'smart_power_station', service, service_data: data });
  const publish = (payload: string) =>
    publishOnce(
      { url: broker.url, clientId: 'e2e-aggregator' },
      `OpenDemandResponse/Event/${NETWORK}`,
      payload,
      systemClock,
    );
  const busEvent = (kind: string, eventId?: string) => async () =>
    busEvents.find((e) => e.kind === kind && (eventId === undefined || e.event_id === eventId));

  beforeAll(async () => {
    ensureBuilt();
    broker = await startMosquitto();
    writeFileSync(
      optionsFile,
      stringify({
        log_level: 'debug',
        devices: [],
        aggregator: {
          broker_url: broker.url,
          network: NETWORK,
          participant: 'e2e_home',
          time_zone: 'UTC',
          goal_kw: 1.5,
        },
      }),
    );
    hass = await startHass();
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    await observer.subscribeEvents<{ data: DrBusEvent }>(
      (event) => void busEvents.push(event.data),
      'smart_power_station_dr_event',
    );
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
        const entities = (
          await observer.sendMessagePromise<RegistryEntity[]>({ type: 'config/entity_registry/list' })
        ).filter((e) => e.platform === 'smart_power_station');
        ids = new Map(entities.map((e) => [e.unique_id, e.entity_id]));
        if (!ids.has(`${SERIAL}_dr_mode`)) return undefined;
        return (await state('dr_broker_connected')).state === 'on' ? true : undefined;
      },
      'the Demand response device in HA, its broker connected',
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-dr-e2e-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    await broker?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('starts in the normal mode with the DR entities declared', async () => {
    expect((await state('dr_mode')).state).toBe('normal');
    expect((await state('dr_mode')).attributes['options']).toEqual(['normal', 'upcoming', 'ongoing', 'post_event']);
    expect((await state('dr_sharing')).state).toBe('none');
    expect((await state('dr_opt_out')).state).toBe('off');
  });

  it('shows an event published to Mosquitto as the mode and event sensors, and fires the HA event', async () => {
    // Two hours ahead, on a whole second (the community format has seconds).
    const startMs = Math.ceil((Date.now() + 2 * 3_600_000) / 1000) * 1000;
    await publish(`CSRP#contingency#${utcWall(startMs)}#${utcWall(Date.now())}`);
    const received = await eventually(busEvent('received'), 'the received HA event', 20_000);
    expect(received).toMatchObject({
      program: 'CSRP',
      type: 'contingency',
      goal_kw: 1.5,
      opted_out: false,
      simulated: false,
    });
    expect(Date.parse(received.start)).toBe(startMs);
    expect(received.start).toMatch(/\+00:00$/);
    await eventually(
      async () => ((await state('dr_mode')).state === 'upcoming' ? true : undefined),
      'mode upcoming',
      20_000,
    );
    expect(Date.parse((await state('dr_next_event_start')).state)).toBe(startMs);
    expect((await state('dr_program')).state).toBe('CSRP');
    // Measurements are coalesced by the add-on (a few seconds): wait for it.
    await eventually(
      async () => (Number((await state('dr_goal')).state) === 1.5 ? true : undefined),
      'the goal 1.5 kW',
      20_000,
    );
    expect((await state('dr_mode')).attributes['event_id']).toBe(received.event_id);
    // The same through the add-on's API.
    const api = (await (await fetch(`${addonUrl}api/dr`)).json()) as Record<string, unknown>;
    expect(api).toMatchObject({ mode: 'upcoming', broker: { connected: true }, event: { program: 'CSRP' } });
  });

  it('opts out through the HA service: the mode goes back to normal and the switch turns on', async () => {
    const received = busEvents.find((e) => e.kind === 'received');
    await callService('opt_out_event', {});
    const optedOut = await eventually(busEvent('opted_out'), 'the opted_out HA event', 20_000);
    expect(optedOut.event_id).toBe(received?.event_id);
    expect(optedOut.opted_out).toBe(true);
    await eventually(
      async () => ((await state('dr_mode')).state === 'normal' ? true : undefined),
      'mode normal after the opt-out',
      20_000,
    );
    await eventually(
      async () => ((await state('dr_opt_out')).state === 'on' ? true : undefined),
      'the opt-out switch on',
      20_000,
    );
  });

  it('simulate_event starts a test event at once, marked simulated', async () => {
    await callService('simulate_event', { minutes_from_now: 0, duration_minutes: 15, program: 'DLRP', goal_kw: 0.5 });
    const simulated = await eventually(
      async () => busEvents.find((e) => e.simulated && e.kind === 'received'),
      'the simulated event received',
      20_000,
    );
    expect(simulated).toMatchObject({ program: 'DLRP', goal_kw: 0.5 });
    await eventually(
      async () => ((await state('dr_mode')).state === 'ongoing' ? true : undefined),
      'mode ongoing',
      30_000,
    );
    expect((await state('dr_mode')).attributes['event_id']).toBe(simulated.event_id);
    await eventually(busEvent('started', simulated.event_id), 'the started HA event', 30_000);
  });

  it('refuses a simulate_event with a bad field, naming it', async () => {
    await expect(callService('simulate_event', { duration_minutes: 0 })).rejects.toMatchObject({
      message: expect.stringContaining('duration_minutes'),
    });
  });

  it('stops on SIGTERM in the middle of the event, cleanly, with nothing left unhandled', async () => {
    expect((await state('dr_mode')).state).toBe('ongoing');
    addon.child.kill('SIGTERM');
    // The add-on's own hard deadline is 15 s (DOCS "Stopping"); this only bounds the wait.
    const exit = await addon.exitWithin(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(addon.unhandledRejections()).toEqual([]);
    // HA sees the add-on gone: the DR entities turn unavailable.
    await eventually(
      async () => ((await state('dr_mode')).state === 'unavailable' ? true : undefined),
      'the DR entities unavailable in HA',
      20_000,
    );
  });
});
