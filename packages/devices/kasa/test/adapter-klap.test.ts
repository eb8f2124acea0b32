import { DeviceError } from '@sps/core';
import { adapterFor, cleanUp, errorOf, num, startKlap, watchAvailability } from './helpers';

afterEach(cleanUp);

const ACCOUNT = { username: 'owner@example.com', password: 'Tapo-Secret-1' };

describe('KasaPlugAdapter over KLAP (HTTP)', () => {
  it('a Tapo P110 (KLAP v2, SMART dialect): readings equal the plug’s state', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'p110', ...ACCOUNT, plug: { applianceW: 800 } });
    const adapter = adapterFor(port, clock, { transport: 'klap', ...ACCOUNT });
    await adapter.connect();
    const d = adapter.describe();
    expect(d.info).toMatchObject({ manufacturer: 'TP-Link', model: 'P110', serial: sim.model.deviceId });
    expect(d.info.hardware).toContain('klap transport, smart dialect');
    expect(d.capabilities.minPollIntervalMs).toBe(2000);
    // get_energy_usage has no voltage/current and no lifetime counter on a P110.
    expect(d.entities.map((e) => e.key)).toEqual([
      'relay_on',
      'load_power',
      'load_energy_today',
      'load_energy_month',
      'on_time',
      'rssi',
    ]);
    await clock.advance(3 * 3_600_000);
    const r = await adapter.read();
    const s = sim.state;
    expect(r.values.relay_on).toBe(true);
    expect(num(r, 'load_power')).toBeCloseTo(s.powerW, 3);
    expect(num(r, 'load_energy_today')).toBe(Math.floor(s.todayWh));
    expect(num(r, 'load_energy_today')).toBe(2400);
    expect(num(r, 'load_energy_month')).toBe(Math.floor(s.monthWh));
    expect(r.values.voltage).toBeUndefined();
  });

  it('a KP125M also gives voltage and current (get_emeter_data)', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'kp125m', plug: { applianceW: 120, voltageV: 121.5 } });
    const adapter = adapterFor(port, clock, { transport: 'klap' });
    await adapter.connect();
    const r = await adapter.read();
    expect(num(r, 'voltage')).toBeCloseTo(121.5, 3);
    expect(Math.abs(num(r, 'current') - sim.state.currentA)).toBeLessThanOrEqual(0.001);
    expect(num(r, 'load_power')).toBe(120);
  });

  it('a Kasa plug on KLAP v1 speaks the IOT dialect', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'hs110v2', ...ACCOUNT });
    const adapter = adapterFor(port, clock, { transport: 'klap', ...ACCOUNT });
    await adapter.connect();
    expect(sim.klapVersion).toBe(1);
    expect(adapter.describe().info.hardware).toContain('klap transport, iot dialect');
    const r = await adapter.read();
    expect(num(r, 'load_energy')).toBe(Math.floor(sim.state.energyWh));
    await adapter.execute({ type: 'set_relay', on: false });
    expect(sim.state.relayOn).toBe(false);
  });

  it('set_relay over SMART switches the plug and spares repeats', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'p110' });
    const adapter = adapterFor(port, clock, { transport: 'klap' });
    await adapter.connect();
    await expect(adapter.execute({ type: 'set_relay', on: false })).resolves.toMatchObject({ writes: 1 });
    expect(sim.state.relayOn).toBe(false);
    await expect(adapter.execute({ type: 'set_relay', on: false })).resolves.toMatchObject({ writes: 0 });
    expect((await adapter.read()).values).toMatchObject({ relay_on: false, load_power: 0 });
    expect(sim.state.relaySwitches).toBe(1);
  });

  it('a wrong password is auth_failed with a reason that says what to fix', async () => {
    const { port, clock } = await startKlap({ profile: 'p110', ...ACCOUNT });
    const adapter = adapterFor(port, clock, { transport: 'klap', username: ACCOUNT.username, password: 'wrong' });
    const seen = watchAvailability(adapter);
    const err = await errorOf(adapter.connect());
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({
      kind: 'auth_failed',
      message: expect.stringContaining('did not accept the configured username/password'),
    });
    expect(seen.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^auth failed: /) });
  });

  it('no credentials against a cloud-linked plug says credentials are needed', async () => {
    const { port, clock } = await startKlap({ profile: 'p110', ...ACCOUNT });
    await expect(adapterFor(port, clock, { transport: 'klap' }).connect()).rejects.toMatchObject({
      kind: 'auth_failed',
      message: expect.stringContaining('needs credentials'),
    });
  });

  it('a plug never linked to the cloud accepts blank credentials even when some are configured', async () => {
    const { port, clock } = await startKlap({ profile: 'p110' });
    const adapter = adapterFor(port, clock, { transport: 'klap', ...ACCOUNT });
    await adapter.connect();
    await expect(adapter.read()).resolves.toMatchObject({ values: expect.objectContaining({ relay_on: true }) });
  });

  it('a plug that forgot the session (403) gets one fresh handshake; expiry renews it in time', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'p110', sessionTimeoutS: 3600 });
    const adapter = adapterFor(port, clock, { transport: 'klap' });
    const seen = watchAvailability(adapter);
    await adapter.connect();
    expect(sim.handshakes).toBe(1);
    sim.expireSessions();
    await expect(adapter.read()).resolves.toBeDefined();
    expect(sim.handshakes).toBe(2);
    // TIMEOUT 3600 s: the client renews 20 minutes early, before the plug would refuse.
    await clock.advance(2399_000);
    await adapter.read();
    expect(sim.handshakes).toBe(2);
    await clock.advance(2_000);
    await adapter.read();
    expect(sim.handshakes).toBe(3);
    expect(seen.map((a) => a.available)).toEqual([true]);
  });

  it('a password changed on the plug makes reads fail with auth_failed', async () => {
    const { sim, port, clock } = await startKlap({ profile: 'p110', ...ACCOUNT });
    const adapter = adapterFor(port, clock, { transport: 'klap', ...ACCOUNT });
    await adapter.connect();
    sim.setCredentials(ACCOUNT.username, 'changed');
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'auth_failed' });
  });
});
