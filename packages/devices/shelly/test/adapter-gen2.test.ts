import { DeviceError, type ReadingSet } from '@sps/core';
import type { ShellyPhysicalState } from '@sps/device-shelly';
import { newAdapter, nextEvent, num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

const HOUR = 3_600_000;

/** Every relay reading against the simulator, within the device's own rounding. */
function expectRelayReadings(readings: ReadingSet, state: ShellyPhysicalState, channels: readonly number[]): void {
  for (const n of channels) {
    const relay = state.relays[n];
    if (!relay) throw new Error(`simulator has no relay ${n}`);
    expect(readings.values[`switch_${n}`]).toBe(relay.on);
    expect(num(readings, `power_${n}`)).toBeCloseTo(relay.powerW, 1);
    expect(num(readings, `voltage_${n}`)).toBeCloseTo(relay.voltageV, 1);
    expect(num(readings, `current_${n}`)).toBeCloseTo(relay.currentA, 3);
    expect(num(readings, `energy_${n}`)).toBeCloseTo(relay.energyWh, 2);
  }
}

describe('Gen2+ over WebSocket (Plus Plug S)', () => {
  it('detects the generation and describes the plug', async () => {
    const { adapter } = await startRig();
    expect(adapter.generation).toBe(2);
    const d = adapter.describe();
    expect(d.info).toMatchObject({
      manufacturer: 'Shelly',
      model: 'PlusPlugS (SNPL-00112EU)',
      serial: 'AABBCCDDEEFF',
      hardware: 'Gen2',
    });
    expect(d.capabilities.commands).toEqual(['set_relay']);
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('switch_0')).toMatchObject({
      platform: 'switch',
      command: { command: 'set_relay', field: 'on', fixed: { channel: 0 } },
    });
    expect(byKey.get('power_0')).toMatchObject({ unit: 'W', deviceClass: 'power' });
    expect(byKey.get('energy_0')).toMatchObject({ unit: 'Wh', stateClass: 'total_increasing' });
    expect(byKey.get('voltage_0')).toMatchObject({ unit: 'V' });
    expect(byKey.get('current_0')).toMatchObject({ unit: 'A' });
    expect(byKey.has('grid_power')).toBe(false);
  });

  it('readings equal the simulator state; set_relay switches it; energy counts up with time', async () => {
    const { adapter, sim, clock } = await startRig();
    sim.setLoad(0, 1200);
    let r = await adapter.read();
    expect(r.timestamp).toBe(clock.now());
    expect(r.values.switch_0).toBe(false);
    expectRelayReadings(r, sim.state, [0]);

    const outcome = await adapter.execute({ type: 'set_relay', on: true, channel: 0 });
    expect(outcome).toMatchObject({ applied: { channel: 0, on: true, was_on: false }, writes: 1 });
    expect(sim.state.relays[0]?.on).toBe(true);
    expect(sim.state.relays[0]?.source).toBe('WS_in');
    r = await adapter.read();
    expect(num(r, 'power_0')).toBe(1200);
    expectRelayReadings(r, sim.state, [0]);

    const before = num(r, 'energy_0');
    await clock.advance(2 * HOUR);
    r = await adapter.read();
    expect(num(r, 'energy_0') - before).toBeCloseTo(2400, 1);
    expectRelayReadings(r, sim.state, [0]);

    await adapter.execute({ type: 'set_relay', on: false });
    expect(sim.state.relays[0]?.on).toBe(false);
  });

  it('turns NotifyStatus pushes into readings events without polling', async () => {
    const { adapter, sim } = await startRig();
    await adapter.execute({ type: 'set_relay', on: true, channel: 0 });
    const pushed = nextEvent(adapter, 'readings', (r) => r.values.power_0 === 750);
    const polls = sim.requests.length;
    sim.setLoad(0, 750);
    const r = await pushed;
    expect(sim.requests.length).toBe(polls);
    expect(r.values.switch_0).toBe(true);
    // The delta carried only apower/current/aenergy; the rest came from the kept status.
    expect(num(r, 'voltage_0')).toBeCloseTo(sim.state.relays[0]?.voltageV ?? 0, 1);

    const off = nextEvent(adapter, 'readings', (r) => r.values.switch_0 === false);
    sim.setRelay(0, false, 'button');
    expect((await off).values.power_0).toBe(0);

    const full = nextEvent(adapter, 'readings', (r) => r.values.switch_0 === true);
    sim.physics.setRelay(0, true, 'button');
    sim.notifyFullStatus();
    expect((await full).values.power_0).toBe(750);
  });

  it('ignores a malformed push and keeps the last good status', async () => {
    const { adapter, sim } = await startRig();
    const seen: ReadingSet[] = [];
    adapter.events.on('readings', (r) => seen.push(r));
    sim.notify({ 'switch:0': { id: 0, output: 'maybe' } });
    sim.setLoad(0, 10);
    const after = await nextEvent(adapter, 'readings', (r) => r.values.current_0 !== undefined);
    expect(seen).toHaveLength(1);
    expect(after.values.switch_0).toBe(false);
  });
});

describe('Gen2+ digest authentication', () => {
  it('authenticates over WebSocket with the 401 challenge and the auth object', async () => {
    const { adapter, sim } = await startRig({ sim: { password: 's3cret!' }, connection: { password: 's3cret!' } });
    await adapter.execute({ type: 'set_relay', on: true });
    expect(sim.state.relays[0]?.on).toBe(true);
    const r = await adapter.read();
    expect(r.values.switch_0).toBe(true);
    // Over WebSocket one challenge serves the whole session.
    expect(sim.authChallenges).toBe(1);
  });

  it('authenticates over HTTP with the WWW-Authenticate challenge', async () => {
    const { adapter, sim } = await startRig({
      sim: { password: 's3cret!', profile: 'pro-4pm' },
      connection: { password: 's3cret!', transport: 'http' },
    });
    await adapter.execute({ type: 'set_relay', on: true, channel: 3 });
    expect(sim.state.relays.map((r) => r.on)).toEqual([false, false, false, true]);
    const r = await adapter.read();
    expect(r.values.switch_3).toBe(true);
    // The nonce is reused with a growing nc, so the device challenged only once.
    expect(sim.authChallenges).toBe(1);
  });

  it.each(['websocket', 'http'] as const)('a wrong password is auth_failed over %s', async (transport) => {
    const { sim, port, clock } = await startRig({ sim: { password: 'right' }, connect: false });
    const adapter = newAdapter(sim, port, clock, { password: 'wrong', transport });
    const err = await adapter.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'auth_failed' });
    expect((err as DeviceError).message).toMatch(/refused the configured password/);
  });

  it.each(['websocket', 'http'] as const)(
    'a missing password is auth_failed with a hint over %s',
    async (transport) => {
      const { sim, port, clock } = await startRig({ sim: { password: 'right' }, connect: false });
      const adapter = newAdapter(sim, port, clock, { transport });
      await expect(adapter.connect()).rejects.toMatchObject({
        kind: 'auth_failed',
        message: expect.stringMatching(/set its password/),
      });
    },
  );
});

describe('multi-channel relays', () => {
  it('Pro 4PM over HTTP: every channel is read and switched on its own', async () => {
    const { adapter, sim } = await startRig({ sim: { profile: 'pro-4pm' }, connection: { transport: 'http' } });
    const keys = adapter.describe().entities.map((e) => e.key);
    for (const n of [0, 1, 2, 3])
      expect(keys).toEqual(expect.arrayContaining([`switch_${n}`, `power_${n}`, `energy_${n}`]));
    [100, 200, 300, 400].forEach((w, i) => sim.setLoad(i, w));
    await adapter.execute({ type: 'set_relay', on: true, channel: 1 });
    await adapter.execute({ type: 'set_relay', on: true, channel: 2 });
    const r = await adapter.read();
    expectRelayReadings(r, sim.state, [0, 1, 2, 3]);
    expect(r.values.power).toBe(500);
    expect([0, 1, 2, 3].map((n) => r.values[`switch_${n}`])).toEqual([false, true, true, false]);
    await expect(adapter.execute({ type: 'set_relay', on: true, channel: 4 })).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/^channel: 4/),
    });
  });

  it('the channels option limits entities, readings and commands', async () => {
    const { adapter, sim } = await startRig({ sim: { profile: 'pro-4pm' }, connection: { channels: '1,3' } });
    const switches = adapter.describe().entities.filter((e) => e.platform === 'switch');
    expect(switches.map((e) => e.key)).toEqual(['switch_1', 'switch_3']);
    const r = await adapter.read();
    expect(Object.keys(r.values).filter((k) => k.startsWith('switch_'))).toEqual(['switch_1', 'switch_3']);
    await expect(adapter.execute({ type: 'set_relay', on: true, channel: 0 })).rejects.toMatchObject({
      kind: 'rejected',
    });
    expect(sim.state.relays[0]?.on).toBe(false);
  });

  it('a channel the device lacks is refused at connect with the field named', async () => {
    const { adapter } = await startRig({ connection: { channels: [0, 5] }, connect: false });
    await expect(adapter.connect()).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringMatching(/^channels: .*5/),
    });
  });

  it('Gen3 2PM reports returned energy and Gen4 Mini (unmetered) only its relay', async () => {
    const gen3 = await startRig({ sim: { profile: '2pm-gen3' } });
    expect(gen3.adapter.describe().info.hardware).toBe('Gen3');
    gen3.sim.setLoad(1, -300);
    await gen3.adapter.execute({ type: 'set_relay', on: true, channel: 1 });
    await gen3.clock.advance(HOUR);
    const r = await gen3.adapter.read();
    expect(num(r, 'returned_energy_1')).toBeCloseTo(300, 2);

    const gen4 = await startRig({ sim: { profile: 'mini-1-gen4' } });
    expect(gen4.adapter.generation).toBe(4);
    const keys = gen4.adapter.describe().entities.map((e) => e.key);
    expect(keys).toEqual(['switch_0', 'temperature_0']);
  });
});

describe('Shelly as the grid meter', () => {
  it('Pro 3EM: total_act_power is grid_power (+ import) with per-phase values and energy counters', async () => {
    const { adapter, sim, clock } = await startRig({ sim: { profile: 'pro-3em' } });
    const d = adapter.describe();
    expect(d.capabilities.commands).toEqual([]);
    expect(d.entities.map((e) => e.key)).toEqual(
      expect.arrayContaining(['grid_power', 'grid_import_energy', 'phase_b_voltage']),
    );
    sim.setMeterPower(0, 1000);
    sim.setMeterPower(1, -1500);
    sim.setMeterPower(2, 200);
    let r = await adapter.read();
    expect(num(r, 'grid_power')).toBeCloseTo(-300, 3);
    expect(num(r, 'export_power')).toBeCloseTo(300, 3);
    expect(num(r, 'phase_a_power')).toBe(1000);
    expect(num(r, 'phase_b_power')).toBe(-1500);
    const s = sim.state.meter ?? [];
    expect(num(r, 'grid_import_energy')).toBeCloseTo(
      s.reduce((a, c) => a + c.importWh, 0),
      1,
    );
    expect(num(r, 'grid_export_energy')).toBeCloseTo(
      s.reduce((a, c) => a + c.exportWh, 0),
      1,
    );
    const imported = num(r, 'grid_import_energy');
    const exported = num(r, 'grid_export_energy');
    await clock.advance(HOUR);
    r = await adapter.read();
    expect(num(r, 'grid_import_energy') - imported).toBeCloseTo(1200, 0);
    expect(num(r, 'grid_export_energy') - exported).toBeCloseTo(1500, 0);
    await expect(adapter.execute({ type: 'set_relay', on: true })).rejects.toMatchObject({ kind: 'rejected' });
    await expect(adapter.execute({ type: 'force_charge', power_w: 100 })).rejects.toMatchObject({
      kind: 'unsupported',
    });
  });

  it('Pro EM-50: the configured CT channel is the grid', async () => {
    const { adapter, sim } = await startRig({ sim: { profile: 'pro-em-50' }, connection: { meter_channel: 1 } });
    sim.setMeterPower(0, 800);
    sim.setMeterPower(1, -250);
    const r = await adapter.read();
    expect(num(r, 'grid_power')).toBe(-250);
    expect(num(r, 'meter_0_power')).toBe(800);
    expect(r.values.switch_0).toBe(false);
    expect(adapter.describe().capabilities.commands).toEqual(['set_relay']);
  });
});

describe('malformed answers and failures', () => {
  it.each(['websocket', 'http'] as const)('cut-off JSON over %s is bad_response', async (transport) => {
    const { adapter, sim, availability } = await startRig({ connection: { transport } });
    sim.setFaults({ malformed: 'json' });
    const err = await adapter.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'bad_response', message: expect.stringMatching(/not JSON/) });
    expect(availability.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^bad response: /) });
    sim.setFaults({ malformed: null });
    await expect(adapter.read()).resolves.toBeDefined();
    expect(availability.at(-1)?.available).toBe(true);
  });

  it('a wrongly typed status field is bad_response naming the field', async () => {
    const { adapter, sim } = await startRig({ connection: { transport: 'http' } });
    sim.setFaults({ malformed: 'shape' });
    await expect(adapter.read()).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/switch:0\.output/),
    });
  });

  it('a slow device times out and recovers', async () => {
    const { adapter, sim } = await startRig({ connection: { timeout_ms: 300 } });
    sim.setFaults({ responseDelayMs: 1000 });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'timeout' });
    sim.setFaults({ responseDelayMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('a vanished device becomes unavailable (pushed over WebSocket) and recovers on the same port', async () => {
    const { adapter, sim, port, availability } = await startRig();
    const gone = nextEvent(adapter, 'availability', (a) => !a.available);
    await sim.stop();
    // The socket closing is reported without waiting for a poll.
    expect((await gone).reason).toMatch(/^connection lost: /);
    const err = await adapter.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toMatch(/^connection_(refused|lost)$/);
    await sim.start({ port });
    // The runner reconnects with connect(); read() alone also reopens the socket.
    await expect(adapter.read()).resolves.toBeDefined();
    expect(availability.at(-1)?.available).toBe(true);
    await adapter.connect();
    expect(adapter.describe().info.model).toContain('SNPL-00112EU');
  });

  it('dropped connections are connection_lost; connect() to nothing is connection_refused', async () => {
    const { adapter, sim, port, clock } = await startRig({ connection: { transport: 'http' } });
    sim.setFaults({ dropConnections: true });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    sim.setFaults({ dropConnections: false });
    await expect(adapter.read()).resolves.toBeDefined();
    await sim.stop();
    const nobody = newAdapter(sim, port, clock);
    await expect(nobody.connect()).rejects.toMatchObject({ kind: 'connection_refused' });
  });

  it('a forced generation that does not match the device is refused', async () => {
    const { adapter } = await startRig({ connection: { generation: 1 }, connect: false });
    await expect(adapter.connect()).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringMatching(/^generation: /),
    });
  });

  it('read() and execute() before connect() are not_connected', async () => {
    const { adapter } = await startRig({ connect: false });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
    await expect(adapter.execute({ type: 'set_relay', on: true })).rejects.toMatchObject({ kind: 'not_connected' });
    expect(() => adapter.describe()).toThrow(DeviceError);
  });
});

describe('the Gen2+ simulator', () => {
  it('answers GET /rpc/<Method>?… and POST /rpc/<Method> with the bare result', async () => {
    const { sim, port } = await startRig({ sim: { profile: 'pro-4pm' }, connect: false });
    const call = async (
      method: 'GET' | 'POST',
      path: string,
      body?: string,
    ): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...(body === undefined ? {} : { body }) });
      return { status: res.status, json: (await res.json()) as unknown };
    };
    expect(await call('GET', '/rpc/Switch.Set?id=2&on=true')).toEqual({ status: 200, json: { was_on: false } });
    expect(sim.state.relays[2]?.on).toBe(true);
    expect(await call('POST', '/rpc/Switch.Toggle', '{"id":2}')).toEqual({ status: 200, json: { was_on: true } });
    expect(sim.state.relays[2]?.on).toBe(false);
    const missing = await call('GET', '/rpc/Switch.Set?id=9&on=true');
    expect(missing.json).toMatchObject({ code: -105 });
    const unknown = await call('GET', '/rpc/Cover.Open?id=0');
    expect(unknown).toMatchObject({ status: 404, json: { code: 404 } });
    const info = (await call('GET', '/shelly')).json;
    expect(info).toMatchObject({ id: 'shellypro4pm-aabbccddeeff', gen: 2, model: 'SPSW-004PE16EU', auth_en: false });
  });

  it('in realtime mode wanders around the set loads and pushes them to WebSocket clients', async () => {
    const { adapter, clock } = await startRig({ sim: { realtime: true, loadsW: [400] } });
    await adapter.execute({ type: 'set_relay', on: true });
    // The switch-on push came before the Switch.Set answer; the next push is the tick's.
    const pushed = nextEvent(adapter, 'readings', () => true);
    await clock.advance(1000);
    const power = num(await pushed, 'power_0');
    expect(power).toBeGreaterThanOrEqual(388);
    expect(power).toBeLessThanOrEqual(412);
  });
});
