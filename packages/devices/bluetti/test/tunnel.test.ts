import { createConnection, createServer, type Server } from 'node:net';
import { DecodeError, DeviceError, ManualClock, type Availability } from '@sps/core';
import {
  BluettiAdapter,
  BluettiSimulator,
  encodeTunnelFrame,
  TunnelFrameReader,
  TunnelFrameType,
  decodeHello,
} from '@sps/device-bluetti';
import fc from 'fast-check';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tunnelRig(): Promise<{
  sim: BluettiSimulator;
  adapter: BluettiAdapter;
  port: number;
  clock: ManualClock;
}> {
  const clock = new ManualClock('2026-01-15T12:00:00Z');
  const sim = new BluettiSimulator({ model: 'AC180', clock, address: 'F0:0B:1E:77:00:10' });
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const adapter = new BluettiAdapter({
    id: 'tunnelled',
    clock,
    connection: { transport: 'tcp-sim', host: '127.0.0.1', port, address: sim.address, timeout_ms: 500 },
    requestGapMs: 0,
  });
  cleanups.push(
    () => sim.stop(),
    () => adapter.close(),
  );
  return { sim, adapter, port, clock };
}

describe('the loopback GATT tunnel', () => {
  it('carries the same frames: detection, readings and commands over real TCP', async () => {
    const { sim, adapter } = await tunnelRig();
    await adapter.connect();
    expect(adapter.describe().info).toMatchObject({ model: 'AC180', serial: '2400000000001' });
    sim.setEnvironment({ gridConnected: true, acLoadW: 250 });
    await adapter.execute({ type: 'set_relay', on: true });
    const r = await adapter.read();
    expect(r.values).toMatchObject({
      ac_output_on: true,
      ac_output_power: sim.state.acOutputW,
      ac_input_power: sim.state.acInputW,
      battery_soc: Math.round(sim.state.socPct),
    });
    expect(sim.state.acOutputW).toBe(250);
  });

  it('a stopped simulator makes the station unavailable; it recovers when the simulator is back', async () => {
    const { sim, adapter, port } = await tunnelRig();
    await adapter.connect();
    const log: Availability[] = [];
    adapter.events.on('availability', (a) => log.push(a));
    await sim.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^connection lost: tunnel/) });
    const err = await adapter.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toBe('connection_refused');
    await sim.start({ host: '127.0.0.1', port });
    await adapter.read();
    expect(log.at(-1)).toMatchObject({ available: true });
  });

  it('refuses a tunnel that serves another station', async () => {
    const { port } = await tunnelRig();
    const other = new BluettiAdapter({
      id: 'other',
      connection: { transport: 'tcp-sim', host: '127.0.0.1', port, address: '00:11:22:33:44:55', timeout_ms: 500 },
    });
    const err = await other.connect().catch((e: unknown) => e);
    expect((err as DeviceError).kind).toBe('connection_refused');
    expect((err as DeviceError).message).toMatch(/serves F0:0B:1E:77:00:10, not 00:11:22:33:44:55/);
  });

  it('a peer that sends garbage instead of HELLO is bad_response, not a crash', async () => {
    const server: Server = createServer((socket) => socket.end(Buffer.from([0xee, 0, 0])));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const adapter = new BluettiAdapter({ id: 'g', connection: { transport: 'tcp-sim', host: '127.0.0.1', port } });
    const err = await adapter.connect().catch((e: unknown) => e);
    expect((err as DeviceError).kind).toBe('bad_response');
    expect((err as DeviceError).message).toMatch(/malformed frame.*unknown tunnel frame type 238/);
  });

  it('the server drops a client that sends garbage and keeps serving others', async () => {
    const { adapter, port } = await tunnelRig();
    const bad = createConnection({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => bad.on('close', () => resolve()));
    bad.on('error', () => undefined);
    bad.resume(); // read (and drop) the HELLO so the socket sees the server's close
    bad.write(Buffer.from([0x77, 0xff, 0xff]));
    await closed;
    await adapter.connect();
    await adapter.read();
  });
});

describe('tunnel frames', () => {
  it('property: frames split anywhere are read back whole and in order', () => {
    const frame = fc.record({
      type: fc.constantFrom(TunnelFrameType.WRITE, TunnelFrameType.NOTIFY, TunnelFrameType.SUBSCRIBE),
      payload: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 10 }), fc.integer({ min: 1, max: 50 }), (frames, size) => {
        const stream = Buffer.concat(frames.map((f) => encodeTunnelFrame(f.type, f.payload)));
        const reader = new TunnelFrameReader();
        const out = [];
        for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
        expect(out.map((f) => ({ type: f.type, payload: Buffer.from(f.payload) }))).toEqual(
          frames.map((f) => ({ type: f.type, payload: Buffer.from(f.payload) })),
        );
      }),
    );
  });

  it('property: random bytes give frames or DecodeError, never a crash', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const reader = new TunnelFrameReader();
        try {
          for (const chunk of chunks) reader.push(chunk);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });

  it('validates HELLO and names the field', () => {
    expect(() => decodeHello(Buffer.from('{"address":"x"}'))).toThrow(/HELLO.name/);
    expect(() => decodeHello(Buffer.from('not json'))).toThrow(DecodeError);
  });
});
