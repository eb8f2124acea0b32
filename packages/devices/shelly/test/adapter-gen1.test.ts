import { request } from 'node:http';
import { DeviceError } from '@sps/core';
import { newAdapter, num, startRig, stopRigs } from './helpers';

afterEach(stopRigs);

const HOUR = 3_600_000;

describe('Gen1 over HTTP', () => {
  it('Plug S: detected as Gen1, readings equal the simulator, /relay switches it', async () => {
    const { adapter, sim, clock } = await startRig({ sim: { profile: 'plug-s' } });
    expect(adapter.generation).toBe(1);
    const d = adapter.describe();
    expect(d.info).toMatchObject({ manufacturer: 'Shelly', model: 'SHPLG-S', hardware: 'Gen1' });
    expect(d.entities.map((e) => e.key)).toEqual(
      expect.arrayContaining(['switch_0', 'power_0', 'energy_0', 'temperature_0']),
    );
    sim.setLoad(0, 900);
    await adapter.execute({ type: 'set_relay', on: true });
    expect(sim.state.relays[0]).toMatchObject({ on: true, source: 'http' });
    let r = await adapter.read();
    expect(r.values.switch_0).toBe(true);
    expect(num(r, 'power_0')).toBe(900);
    // Gen1 totals are watt-minutes: the adapter reports Wh within one watt-minute.
    expect(Math.abs(num(r, 'energy_0') - (sim.state.relays[0]?.energyWh ?? 0))).toBeLessThan(1 / 60 + 1e-9);
    const before = num(r, 'energy_0');
    await clock.advance(HOUR);
    r = await adapter.read();
    expect(num(r, 'energy_0') - before).toBeCloseTo(900, 1);
    await adapter.execute({ type: 'set_relay', on: false, channel: 0 });
    expect(sim.state.relays[0]?.on).toBe(false);
  });

  it('Shelly 2.5: both channels, with the device voltage and a derived current', async () => {
    const { adapter, sim } = await startRig({ sim: { profile: '2.5' } });
    sim.setLoad(1, 460.8);
    await adapter.execute({ type: 'set_relay', on: true, channel: 1 });
    const r = await adapter.read();
    expect(r.values.switch_0).toBe(false);
    expect(r.values.switch_1).toBe(true);
    expect(num(r, 'power_1')).toBeCloseTo(460.8, 2);
    expect(num(r, 'current_1')).toBeCloseTo(460.8 / 230.4, 2);
    expect(num(r, 'power')).toBeCloseTo(460.8, 2);
  });

  it('3EM is a three-phase grid meter with import and export counters in Wh', async () => {
    const { adapter, sim, clock } = await startRig({ sim: { profile: '3em' } });
    sim.setMeterPower(0, 500);
    sim.setMeterPower(1, 300);
    sim.setMeterPower(2, -2000);
    let r = await adapter.read();
    expect(num(r, 'grid_power')).toBe(-1200);
    expect(num(r, 'export_power')).toBe(1200);
    expect(num(r, 'phase_c_power')).toBe(-2000);
    const exported = num(r, 'grid_export_energy');
    await clock.advance(HOUR);
    r = await adapter.read();
    expect(num(r, 'grid_export_energy') - exported).toBeCloseTo(2000, 0);
    expect(adapter.describe().entities.some((e) => e.key === 'grid_import_energy')).toBe(true);
  });

  it('EM (single phase): the grid channel is channel 0 unless configured', async () => {
    const { adapter, sim } = await startRig({ sim: { profile: 'em' } });
    sim.setMeterPower(0, 640);
    sim.setMeterPower(1, 90);
    const r = await adapter.read();
    expect(num(r, 'grid_power')).toBe(640);
    expect(num(r, 'meter_1_power')).toBe(90);
  });

  it('Basic auth: the right password works, a wrong or missing one is auth_failed', async () => {
    const { sim, port, clock, adapter } = await startRig({
      sim: { profile: 'plug-s', password: 'pw', username: 'me' },
      connection: { password: 'pw', username: 'me' },
    });
    await adapter.execute({ type: 'set_relay', on: true });
    expect(sim.state.relays[0]?.on).toBe(true);
    const wrong = newAdapter(sim, port, clock, { password: 'nope', username: 'me' });
    await expect(wrong.connect()).rejects.toMatchObject({
      kind: 'auth_failed',
      message: expect.stringMatching(/refused user "me"/),
    });
    const missing = newAdapter(sim, port, clock);
    const err = await missing.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).reason).toMatch(/^auth failed: .*login enabled/);
  });

  it('malformed /status is bad_response naming the field; a stopped device recovers', async () => {
    const { adapter, sim, port, availability } = await startRig({ sim: { profile: 'plug-s' } });
    sim.setFaults({ malformed: 'shape' });
    await expect(adapter.read()).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/relays\.0\.ison/),
    });
    expect(availability.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^bad response: /) });
    sim.setFaults({ malformed: 'json' });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'bad_response', message: /not JSON/ });
    sim.setFaults({ malformed: null });
    await sim.stop();
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_refused' });
    expect(availability.at(-1)?.available).toBe(false);
    await sim.start({ port });
    await expect(adapter.read()).resolves.toBeDefined();
    expect(availability.at(-1)?.available).toBe(true);
  });

  it('the simulator answers /settings and /relay/N in the Gen1 shapes', async () => {
    const { sim, port } = await startRig({ sim: { profile: 'plug-s' }, connect: false });
    const get = (path: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    const settings = JSON.parse((await get('/settings')).body) as { device: { type: string }; login: object };
    expect(settings.device.type).toBe('SHPLG-S');
    expect(settings.login).toMatchObject({ enabled: false, username: 'admin' });
    const relay = JSON.parse((await get('/relay/0?turn=toggle')).body) as Record<string, unknown>;
    expect(relay).toMatchObject({ ison: true, has_timer: false, source: 'http' });
    expect(sim.state.relays[0]?.on).toBe(true);
    expect((await get('/relay/3?turn=on')).status).toBe(404);
    expect((await get('/rpc')).status).toBe(404);
  });
});
