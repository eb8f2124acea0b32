import { DeviceError, type Availability, type ReadingSet } from '@sps/core';
import { BluettiAdapter, InMemoryBleTransport, type BluettiPhysicalState } from '@sps/device-bluetti';
import { makeRig, num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

const HOUR = 3_600_000;

/** Readings against the simulator's physical state. */
function expectReadingsMatch(readings: ReadingSet, s: BluettiPhysicalState): void {
  expect(num(readings, 'battery_soc')).toBe(Math.round(s.socPct));
  expect(num(readings, 'ac_input_power')).toBe(s.acInputW);
  expect(num(readings, 'dc_input_power')).toBe(s.dcInputW);
  expect(num(readings, 'ac_output_power')).toBe(s.acOutputW);
  expect(num(readings, 'dc_output_power')).toBe(s.dcOutputW);
  expect(num(readings, 'grid_power')).toBe(s.acInputW);
  expect(num(readings, 'pv_power')).toBe(s.dcInputW);
  expect(num(readings, 'load_power')).toBe(s.acOutputW + s.dcOutputW);
  expect(num(readings, 'battery_power')).toBe(s.batteryPowerW);
  expect(readings.values.ac_output_on).toBe(s.acOutputOn);
  expect(readings.values.dc_output_on).toBe(s.dcOutputOn);
}

async function expectDeviceError(
  work: Promise<unknown>,
  kind: DeviceError['kind'],
  message?: RegExp,
): Promise<DeviceError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  const error = err as DeviceError;
  expect(error.kind).toBe(kind);
  if (message) expect(error.message).toMatch(message);
  return error;
}

function availabilityLog(adapter: BluettiAdapter): Availability[] {
  const log: Availability[] = [];
  adapter.events.on('availability', (a) => log.push(a));
  return log;
}

describe('BluettiAdapter over the in-memory BLE transport', () => {
  it('detects a V2 AC180 from its identity registers and describes it', async () => {
    const { adapter } = await startRig({ sim: { model: 'AC180', serial: '2524610159690' } });
    const d = adapter.describe();
    expect(d.info).toEqual({
      manufacturer: 'Bluetti',
      model: 'AC180',
      serial: '2524610159690',
      hardware: 'IoT protocol V2',
    });
    expect(d.capabilities).toMatchObject({
      commands: ['set_relay', 'set_operating_mode'],
      limits: { maxExportW: 0, maxDischargeW: 1800, capacityWh: 1152 },
      operatingModes: ['standard', 'silent', 'turbo'],
      minPollIntervalMs: 5000,
    });
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('battery_soc')).toMatchObject({ platform: 'sensor', unit: '%', deviceClass: 'battery' });
    expect(byKey.get('ac_output_on')).toMatchObject({
      platform: 'switch',
      command: { command: 'set_relay', field: 'on', fixed: { channel: 0 } },
    });
    expect(byKey.get('dc_output_on')).toMatchObject({ command: { command: 'set_relay', fixed: { channel: 1 } } });
    expect(byKey.get('charging_mode')).toMatchObject({
      platform: 'select',
      options: ['standard', 'silent', 'turbo'],
      command: { command: 'set_operating_mode', field: 'mode' },
    });
    expect(byKey.has('ups_mode')).toBe(false);
    expect(byKey.has('grid_charge_on')).toBe(false);
  });

  it('detects V1 stations (AC200M, AC300, EB3A) by falling back to register 10', async () => {
    for (const model of ['AC200M', 'AC300', 'EB3A']) {
      const { adapter } = await startRig({
        sim: { model, address: `F0:0B:1E:77:00:${model.length}${model.at(-1) === 'A' ? 1 : 2}` },
      });
      const d = adapter.describe();
      expect(d.info).toMatchObject({ model, hardware: 'IoT protocol V1', firmware: 'ARM 4030.15 / DSP 4005.07' });
      await adapter.close();
    }
  });

  it('reads match the physical state as it charges, discharges and the outputs switch', async () => {
    const { adapter, sim, clock } = await startRig({ sim: { model: 'AC180', initial: { socPct: 50 } } });
    // On battery: AC and DC loads, a little sun.
    sim.setEnvironment({ gridConnected: false, pvAvailableW: 120, acLoadW: 400, dcLoadW: 30 });
    await adapter.execute({ type: 'set_relay', on: true, channel: 0 });
    await adapter.execute({ type: 'set_relay', on: true, channel: 1 });
    let r = await adapter.read();
    expectReadingsMatch(r, sim.state);
    expect(num(r, 'battery_power')).toBe(400 + 30 - 120);
    await clock.advance(HOUR);
    r = await adapter.read();
    expectReadingsMatch(r, sim.state);
    // 310 W for an hour out of 1152 Wh: about 27 points of SOC.
    expect(num(r, 'battery_soc')).toBeLessThan(25);
    expect(r.timestamp).toBe(clock.now());
    // The grid comes back (the P1 relay closes): loads pass through, the battery charges.
    sim.setEnvironment({ gridConnected: true });
    r = await adapter.read();
    expectReadingsMatch(r, sim.state);
    expect(num(r, 'battery_power')).toBeLessThan(0);
    const before = num(r, 'battery_soc');
    await clock.advance(HOUR / 2);
    r = await adapter.read();
    expect(num(r, 'battery_soc')).toBeGreaterThan(before);
    expectReadingsMatch(r, sim.state);
    expect(r.values).toMatchObject({ ac_input_voltage: 230, charging_mode: 'standard' });
  });

  it('commands change the station and a repeated command costs no write', async () => {
    const { adapter, sim } = await startRig({ sim: { model: 'AC180' } });
    expect(sim.state.acOutputOn).toBe(false);
    const on = await adapter.execute({ type: 'set_relay', on: true });
    expect(on).toMatchObject({ applied: { ac_output_on: true }, writes: 1 });
    expect(sim.state.acOutputOn).toBe(true);
    expect(await adapter.execute({ type: 'set_relay', on: true })).toMatchObject({ writes: 0 });
    expect(sim.writeCount).toBe(1);
    await adapter.execute({ type: 'set_relay', on: true, channel: 1 });
    expect(sim.state.dcOutputOn).toBe(true);
    await adapter.execute({ type: 'set_operating_mode', mode: 'turbo' });
    expect(sim.state.chargingMode).toBe('turbo');
    const r = await adapter.read();
    expect(r.values).toMatchObject({ ac_output_on: true, dc_output_on: true, charging_mode: 'turbo' });
    await adapter.execute({ type: 'set_relay', on: false });
    expect(sim.state.acOutputOn).toBe(false);
  });

  it('switches UPS mode and grid charging on an AC300, and reads its pack', async () => {
    const { adapter, sim } = await startRig({ sim: { model: 'AC300', initial: { socPct: 60 } } });
    const d = adapter.describe();
    expect(d.capabilities.operatingModes).toEqual([
      'ups_customized',
      'ups_pv_priority',
      'ups_standard',
      'ups_time_control',
    ]);
    await adapter.execute({ type: 'set_operating_mode', mode: 'ups_pv_priority' });
    expect(sim.state.upsMode).toBe('ups_pv_priority');
    await adapter.execute({ type: 'set_relay', on: false, channel: 2 });
    expect(sim.state.gridChargeOn).toBe(false);
    const r = await adapter.read();
    expect(r.values).toMatchObject({ ups_mode: 'ups_pv_priority', grid_charge_on: false, pack_count: 1, pack_soc: 60 });
    expect(num(r, 'battery_voltage')).toBeCloseTo(48 + 0.6 * 6, 1);
    await expectDeviceError(
      adapter.execute({ type: 'set_operating_mode', mode: 'turbo' }),
      'unsupported',
      /ups_standard/,
    );
  });

  it('EB3A: charging mode at 3065; AC2P: state 1/3 semantics', async () => {
    const eb3a = await startRig({ sim: { model: 'EB3A' } });
    await eb3a.adapter.execute({ type: 'set_operating_mode', mode: 'silent' });
    expect(eb3a.sim.state.chargingMode).toBe('silent');
    await eb3a.adapter.close();
    const ac2p = await startRig({ sim: { model: 'AC2P', address: 'F0:0B:1E:77:00:02' } });
    expect((await ac2p.adapter.read()).values.ac_output_on).toBe(false);
    expect(ac2p.sim.registers().get(2011)).toBe(3);
    await ac2p.adapter.execute({ type: 'set_relay', on: true });
    expect(ac2p.sim.state.acOutputOn).toBe(true);
    expect((await ac2p.adapter.read()).values.ac_output_on).toBe(true);
  });

  it('refuses what a station cannot do, with reasons, without going unavailable', async () => {
    const { adapter } = await startRig({ sim: { model: 'AC200M' } });
    const log = availabilityLog(adapter);
    await expectDeviceError(adapter.execute({ type: 'force_charge', power_w: 500 }), 'unsupported', /set_relay/);
    await expectDeviceError(
      adapter.execute({ type: 'set_relay', on: true, channel: 2 }),
      'unsupported',
      /channel 2.*AC200M/,
    );
    await expectDeviceError(
      adapter.execute({ type: 'set_operating_mode', mode: 'turbo' }),
      'unsupported',
      /no selectable modes/,
    );
    await expectDeviceError(adapter.execute({ type: 'set_relay' } as never), 'rejected', /on/);
    expect(log).toEqual([]);
  });

  it('a model override picks the layout even when the identity registers say nothing useful', async () => {
    const { adapter, sim } = makeRig({ sim: { model: 'EB3A' }, connection: { model: 'EB3A' } });
    const image = sim.registers.bind(sim);
    jest.spyOn(sim, 'registers').mockImplementation(() => {
      const registers = new Map(image());
      for (let r = 10; r < 27; r++) registers.delete(r);
      return registers;
    });
    await adapter.connect();
    expect(adapter.describe().info).toMatchObject({ model: 'EB3A', serial: 'unknown' });
    expect((await adapter.read()).values.charging_mode).toBe('standard');
  });
});

describe('faults', () => {
  it('retries a corrupt CRC and reassembles answers split into tiny notifications', async () => {
    const { adapter, sim } = await startRig({ sim: { model: 'AC300' } });
    sim.setFaults({ notificationSize: 3, corruptResponses: 2 });
    const r = await adapter.read();
    expectReadingsMatch(r, sim.state);
    expect(adapter.retriedExchanges).toBe(2);
    sim.setFaults({ notificationSize: 1 });
    expectReadingsMatch(await adapter.read(), sim.state);
  });

  it('persistent CRC errors and malformed answers are bad_response with the reason', async () => {
    const { adapter, sim } = await startRig();
    const log = availabilityLog(adapter);
    sim.setFaults({ corruptResponses: 100 });
    await expectDeviceError(adapter.read(), 'bad_response', /CRC mismatch/);
    expect(log.at(-1)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^bad response: CRC mismatch/),
    });
    sim.setFaults({ corruptResponses: 0, malformedResponses: 100 });
    await expectDeviceError(adapter.read(), 'bad_response', /carries \d+ bytes, expected \d+/);
    sim.setFaults({ malformedResponses: 0 });
    expectReadingsMatch(await adapter.read(), sim.state);
    expect(log.at(-1)).toMatchObject({ available: true });
  });

  it('a lost answer is retried; a silent station times out, goes unavailable and recovers', async () => {
    const { adapter, sim } = await startRig();
    sim.setFaults({ dropRequests: 1 });
    expectReadingsMatch(await adapter.read(), sim.state);
    const log = availabilityLog(adapter);
    sim.setFaults({ unresponsive: true });
    await expectDeviceError(adapter.read(), 'timeout', /no answer within 250 ms reading registers/);
    expect(log).toEqual([expect.objectContaining({ available: false, reason: expect.stringMatching(/^timeout:/) })]);
    sim.setFaults({ unresponsive: false });
    expectReadingsMatch(await adapter.read(), sim.state);
    expect(log.at(-1)).toMatchObject({ available: true });
  });

  it('a vanished station becomes unavailable with a reason and recovers when it is back', async () => {
    const { adapter, sim } = await startRig();
    const log = availabilityLog(adapter);
    sim.vanish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([
      expect.objectContaining({
        available: false,
        reason: expect.stringMatching(/connection lost: the station is out of range/),
      }),
    ]);
    await expectDeviceError(adapter.read(), 'connection_refused', /not found: the station is out of range/);
    // What the device runner does: close, then connect again later.
    await adapter.close();
    await expectDeviceError(adapter.connect(), 'connection_refused');
    sim.reappear();
    await adapter.connect();
    expectReadingsMatch(await adapter.read(), sim.state);
    expect(log.at(-1)).toMatchObject({ available: true });
  });

  it('reconnects by itself on the next read after the station drops the link', async () => {
    const { adapter, sim } = await startRig();
    const log = availabilityLog(adapter);
    sim.dropLink();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.at(-1)).toMatchObject({ available: false });
    expectReadingsMatch(await adapter.read(), sim.state);
    expect(sim.connectionCount).toBe(2);
    expect(log.at(-1)).toMatchObject({ available: true });
  });

  it('AT+ chatter from the BLE module counts as a broken link', async () => {
    const { adapter, sim } = await startRig();
    const log = availabilityLog(adapter);
    sim.setFaults({ unresponsive: true });
    const pending = adapter.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    sim.sendAtChatter();
    await expectDeviceError(pending, 'connection_lost', /AT command mode/);
    expect(log.at(-1)).toMatchObject({ available: false });
    sim.setFaults({ unresponsive: false });
    expectReadingsMatch(await adapter.read(), sim.state);
  });

  it('an encrypting station is reported unsupported with the reason, quickly and without readings', async () => {
    const { adapter, sim } = makeRig({ sim: { model: 'AC180' }, connection: { timeout_ms: 10_000 } });
    sim.setFaults({ encrypted: true });
    const log = availabilityLog(adapter);
    const started = Date.now();
    const err = await expectDeviceError(adapter.connect(), 'unsupported', /encrypts its Bluetooth link/);
    // Not a hang: it did not wait for the 10 s timeout (a bound, not a timing measurement).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.reason).toMatch(/^unsupported: this Bluetti encrypts/);
    expect(log.at(-1)).toMatchObject({ available: false, reason: err.reason });
    expect(sim.requestCount).toBe(0);
    await expectDeviceError(adapter.read(), 'not_connected');
  });

  it('one connection per station: a second adapter for the same address is refused', async () => {
    const { adapter, sim } = await startRig();
    const second = new BluettiAdapter({
      id: 'second',
      transport: new InMemoryBleTransport(sim),
      connection: { address: sim.address.toLowerCase(), timeout_ms: 250 },
    });
    await expectDeviceError(second.connect(), 'connection_refused', /already connected by device "station"/);
    await adapter.close();
    await second.connect();
    await second.close();
  });

  it('an unknown device is unsupported and names what it saw', async () => {
    const { adapter, sim } = makeRig();
    // Blank the identity: a station whose type registers hold nothing recognisable.
    jest.spyOn(sim, 'registers').mockReturnValue(new Map());
    await expectDeviceError(adapter.connect(), 'unsupported', /no Bluetti model name.*register 110.*register 10/);
  });

  it('methods before connect() reject with not_connected', async () => {
    const { adapter } = makeRig();
    expect(() => adapter.describe()).toThrow(DeviceError);
    await expectDeviceError(adapter.read(), 'not_connected');
    await expectDeviceError(adapter.execute({ type: 'set_relay', on: true }), 'not_connected');
  });
});

describe('connection options', () => {
  it('names the offending field', () => {
    const make = (connection: unknown) => () => new BluettiAdapter({ id: 'x', connection });
    expect(make({ transport: 'bluez' })).toThrow('connection.address: is required for transport bluez');
    expect(make({ address: 'nope' })).toThrow(/connection.address: expected a Bluetooth MAC/);
    expect(make({ transport: 'tcp-sim', port: 1 })).toThrow('connection.host: is required for transport tcp-sim');
    expect(make({ address: 'AA:BB:CC:DD:EE:FF', host: 'x' })).toThrow(
      'connection.host: is only used with transport tcp-sim',
    );
    expect(make({ address: 'AA:BB:CC:DD:EE:FF', model: 'AC9000' })).toThrow(/connection.model/);
    expect(make({ address: 'AA:BB:CC:DD:EE:FF', extra: 1 })).toThrow(/connection/);
  });

  it('BlueZ without a system bus (no host_dbus) is connection_refused with a hint', async () => {
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/sps-test-system-bus';
    try {
      const adapter = new BluettiAdapter({ id: 'b', connection: { address: 'AA:BB:CC:DD:EE:FF', timeout_ms: 2000 } });
      await expectDeviceError(adapter.connect(), 'connection_refused', /system D-Bus.*host_dbus/);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
  });

  it('the noble transport without the optional package fails with a clear reason', async () => {
    const adapter = new BluettiAdapter({ id: 'n', connection: { address: 'AA:BB:CC:DD:EE:FF', transport: 'noble' } });
    // Whether or not noble is installed, this machine has no Bluetooth adapter: never a hang or a crash.
    const err = await adapter.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceError);
    expect(['unsupported', 'timeout', 'connection_refused']).toContain((err as DeviceError).kind);
  });
});
