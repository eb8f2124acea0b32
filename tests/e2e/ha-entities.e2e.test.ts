/**
 * End-to-end for the drivers on Home Assistant entities (issue 12, items 3 and 5): a real HA core
 * (from .venv) whose configuration makes a "battery" and an "EV charger" out of input helpers,
 * template sensors and a script, and the real add-on as a child process with `ha-battery` and
 * `ha-ev-charger` entries mapping them. Asserted through the add-on's HTTP API and HA's REST API:
 * readings arrive in W/%/signs of the project whatever unit and sign the entity uses; commands
 * through the add-on's API become service calls that change the helpers in HA; an entity that
 * turns unavailable, or does not exist, makes the device unavailable with the entity named; and
 * without HA the devices say "no Home Assistant connection".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectToHa } from '@sps/ha';
import { stringify } from 'yaml';
import { SpsProcess, ensureBuilt, eventually } from '../../addon/test/support/addon-process';
import { startHass, venvAvailable, type HassInstance } from './harness/hass.cjs';

const haveVenv = venvAvailable();
if (!haveVenv && process.env['CI']) throw new Error('CI needs the HA venv: run scripts/setup.sh');
if (!haveVenv) console.warn('tests/e2e skipped: no .venv with homeassistant (run scripts/setup.sh)');
const describeE2e = haveVenv ? describe : describe.skip;

/**
 * The household in HA: the battery's SOC and power are template sensors over input_numbers (the
 * power in kW, positive while charging, as some integrations count), the grid in W positive when
 * exporting, PV in kW behind an availability switch; the mode an input_select; a script forces
 * the discharge. The EV charger is an input_boolean (its switch), an input_number (A) and a plug.
 */
const HA_YAML = `
input_number:
  batt_soc_raw: {min: 0, max: 100, step: 0.1, initial: 55}
  batt_power_kw: {min: -10, max: 10, step: 0.001, initial: 1.5}
  grid_power_raw: {min: -20000, max: 20000, step: 1, initial: 800}
  pv_power_kw: {min: 0, max: 20, step: 0.001, initial: 3.2}
  batt_charge_power: {min: 0, max: 5000, step: 1, initial: 0, unit_of_measurement: W}
  batt_discharge_power: {min: 0, max: 5, step: 0.001, initial: 0, unit_of_measurement: kW}
  batt_reserve: {min: 5, max: 100, step: 1, initial: 10, unit_of_measurement: '%'}
  ev_current: {min: 6, max: 32, step: 1, initial: 10, unit_of_measurement: A}
  car_soc: {min: 0, max: 100, step: 1, initial: 40, unit_of_measurement: '%'}
input_select:
  batt_mode:
    options: [Self consumption, Force charge, Force discharge]
    initial: Self consumption
input_boolean:
  pv_online: {initial: true}
  ev_switch: {initial: false}
  ev_plug: {initial: true}
template:
  - sensor:
      - name: Batt SOC
        unique_id: batt_soc
        unit_of_measurement: '%'
        device_class: battery
        state: "{{ states('input_number.batt_soc_raw') }}"
      - name: Batt power
        unique_id: batt_power
        unit_of_measurement: kW
        device_class: power
        state: "{{ states('input_number.batt_power_kw') }}"
      - name: Grid power
        unique_id: grid_power
        unit_of_measurement: W
        device_class: power
        state: "{{ states('input_number.grid_power_raw') }}"
      - name: PV power
        unique_id: pv_power
        unit_of_measurement: kW
        device_class: power
        state: "{{ states('input_number.pv_power_kw') }}"
        availability: "{{ is_state('input_boolean.pv_online', 'on') }}"
script:
  batt_force_discharge:
    fields:
      power_w:
        description: discharge power, W
    sequence:
      - action: input_number.set_value
        target: {entity_id: input_number.batt_discharge_power}
        data: {value: "{{ (power_w | float / 1000) | round(3) }}"}
      - action: input_select.select_option
        target: {entity_id: input_select.batt_mode}
        data: {option: Force discharge}
`;

const BATTERY = {
  name: 'HA battery',
  driver: 'ha-battery',
  poll_interval_s: 1,
  soc_entity: 'sensor.batt_soc',
  power_entity: 'sensor.batt_power',
  power_sign: 'positive_charge',
  grid_power_entity: 'sensor.grid_power',
  grid_sign: 'positive_export',
  pv_power_entity: 'sensor.pv_power',
  mode_entity: 'input_select.batt_mode',
  mode_self_consumption: 'Self consumption',
  mode_force_charge: 'Force charge',
  charge_power_entity: 'input_number.batt_charge_power',
  discharge_power_entity: 'input_number.batt_discharge_power',
  backup_reserve_entity: 'input_number.batt_reserve',
  force_discharge_script: 'script.batt_force_discharge',
  capacity_kwh: 10,
};
const GHOST = { name: 'Ghost battery', driver: 'ha-battery', poll_interval_s: 1, soc_entity: 'sensor.not_there' };
const EV = {
  name: 'HA EV charger',
  driver: 'ha-ev-charger',
  poll_interval_s: 1,
  switch_entity: 'input_boolean.ev_switch',
  current_entity: 'input_number.ev_current',
  plug_entity: 'input_boolean.ev_plug',
  car_soc_entity: 'input_number.car_soc',
  departure_time: '07:30',
  target_soc_pct: 80,
  phases: 1,
  voltage: 230,
  min_current_a: 6,
  max_current_a: 16,
  battery_kwh: 60,
};
const ID = { battery: 'ha_battery', ghost: 'ghost_battery', ev: 'ha_ev_charger' } as const;

interface DeviceJson {
  id: string;
  availability: { available: boolean; reason: string | null };
  capabilities: { commands: string[]; limits: Record<string, number> } | null;
}
type Readings = Record<string, { value: unknown; unit: string | null }>;

describeE2e('batteries and EV chargers Home Assistant already controls', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-ha-entities-e2e-'));
  let hass: HassInstance;
  let addon: SpsProcess;
  let addonUrl: string;

  const devices = async (): Promise<DeviceJson[]> =>
    ((await (await fetch(`${addonUrl}api/devices`)).json()) as { devices: DeviceJson[] }).devices;
  const device = async (id: string): Promise<DeviceJson> => {
    const found = (await devices()).find((d) => d.id === id);
    if (!found) throw new Error(`no device ${id}`);
    return found;
  };
  const readings = async (id: string): Promise<Readings> =>
    ((await (await fetch(`${addonUrl}api/readings`)).json()) as { devices: Record<string, { readings: Readings }> })
      .devices[id]?.readings ?? {};
  const reading = async (id: string, key: string): Promise<unknown> => (await readings(id))[key]?.value;
  const command = async (id: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${addonUrl}api/devices/${id}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const haState = async (entityId: string): Promise<string> =>
    ((await hass.api(`/api/states/${entityId}`)).body as { state: string }).state;
  const haCall = (domain: string, service: string, data: Record<string, unknown>) =>
    hass.api(`/api/services/${domain}/${service}`, { method: 'POST', body: JSON.stringify(data) });
  const readingIs = (id: string, key: string, wanted: unknown) => async () =>
    (await reading(id, key)) === wanted ? true : undefined;

  beforeAll(async () => {
    ensureBuilt();
    const optionsFile = path.join(tmp, 'options.yaml');
    writeFileSync(optionsFile, stringify({ log_level: 'debug', devices: [BATTERY, GHOST, EV] }));
    hass = await startHass({ extraYaml: HA_YAML });
    addon = new SpsProcess(
      [
        'run',
        ...['--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0'],
        ...['--ha-url', hass.wsUrl, '--ha-config-dir', hass.configDir],
      ],
      { SPS_HA_TOKEN: hass.token },
    );
    addonUrl = await addon.url();
    await eventually(
      async () =>
        ((await device(ID.battery)).availability.available && (await device(ID.ev)).availability.available) ||
        undefined,
      'the HA battery and EV charger available',
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await addon?.kill();
    if (addon) writeFileSync(path.join(os.tmpdir(), 'sps-ha-entities-e2e-addon.log'), addon.stdout + addon.stderr);
    await hass?.remove();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('reads the battery in W, % and the project signs, whatever unit and sign the entities use', async () => {
    await eventually(readingIs(ID.battery, 'battery_soc', 55), 'SOC read');
    const values = await readings(ID.battery);
    // 1.5 kW charging (positive_charge) is −1500 W; 800 W exported (positive_export) is −800 W.
    expect(values['battery_power']).toEqual({ value: -1500, unit: 'W' });
    expect(values['grid_power']).toEqual({ value: -800, unit: 'W' });
    expect(values['pv_power']).toEqual({ value: 3200, unit: 'W' });
    expect(values['backup_reserve']?.value).toBe(10);
    expect(values['operating_mode']?.value).toBe('Self consumption');
    const battery = await device(ID.battery);
    expect(battery.capabilities?.commands.sort()).toEqual(
      [
        'force_charge',
        'force_discharge',
        'restore_normal',
        'set_backup_reserve',
        'set_charge_limit',
        'set_discharge_limit',
      ].sort(),
    );
    // The numbers' max (5000 W; 5 kW) are the limits where the options do not give them.
    expect(battery.capabilities?.limits['maxChargeW']).toBeLessThanOrEqual(5000);
    expect(battery.capabilities?.limits['maxDischargeW']).toBeLessThanOrEqual(5000);

    // A change in HA reaches the add-on (pushed by the subscription).
    await haCall('input_number', 'set_value', { entity_id: 'input_number.batt_power_kw', value: 2.25 });
    await eventually(readingIs(ID.battery, 'battery_power', -2250), 'battery power follows HA');
  });

  it('shows the HA battery and charger in HA as devices of the add-on, with their controls', async () => {
    const observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    try {
      const ours = async () =>
        (
          await observer.sendMessagePromise<{ unique_id: string; entity_id: string; platform: string }[]>({
            type: 'config/entity_registry/list',
          })
        ).filter((e) => e.platform === 'smart_power_station');
      // unique ids are <serial>_<key>; the serial is `ha_` + the SOC entity (battery) or the switch (charger).
      const soc = await eventually(
        async () => (await ours()).find((e) => e.unique_id === 'ha_sensor.batt_soc_battery_soc'),
        'the battery declared in HA',
      );
      await eventually(
        async () => ((await haState(soc.entity_id)) === '55' ? true : undefined),
        "the add-on's SOC entity in HA",
      );
      const keys = (await ours()).map((e) => e.unique_id);
      expect(keys).toEqual(
        expect.arrayContaining([
          'ha_sensor.batt_soc_backup_reserve',
          'ha_sensor.batt_soc_restore_normal',
          'ha_input_boolean.ev_switch_ev_charging',
          'ha_input_boolean.ev_switch_ev_charge_limit',
          'ha_input_boolean.ev_switch_ev_plugged',
        ]),
      );
    } finally {
      observer.close();
    }
  });

  it('forces a charge, a discharge (through the script) and hands back, by service calls in HA', async () => {
    const charge = await command(ID.battery, { type: 'force_charge', power_w: 2500 });
    expect(charge.status).toBe(200);
    expect(await haState('input_select.batt_mode')).toBe('Force charge');
    expect(Number(await haState('input_number.batt_charge_power'))).toBe(2500);

    const discharge = await command(ID.battery, { type: 'force_discharge', power_w: 1800 });
    expect(discharge.status).toBe(200);
    expect(await haState('input_select.batt_mode')).toBe('Force discharge');
    // The add-on wrote 1.8 (the number is in kW), then the script set the same value.
    expect(Number(await haState('input_number.batt_discharge_power'))).toBeCloseTo(1.8, 3);

    expect((await command(ID.battery, { type: 'restore_normal' })).status).toBe(200);
    expect(await haState('input_select.batt_mode')).toBe('Self consumption');

    expect((await command(ID.battery, { type: 'set_backup_reserve', percent: 20 })).status).toBe(200);
    expect(Number(await haState('input_number.batt_reserve'))).toBe(20);
    await eventually(readingIs(ID.battery, 'backup_reserve', 20), 'reserve read back');
  });

  it('makes the device unavailable naming the entity that went unavailable, and recovers', async () => {
    await haCall('input_boolean', 'turn_off', { entity_id: 'input_boolean.pv_online' });
    await eventually(async () => {
      const { availability } = await device(ID.battery);
      return !availability.available && availability.reason?.includes('sensor.pv_power') ? true : undefined;
    }, 'battery unavailable naming sensor.pv_power');
    expect((await device(ID.battery)).availability.reason).toMatch(/sensor\.pv_power is unavailable/);
    await haCall('input_boolean', 'turn_on', { entity_id: 'input_boolean.pv_online' });
    await eventually(
      async () => (await device(ID.battery)).availability.available || undefined,
      'battery back',
      60_000,
    );
  });

  it('a mapping that names an entity HA does not have is unavailable, naming it', async () => {
    await eventually(
      async () => ((await device(ID.ghost)).availability.reason?.includes('sensor.not_there') ? true : undefined),
      'ghost battery names its entity',
    );
    const ghost = await device(ID.ghost);
    expect(ghost.availability).toMatchObject({ available: false });
    expect(ghost.availability.reason).toMatch(/sensor\.not_there does not exist in Home Assistant/);
  });

  it("drives the EV charger's switch and current, and reads plug, SOC and power", async () => {
    await eventually(readingIs(ID.ev, 'ev_soc', 40), 'car SOC read');
    expect(await reading(ID.ev, 'ev_plugged')).toBe(true);
    expect(await reading(ID.ev, 'ev_charging')).toBe(false);
    expect(await reading(ID.ev, 'ev_charge_power')).toBe(0);
    expect((await device(ID.ev)).capabilities?.limits['maxChargeW']).toBeLessThanOrEqual(230 * 16);

    // 3000 W at 230 V, one phase: 13 A (whole amps, rounded down).
    const limit = await command(ID.ev, { type: 'set_charge_limit', power_w: 3000 });
    expect(limit).toMatchObject({ status: 200, body: { applied: { current_a: 13, power_w: 2990 } } });
    expect(Number(await haState('input_number.ev_current'))).toBe(13);
    // Below the charger's minimum: clamped up to 6 A.
    await command(ID.ev, { type: 'set_charge_limit', power_w: 500 });
    expect(Number(await haState('input_number.ev_current'))).toBe(6);

    expect((await command(ID.ev, { type: 'set_relay', on: true })).status).toBe(200);
    expect(await haState('input_boolean.ev_switch')).toBe('on');
    await eventually(readingIs(ID.ev, 'ev_charge_power', 6 * 230), 'charging power = V × A while on');
    expect((await command(ID.ev, { type: 'set_relay', on: false })).status).toBe(200);
    expect(await haState('input_boolean.ev_switch')).toBe('off');

    // The car unplugged in HA: the reading follows.
    await haCall('input_boolean', 'turn_off', { entity_id: 'input_boolean.ev_plug' });
    await eventually(readingIs(ID.ev, 'ev_plugged', false), 'unplugged');
  });

  it('sps read and sps write reach the same entities through HA (--ha-url, token in SPS_HA_TOKEN)', async () => {
    const sps = async (args: string[], env: NodeJS.ProcessEnv = { SPS_HA_TOKEN: hass.token }) => {
      const child = new SpsProcess(args, env);
      try {
        const { code } = await child.exitWithin(60_000);
        return { code, stdout: child.stdout, stderr: child.stderr };
      } finally {
        await child.kill();
      }
    };
    const flags = [
      ...['--soc-entity', 'sensor.batt_soc', '--power-entity', 'sensor.batt_power'],
      ...['--power-sign', 'positive_charge', '--mode-entity', 'input_select.batt_mode'],
      ...['--mode-self-consumption', 'Self consumption', '--mode-force-charge', 'Force charge'],
    ];
    const read = await sps(['read', 'ha-battery', ...flags, '--ha-url', hass.wsUrl, '--json']);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({
      device: { driver: 'ha-battery', serial: 'ha_sensor.batt_soc' },
      readings: { battery_soc: 55, operating_mode: 'Self consumption' },
    });

    const write = await sps([
      'write',
      'ha-battery',
      'force_charge',
      '--power-w',
      '800',
      ...flags,
      '--ha-url',
      hass.wsUrl,
    ]);
    expect(write.code).toBe(0);
    expect(await haState('input_select.batt_mode')).toBe('Force charge');
    expect((await sps(['write', 'ha-battery', 'restore_normal', ...flags, '--ha-url', hass.wsUrl])).code).toBe(0);
    expect(await haState('input_select.batt_mode')).toBe('Self consumption');

    // Without a Home Assistant to ask: one line naming the flag.
    const alone = await sps(['read', 'ha-battery', ...flags], {});
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^sps read: --ha-url: ha-battery reads Home Assistant's entities/m);
  }, 120_000);

  it('while HA restarts the devices say there is no connection, then read and write again', async () => {
    await hass.stop();
    await eventually(
      async () =>
        (await device(ID.battery)).availability.reason?.includes('no Home Assistant connection') ? true : undefined,
      'the battery without HA',
      60_000,
    );
    // Same config dir and port: the add-on reconnects by itself and subscribes again.
    hass = await startHass({ configDir: hass.configDir, port: hass.port });
    await eventually(
      async () => ((await device(ID.battery)).availability.available ? true : undefined),
      'the battery back after the restart',
      60_000,
    );
    // The helpers start again from their `initial` values.
    await eventually(readingIs(ID.battery, 'battery_soc', 55), 'SOC read again');
    expect((await command(ID.battery, { type: 'force_charge', power_w: 1200 })).status).toBe(200);
    expect(await haState('input_select.batt_mode')).toBe('Force charge');
    expect(Number(await haState('input_number.batt_charge_power'))).toBe(1200);
    expect((await command(ID.battery, { type: 'restore_normal' })).status).toBe(200);
    expect(await haState('input_select.batt_mode')).toBe('Self consumption');
  }, 120_000);

  it('without Home Assistant the devices are unavailable: "no Home Assistant connection"', async () => {
    const optionsFile = path.join(tmp, 'no-ha.yaml');
    writeFileSync(optionsFile, stringify({ devices: [BATTERY, EV] }));
    const alone = new SpsProcess([
      'run',
      '--config',
      optionsFile,
      '--data-dir',
      path.join(tmp, 'no-ha'),
      '--port',
      '0',
    ]);
    try {
      const url = await alone.url();
      await eventually(async () => {
        const list = ((await (await fetch(`${url}api/devices`)).json()) as { devices: DeviceJson[] }).devices;
        return list.length === 2 && list.every((d) => d.availability.reason?.includes('no Home Assistant connection'))
          ? true
          : undefined;
      }, 'both devices say there is no HA connection');
    } finally {
      await alone.kill();
    }
  });
});
