import { DeviceError } from '@sps/core';
import type { KasaPlugAdapter } from '@sps/device-kasa';
import { adapterFor, cleanUp, clockAt, errorOf, startKlap, startXor, watchAvailability } from './helpers';

afterEach(cleanUp);

type Rig = Awaited<ReturnType<typeof startXor>> | Awaited<ReturnType<typeof startKlap>>;

const rigs: [string, () => Promise<{ rig: Rig; adapter: KasaPlugAdapter }>][] = [
  [
    'XOR',
    async () => {
      const rig = await startXor({ profile: 'hs110v2' });
      return { rig, adapter: adapterFor(rig.port, rig.clock, { transport: 'xor', timeout_ms: 300 }) };
    },
  ],
  [
    'KLAP',
    async () => {
      const rig = await startKlap({ profile: 'p110' });
      return { rig, adapter: adapterFor(rig.port, rig.clock, { transport: 'klap', timeout_ms: 300 }) };
    },
  ],
];

describe.each(rigs)('faults over %s: DeviceErrors with reasons, then recovery', (_name, open) => {
  it('malformed JSON is bad_response and says so', async () => {
    const { rig, adapter } = await open();
    await adapter.connect();
    rig.sim.setFaults({ malformed: 'json' });
    const err = await errorOf(adapter.read());
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'bad_response', message: expect.stringContaining('is not JSON') });
    rig.sim.setFaults({ malformed: null });
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('a wrong field type is bad_response naming the field', async () => {
    const { rig, adapter } = await open();
    await adapter.connect();
    rig.sim.setFaults({ malformed: 'shape' });
    await expect(adapter.read()).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/(system\.get_sysinfo\.relay_state|get_device_info\.device_on)/),
    });
  });

  it('a broken frame/body is bad_response', async () => {
    const { rig, adapter } = await open();
    await adapter.connect();
    rig.sim.setFaults({ malformed: 'frame' });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'bad_response' });
  });

  it('a slow plug times out and the plug becomes unavailable, then available again', async () => {
    const { rig, adapter } = await open();
    const seen = watchAvailability(adapter);
    await adapter.connect();
    rig.sim.setFaults({ responseDelayMs: 1000 });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'timeout', message: expect.stringContaining('300 ms') });
    expect(seen.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^timeout: /) });
    rig.sim.setFaults({ responseDelayMs: 0 });
    await expect(adapter.read()).resolves.toBeDefined();
    expect(seen.map((a) => a.available)).toEqual([true, false, true]);
  });

  it('dropped connections are connection_lost', async () => {
    const { rig, adapter } = await open();
    await adapter.connect();
    rig.sim.setFaults({ dropConnections: true });
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    await expect(adapter.execute({ type: 'set_relay', on: false })).rejects.toMatchObject({ kind: 'connection_lost' });
    rig.sim.setFaults({ dropConnections: false });
    await expect(adapter.read()).resolves.toBeDefined();
  });

  it('a vanished plug is unavailable with a reason and is read again once it is back', async () => {
    const { rig, adapter } = await open();
    const seen = watchAvailability(adapter);
    await adapter.connect();
    await rig.sim.stop();
    const err = await errorOf(adapter.read());
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toMatch(/^connection_(refused|lost)$/);
    expect(seen.at(-1)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/^connection (refused|lost): /),
    });
    await rig.sim.start({ host: '127.0.0.1', port: rig.port });
    await expect(adapter.read()).resolves.toMatchObject({ values: expect.objectContaining({ relay_on: true }) });
    expect(seen.at(-1)?.available).toBe(true);
  });
});

describe('transport: auto', () => {
  it('finds a legacy plug on XOR', async () => {
    const { port, clock } = await startXor({ profile: 'kp115' });
    const adapter = adapterFor(port, clock);
    await adapter.connect();
    expect(adapter.transportKind).toBe('xor');
  });

  it('falls back to KLAP when the port speaks HTTP', async () => {
    const { port, clock, sim } = await startKlap({ profile: 'p110' });
    const adapter = adapterFor(port, clock);
    await adapter.connect();
    expect(adapter.transportKind).toBe('klap');
    await adapter.execute({ type: 'set_relay', on: false });
    expect(sim.state.relayOn).toBe(false);
  });

  it('names both attempts when nothing answers', async () => {
    const { port, sim } = await startXor();
    await sim.stop();
    const adapter = adapterFor(port, clockAt());
    const err = await errorOf(adapter.connect());
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as Error).message).toMatch(
      /XOR on port \d+: connection refused: .*; KLAP on port \d+: connection refused/,
    );
  });
});
