import { DeviceJson, DevicesResponse, PlanResponse, ReadingsResponse } from '../src/data/api-types.js';
import { labelAnchor, niceScale, tickDecimals, tickEveryHours } from '../src/model/chart-scale.js';
import { controlCommand, deviceControls, deviceRelay, readingRows } from '../src/model/device-view.js';
import { direction, flowModel } from '../src/model/flow-model.js';
import { parseOverrideForm, presetLabel } from '../src/model/override-form.js';
import { batterySocLines, planLanes } from '../src/model/plan-lanes.js';
import { devicesFixture, planFixture, readingsFixture } from './fixtures.js';

const devices = DevicesResponse.parse(devicesFixture()).devices;
const readings = ReadingsResponse.parse(readingsFixture()).devices;

describe('chart scales', () => {
  it('covers a range with nice ticks', () => {
    expect(niceScale(0, 0.5523, 4).ticks).toEqual([0, 0.2, 0.4, 0.6]);
    expect(niceScale(-3.2, 4.5, 3).ticks).toEqual([-5, 0, 5]);
    expect(niceScale(0, 100, 2).ticks).toEqual([0, 50, 100]);
    expect(niceScale(2, 2).ticks.length).toBeGreaterThanOrEqual(2);
    expect(tickDecimals([0, 0.2, 0.4])).toBe(1);
    expect(tickDecimals([0, 0.05])).toBe(2);
    expect(tickDecimals([0, 2.5, 5])).toBe(1);
    expect(tickDecimals([0, 10])).toBe(0);
  });

  it('keeps labels inside the chart and apart', () => {
    expect(labelAnchor(2, 300, 20)).toBe('start');
    expect(labelAnchor(150, 300, 20)).toBe('middle');
    expect(labelAnchor(295, 300, 20)).toBe('end');
    expect(tickEveryHours(250, 48, 35)).toBe(12);
    expect(tickEveryHours(1000, 48, 35)).toBe(3);
    expect(tickEveryHours(50, 48, 35)).toBe(24);
  });
});

describe('the flow model', () => {
  const plan = PlanResponse.parse(planFixture(Date.parse('2026-12-04T02:10:00Z')));

  it('shows the station once, its relays by position with state, power and reason', () => {
    const m = flowModel(devices, readings, plan, Date.parse('2026-12-04T02:10:00Z'));
    expect(m.batteries.map((b) => [b.id, b.socPct, b.powerW])).toEqual([['station', 64, -1200]]);
    expect(m.relays.map((r) => [r.position, r.on, r.powerW, r.available])).toEqual([
      ['P1', true, 1250, true],
      ['P2', false, 0, true],
      ['P3', true, 380, true],
      ['P4', false, 0, false],
    ]);
    expect(m.relays[3]!.reason).toContain('connection refused');
    expect(m.gridW).toBe(450);
    expect(m.solarW).toBe(2350);
    expect(m.homeW).toBe(1600);
  });

  it('shows the EV and deferrable loads only when the plan has them', () => {
    const at2 = flowModel(devices, readings, plan, Date.parse('2026-12-04T02:10:00Z'));
    expect(at2.evKw).toBe(7);
    expect(at2.deferrableKw).toBe(0);
    expect(flowModel(devices, readings, null, Date.now()).evKw).toBeNull();
  });

  it('takes the home grid and load from an inverter before the station, and adds up solar and batteries', () => {
    const inverter = DeviceJson.parse({
      id: 'inverter',
      name: 'Sungrow',
      driver: 'sungrow-sh',
      availability: { available: true, reason: null },
      entities: [{ key: 'battery_soc', platform: 'sensor', name: 'Battery state of charge', unit: '%' }],
    });
    const withInverter = {
      ...readings,
      inverter: {
        timestamp: '2026-12-04T10:00:00Z',
        readings: {
          battery_soc: { value: 80, unit: '%' },
          battery_power: { value: 500, unit: 'W' },
          grid_power: { value: -3000, unit: 'W' },
          load_power: { value: 2200, unit: 'W' },
          pv_power: { value: 4000, unit: 'W' },
        },
      },
    };
    const m = flowModel([...devices, inverter], withInverter, null, Date.now());
    expect(m.gridW).toBe(-3000);
    expect(m.homeW).toBe(2200);
    expect(m.solarW).toBe(6350);
    expect(m.batteries.map((b) => [b.id, b.socPct])).toEqual([
      ['station', 64],
      ['inverter', 80],
    ]);
  });

  it('gives each line a direction', () => {
    expect(direction(450)).toBe('in');
    expect(direction(-1200)).toBe('out');
    expect(direction(3)).toBe('none');
    expect(direction(null)).toBe('none');
  });
});

describe('the device view', () => {
  const station = devices.find((d) => d.id === 'station')!;
  const relay = devices.find((d) => d.id === 'relay-1')!;

  it('lists the main readings with friendly names and units', () => {
    const rows = readingRows(station, readings['station'], []);
    expect(rows.slice(0, 3)).toEqual([
      { key: 'battery_soc', name: 'Battery state of charge', text: '64 %' },
      { key: 'battery_power', name: 'Battery power', text: '-1.2 kW' },
      { key: 'pv_power', name: 'PV power', text: '2.35 kW' },
    ]);
    expect(readingRows(station, readings['station'], ['station_mode'])).toEqual([
      { key: 'station_mode', name: 'Station mode', text: 'charging' },
    ]);
  });

  it('shows a relay state as it is, not as "on" by default', () => {
    expect(deviceRelay(readings['relay-2'])).toEqual({ on: false, powerW: 0 });
    const [toggle] = deviceControls(relay, readings['relay-2']);
    expect(toggle).toMatchObject({ kind: 'switch', current: false });
    expect(controlCommand(toggle!, true)).toEqual({ type: 'set_relay', on: true });
  });

  it('builds commands from the entity catalogue bindings', () => {
    const controls = deviceControls(station, readings['station']);
    const byKey = Object.fromEntries(controls.map((c) => [c.key, c]));
    expect(controlCommand(byKey['force_charge']!)).toEqual({ type: 'force_charge', power_w: 1200 });
    expect(controlCommand(byKey['backup_reserve']!, 30)).toEqual({ type: 'set_backup_reserve', percent: 30 });
    expect(controlCommand(byKey['backup_reserve']!, Number.NaN)).toBeNull();
    expect(controlCommand(byKey['operating_mode']!, 'backup')).toEqual({ type: 'set_operating_mode', mode: 'backup' });
    expect(byKey['operating_mode']!.current).toBe('self_consumption');
  });

  it("builds a driver's own command (device_command) from its binding's name and field", () => {
    const studer = DeviceJson.parse({
      ...station,
      entities: [
        {
          key: 'ac_input_current_limit',
          platform: 'number',
          name: 'AC input current limit',
          min: 2,
          max: 50,
          command: { command: 'device_command', field: 'amps', fixed: { name: 'set_ac_input_current_limit' } },
        },
        {
          key: 'charger_allowed',
          platform: 'switch',
          name: 'Charger allowed',
          command: { command: 'device_command', field: 'on', fixed: { name: 'set_charger_allowed' } },
        },
        { key: 'odd', platform: 'button', name: 'Odd', command: { command: 'device_command' } },
      ],
    });
    const [limit, charger, odd] = deviceControls(studer, undefined);
    expect(controlCommand(limit!, 16)).toEqual({
      type: 'device_command',
      name: 'set_ac_input_current_limit',
      amps: 16,
    });
    expect(controlCommand(charger!, false)).toEqual({ type: 'device_command', name: 'set_charger_allowed', on: false });
    // A device_command binding without a name is no command.
    expect(controlCommand(odd!)).toBeNull();
  });

  it('ignores bindings to commands it does not know', () => {
    const odd = DeviceJson.parse({
      ...station,
      entities: [{ key: 'x', platform: 'button', name: 'X', command: { command: 'self_destruct' } }],
    });
    expect(controlCommand(deviceControls(odd, undefined)[0]!)).toBeNull();
  });
});

describe('the override form', () => {
  const base = { kind: 'force_charge' as const, powerKw: '', socPct: '', duration: '60' };

  it('treats an empty power field as the battery maximum, never 0 W', () => {
    const r = parseOverrideForm(base);
    expect(r).toEqual({ ok: true, request: { kind: 'force_charge', durationMinutes: 60 } });
  });

  it('refuses 0 kW, a missing duration and an impossible SOC, naming the field', () => {
    expect(parseOverrideForm({ ...base, powerKw: '0' })).toMatchObject({ ok: false, field: 'power' });
    expect(parseOverrideForm({ ...base, powerKw: 'abc' })).toMatchObject({ ok: false, field: 'power' });
    expect(parseOverrideForm({ ...base, duration: '' })).toMatchObject({ ok: false, field: 'duration' });
    expect(parseOverrideForm({ ...base, duration: '0' })).toMatchObject({ ok: false, field: 'duration' });
    expect(parseOverrideForm({ ...base, kind: 'hold_soc', socPct: '120' })).toMatchObject({ ok: false, field: 'soc' });
  });

  it('converts kW to W and accepts a decimal comma', () => {
    expect(parseOverrideForm({ ...base, powerKw: '2,5', duration: '90' })).toEqual({
      ok: true,
      request: { kind: 'force_charge', durationMinutes: 90, powerW: 2500 },
    });
    expect(parseOverrideForm({ ...base, kind: 'hold_soc', socPct: '80' })).toEqual({
      ok: true,
      request: { kind: 'hold_soc', durationMinutes: 60, socPct: 80 },
    });
  });

  it('labels presets', () => {
    expect([30, 60, 90, 1440].map(presetLabel)).toEqual(['30 min', '1 h', '1 h 30 min', '1 d']);
  });
});

describe('the plan lanes (EV, deferrable loads, each battery)', () => {
  const response = PlanResponse.parse(planFixture(Date.UTC(2026, 11, 4, 0, 0)));
  const intervals = response.plan!.intervals;

  it('gives the EV a lane and each load its own, with their planned power', () => {
    const lanes = planLanes(intervals);
    expect(lanes.map((l) => [l.label, l.name])).toEqual([
      ['EV', 'EV charging'],
      ['L1', 'water_heater'],
      ['L2', 'pool_pump'],
    ]);
    const heater = lanes[1]!;
    expect(heater.kw.filter((kw) => kw > 0).length).toBe(8); // 11:00–13:00 in 30-minute steps, on both days
    expect(heater.peakKw).toBe(1.5);
    expect(planLanes(intervals.map((i) => ({ ...i, ev_kw: 0, deferrables: [] })))).toEqual([]);
  });

  it('off-grid: a "Dark" lane where the plan cannot serve the load, none while it can', () => {
    const offGrid = intervals.map((i, t) => ({ ...i, ev_kw: 0, deferrables: [], unserved_kw: t === 3 ? 0.4 : 0 }));
    expect(planLanes(offGrid)).toEqual([
      { label: 'Dark', name: 'load not served', kw: offGrid.map((_, t) => (t === 3 ? 0.4 : 0)), peakKw: 0.4 },
    ]);
    expect(planLanes(offGrid.map((i) => ({ ...i, unserved_kw: 0 })))).toEqual([]);
  });

  it("draws each battery's SOC only when the joint plan has several", () => {
    const lines = batterySocLines(intervals, response.joint_plan!.plan.intervals);
    expect(lines.map((l) => l.name)).toEqual(['Inverter battery', 'Power station']);
    expect(lines[0]!.socPct[0]).toBe(30);
    expect(batterySocLines(intervals, undefined)).toEqual([]);
    const single = response.joint_plan!.plan.intervals.map((i) => ({ ...i, batteries: i.batteries!.slice(0, 1) }));
    expect(batterySocLines(intervals, single)).toEqual([]);
    // Matched by start: a joint plan one interval behind leaves the newest interval unknown.
    expect(batterySocLines(intervals, response.joint_plan!.plan.intervals.slice(0, -1))[0]!.socPct.at(-1)).toBeNull();
  });
});
