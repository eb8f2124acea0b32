import { DeviceError } from '@sps/core';
import { adapterFor, cleanUp, errorOf, num, startXor } from './helpers';

afterEach(cleanUp);

const HOUR = 3_600_000;

describe('KasaPlugAdapter over the legacy XOR protocol (TCP)', () => {
  it('describes an HS110 v2: identity, relay switch, meter sensors', async () => {
    const { port, clock } = await startXor({ profile: 'hs110v2' });
    const adapter = adapterFor(port, clock, { transport: 'xor' });
    await adapter.connect();
    const d = adapter.describe();
    expect(d.info).toMatchObject({
      manufacturer: 'TP-Link',
      model: 'HS110(EU)',
      firmware: expect.stringContaining('1.5.10'),
    });
    expect(d.info.hardware).toContain('xor transport, iot dialect');
    expect(d.capabilities).toMatchObject({ commands: ['set_relay'], minPollIntervalMs: 1000 });
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('relay_on')).toMatchObject({ platform: 'switch', command: { command: 'set_relay', field: 'on' } });
    expect(byKey.get('load_power')).toMatchObject({ unit: 'W', deviceClass: 'power', name: 'Power' });
    expect(byKey.get('voltage')).toMatchObject({ unit: 'V' });
    expect(byKey.get('current')).toMatchObject({ unit: 'A' });
    expect(byKey.get('load_energy')).toMatchObject({ unit: 'Wh', stateClass: 'total_increasing' });
    expect(adapter.transportKind).toBe('xor');
  });

  it.each(['hs110v1', 'hs110v2', 'kp115'] as const)(
    '%s: readings equal the plug’s state as energy accumulates',
    async (profile) => {
      const { sim, port, clock } = await startXor({
        profile,
        plug: { applianceW: 1234.5, voltageV: 241.2, energyWh: 5000 },
      });
      const adapter = adapterFor(port, clock, { transport: 'xor' });
      await adapter.connect();
      for (let step = 0; step < 4; step++) {
        const r = await adapter.read();
        const s = sim.state;
        expect(r.timestamp).toBe(clock.now());
        expect(r.values.relay_on).toBe(true);
        expect(num(r, 'load_power')).toBeCloseTo(s.powerW, 3);
        expect(num(r, 'voltage')).toBeCloseTo(s.voltageV, 3);
        expect(Math.abs(num(r, 'current') - s.currentA)).toBeLessThanOrEqual(0.001);
        // Both unit generations count whole Wh (v1 as kWh with three decimals).
        expect(num(r, 'load_energy')).toBe(Math.floor(s.energyWh));
        await clock.advance(HOUR);
      }
      expect(sim.state.energyWh).toBeCloseTo(5000 + 4 * 1234.5, 6);
    },
  );

  it('set_relay switches the plug, spares repeats and reads back', async () => {
    const { sim, port, clock } = await startXor({ profile: 'hs110v2' });
    const adapter = adapterFor(port, clock, { transport: 'xor' });
    await adapter.connect();
    await expect(adapter.execute({ type: 'set_relay', on: false })).resolves.toMatchObject({
      applied: { on: false },
      writes: 1,
    });
    expect(sim.state.relayOn).toBe(false);
    const off = await adapter.read();
    expect(off.values).toMatchObject({ relay_on: false, load_power: 0, on_time: 0 });
    await expect(adapter.execute({ type: 'set_relay', on: false, channel: 0 })).resolves.toMatchObject({ writes: 0 });
    expect(sim.state.relaySwitches).toBe(1);
    await adapter.execute({ type: 'set_relay', on: true });
    await clock.advance(90_000);
    const on = await adapter.read();
    expect(on.values).toMatchObject({ relay_on: true, on_time: 90 });
    expect(num(on, 'load_power')).toBeCloseTo(sim.state.applianceW, 3);
  });

  it('a plug without a meter (HS100) has only the relay', async () => {
    const { port, clock, sim } = await startXor({ profile: 'hs100' });
    const adapter = adapterFor(port, clock, { transport: 'xor' });
    await adapter.connect();
    expect(adapter.describe().entities.map((e) => e.key)).toEqual(['relay_on', 'on_time', 'rssi']);
    const before = sim.requestCount;
    const r = await adapter.read();
    expect(Object.keys(r.values).sort()).toEqual(['on_time', 'relay_on', 'rssi']);
    expect(sim.requestCount - before).toBe(1);
  });

  it('refuses what a plug cannot do, naming why', async () => {
    const { port, clock } = await startXor();
    const adapter = adapterFor(port, clock, { transport: 'xor' });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
    await adapter.connect();
    await expect(adapter.execute({ type: 'force_charge', power_w: 100 })).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringContaining('force_charge'),
    });
    await expect(adapter.execute({ type: 'set_relay', on: true, channel: 2 })).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringContaining('channel 2'),
    });
    const bad = await errorOf(adapter.execute({ type: 'set_relay', on: 'yes' } as never));
    expect(bad).toBeInstanceOf(DeviceError);
    expect(bad).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/^on: /) });
  });

  it('bad connection options name the field', () => {
    expect(() => adapterFor(1, undefined as never, { transport: 'tcp' as never })).toThrow(/^connection\.transport: /);
    expect(() => adapterFor(70000, undefined as never)).toThrow(/^connection\.port: /);
    expect(() => adapterFor(1, undefined as never, { colour: 'red' } as never)).toThrow(
      /^connection\.colour: unknown field/,
    );
  });
});
